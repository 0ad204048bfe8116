// Licensed under the MIT License.

using System;
using System.Threading;

using Goroutines.Scheduling;

namespace Goroutines.Time;

/// <summary>
/// A timer that starts a goroutine running a function (an Action or a Func of Task) when it fires
/// (Go's <c>AfterFunc</c>), in the execution context of the code that created the timer, not of
/// the thread that fires it.
/// </summary>
internal sealed class FunctionTimer(Delegate function, string member, string file, int line) : StoppableTimer
{
    private readonly ExecutionContext? _context = ExecutionContext.Capture();

    /// <inheritdoc/>
    protected override void Deliver(long lateness) => Scheduler.Instance.SpawnIn(_context, function, member, file, line);
}
