// Licensed under the MIT License.

using System;
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
    /// Sleeps until <see cref="Unpark"/> is called or <paramref name="timeout"/> passes. Owner thread only.
    /// </summary>
    /// <returns><see langword="true"/> if woken by <see cref="Unpark"/>, <see langword="false"/> on timeout.</returns>
    public bool Park(TimeSpan timeout)
    {
        lock (_lock)
        {
            if (!_permit)
            {
                _sleeping = true;
                Monitor.Wait(_lock, timeout);
                _sleeping = false;
            }

            bool woken = _permit;
            _permit = false;
            return woken;
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
