// Licensed under the MIT License.

using System;

using Goroutines.Scheduling;

namespace Goroutines.Time;

/// <summary>A timer that starts a goroutine running a function when it fires (Go's <c>AfterFunc</c>).</summary>
internal sealed class FunctionTimer(Action function, string member, string file, int line) : StoppableTimer
{
    /// <inheritdoc/>
    protected override void Deliver() => Scheduler.Instance.Spawn(function, member, file, line);
}
