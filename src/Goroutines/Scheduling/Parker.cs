// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Threading;

namespace Goroutines.Scheduling;

// Parker: one OS thread's sleep and wake-up, Go's `note` (notesleep/notewakeup).
//
// A permit, as in java.util.concurrent.locks.LockSupport: Unpark before Park makes
// the next Park return at once, so a wake-up that races ahead of the sleep is never
// lost. Each Machine owns one; the system monitor owns one for its timed naps.
//
// Invariants:
// - Only the owning thread calls Park; any thread calls Unpark.
// - At most one permit is stored: several Unparks before one Park wake it once.
internal sealed class Parker
{
    // A plain object, not System.Threading.Lock: Monitor.Wait needs a monitor.
    private readonly object _lock = new();

    // Written under _lock only.
    private bool _permit;
    private bool _sleeping;

    /// <summary>Sleeps until <see cref="Unpark"/> is called, or returns at once if it already was. Owner thread only.</summary>
    public void Park()
    {
        lock (_lock)
        {
            while (!_permit)
            {
                _sleeping = true;
                Monitor.Wait(_lock);
                _sleeping = false;
            }

            _permit = false;
        }
    }

    /// <summary>
    /// Sleeps until <see cref="Unpark"/> is called or the <see cref="Stopwatch"/> timestamp
    /// <paramref name="deadline"/> passes, to within about the kernel's timer slack. Owner thread only.
    /// </summary>
    /// <remarks>
    /// .NET's timed waits count in whole milliseconds, so the wait sleeps the whole milliseconds
    /// on the monitor and the rest with <see cref="ThreadNap"/>; an Unpark during that last part
    /// (under a millisecond) is seen when it ends.
    /// </remarks>
    /// <returns><see langword="true"/> if woken by <see cref="Unpark"/>, <see langword="false"/> at the deadline.</returns>
    public bool ParkUntil(long deadline)
    {
        lock (_lock)
        {
            while (!_permit)
            {
                long remaining = deadline - Stopwatch.GetTimestamp();
                if (remaining <= 0)
                {
                    return false;
                }

                long milliseconds = remaining * 1000 / Stopwatch.Frequency;
                if (milliseconds > 0)
                {
                    _sleeping = true;
                    Monitor.Wait(_lock, (int)Math.Min(milliseconds, int.MaxValue));
                    _sleeping = false;
                    continue;
                }

                Monitor.Exit(_lock);
                try
                {
                    ThreadNap.Sleep(Math.Max(1, remaining * 1_000_000 / Stopwatch.Frequency));
                }
                finally
                {
                    Monitor.Enter(_lock);
                }

                if (!_permit)
                {
                    return false;
                }
            }

            _permit = false;
            return true;
        }
    }

    /// <summary>Wakes the owner, now or at its next <see cref="Park()"/>. Any thread.</summary>
    public void Unpark()
    {
        lock (_lock)
        {
            _permit = true;
            if (_sleeping)
            {
                Monitor.Pulse(_lock);
            }
        }
    }
}
