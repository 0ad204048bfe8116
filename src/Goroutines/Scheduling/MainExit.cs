// Licensed under the MIT License.

using System;
using System.Threading;

namespace Goroutines.Scheduling;

// MainExit: how the main goroutine of a Go.Main call tells the thread waiting for it
// that it has exited, and how: by returning or panicking, or by Go.Goexit, after
// which the program goes on until no goroutine can run (Scheduler.Main.cs). The
// deadlock detector signals it too, when it finds the call's program deadlocked.
//
// Invariant: ByGoexit is written before the event is set, so the waiter that wakes
// reads the value of that exit.
internal sealed class MainExit : IDisposable
{
    private readonly ManualResetEventSlim _event = new();
    private volatile bool _byGoexit;

    /// <summary>Whether the main goroutine ended by <see cref="Go.Goexit"/>. Read after <see cref="Wait"/> returns.</summary>
    public bool ByGoexit => _byGoexit;

    /// <summary>Wakes the waiting thread; <paramref name="byGoexit"/> says how the goroutine ended.</summary>
    public void Signal(bool byGoexit)
    {
        _byGoexit = byGoexit;
        _event.Set();
    }

    /// <summary>Blocks until the next <see cref="Signal"/> (or returns at once if one is pending).</summary>
    public void Wait() => _event.Wait();

    /// <summary>Forgets a signal that was consumed, so that <see cref="Wait"/> blocks for the next one.</summary>
    public void Reset() => _event.Reset();

    /// <inheritdoc/>
    public void Dispose() => _event.Dispose();
}
