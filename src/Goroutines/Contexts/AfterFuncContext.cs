// Licensed under the MIT License.

using System;
using System.Threading;

using Goroutines.Scheduling;

namespace Goroutines.Contexts;

// AfterFuncContext: Context.AfterFunc (Go's afterFuncCtx). A child of the watched
// context that is never handed out: when the watched context is done, the child is
// canceled with it and its hook starts the function in a goroutine. Stop and the hook
// race on one state word; whichever moves it from Pending wins:
//   hook: Pending -> Started, then spawn the function.
//   stop: Pending -> Stopped, then cancel the child for itself, which unregisters it
//         from the watched context (so a stopped AfterFunc leaves nothing behind).
//
// Invariants:
// - The function is spawned at most once, and never after a stop returned true.

/// <summary>The registration of one <see cref="Context.AfterFunc"/>.</summary>
internal sealed class AfterFuncContext : CancelContext
{
    private const int Pending = 0;
    private const int Started = 1;
    private const int Stopped = 2;

    private readonly string _member;
    private readonly string _file;
    private readonly int _line;
    private Action? _function; // read and dropped only by the winner of the state CAS
    private int _state;

    private AfterFuncContext(Context context, Action function, string member, string file, int line)
        : base(context)
    {
        _function = function;
        _member = member;
        _file = file;
        _line = line;
    }

    // The execution context of the AfterFunc call: the function runs in it, whichever thread cancels.
    private readonly ExecutionContext? _registeredContext = ExecutionContext.Capture();

    /// <summary>Arranges for <paramref name="function"/> to run once <paramref name="context"/> is done; returns the stop function.</summary>
    internal static Func<bool> Start(Context context, Action function, string member, string file, int line)
    {
        var watcher = new AfterFuncContext(context, function, member, file, line);
        watcher.Attach(); // if the context is done already, this starts the function
        return watcher.Stop;
    }

    /// <inheritdoc/>
    private protected override string Segment => ".AfterFunc";

    /// <inheritdoc/>
    private protected override void OnDone()
    {
        if (Interlocked.CompareExchange(ref _state, Started, Pending) != Pending)
        {
            return; // stopped
        }

        Action function = _function!;
        _function = null;
        Scheduler.Instance.SpawnIn(_registeredContext, function, _member, _file, _line);
    }

    // Go's stop function: true if this call kept the function from running.
    private bool Stop()
    {
        if (Interlocked.CompareExchange(ref _state, Stopped, Pending) != Pending)
        {
            return false;
        }

        _function = null;
        CancelByCaller(); // leaves the watched context's children; the hook sees Stopped
        return true;
    }
}
