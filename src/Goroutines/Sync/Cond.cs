// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Scheduling;

namespace Goroutines.Sync;

// Cond: Go's sync.Cond over a locker (a Mutex, an RWMutex or its read locker). A
// waiter joins the notify list while it still holds the lock, then unlocks and parks;
// Signal and Broadcast take waiters off the list and ready them; a woken waiter locks
// again before Wait returns. A signal is never lost between the unlock and the park: the waiter is on the list
// before the unlock, and a ready before the park completes the park at once (Waiter).
//
// Invariants:
// - The list is only touched under _lock; no waiter is readied while it is held.

/// <summary>
/// Go's <c>sync.Cond</c>: a rendezvous point for goroutines waiting for, or announcing, a change
/// of state guarded by a lock (an <see cref="ILocker"/>: a <see cref="Sync.Mutex"/> most often).
/// </summary>
/// <remarks>
/// Call <see cref="WaitAsync"/> with the lock held, in a loop that re-checks the condition (as in
/// Go, a woken waiter must check again). <see cref="Signal"/> and <see cref="Broadcast"/> may be
/// called with or without the lock held. Waiters are woken in the order they began waiting.
/// </remarks>
public sealed class Cond
{
    private readonly Lock _lock = new();
    private readonly Queue<SignalWaiter> _waiters = new();

    /// <summary>Creates a condition over <paramref name="locker"/> (Go's <c>sync.NewCond(&amp;mu)</c>).</summary>
    /// <param name="locker">The lock that guards the condition: a <see cref="Sync.Mutex"/>, an <see cref="RWMutex"/>, or an RWMutex's <see cref="RWMutex.RLocker"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="locker"/> is null.</exception>
    public Cond(ILocker locker)
    {
        ArgumentNullException.ThrowIfNull(locker);
        Locker = locker;
    }

    /// <summary>The lock that guards the condition (Go's <c>c.L</c>).</summary>
    public ILocker Locker { get; }

    /// <summary>
    /// Unlocks <see cref="Locker"/>, parks until <see cref="Signal"/> or <see cref="Broadcast"/>
    /// wakes this waiter, and locks it again before returning (Go's <c>c.Wait</c>). Call it with
    /// the lock held.
    /// </summary>
    /// <exception cref="SynchronizationLockException">The lock was not held (Go's fatal error "sync: unlock of unlocked mutex").</exception>
    public async ValueTask WaitAsync()
    {
        SignalWaiter waiter = SignalWaiter.Rent();
        lock (_lock)
        {
            _waiters.Enqueue(waiter);
        }

        try
        {
            Locker.Unlock();
        }
        catch
        {
            WithdrawOrPassOn(waiter); // not held: this wait never happened
            throw;
        }

        await waiter.ParkAsync(WaitReason.SyncCondWait).ConfigureAwait(true);
        await Locker.LockAsync().ConfigureAwait(true);
    }

    // Takes a waiter that will never park off the list (a rare path: a copy of the list). If a
    // Signal took it meanwhile, that signal belongs to the next waiter: pass it on.
    private void WithdrawOrPassOn(SignalWaiter waiter)
    {
        SignalWaiter? next = null;
        lock (_lock)
        {
            SignalWaiter[] all = [.. _waiters];
            _waiters.Clear();
            bool found = false;
            foreach (SignalWaiter other in all)
            {
                if (other == waiter)
                {
                    found = true;
                }
                else
                {
                    _waiters.Enqueue(other);
                }
            }

            if (!found)
            {
                _waiters.TryDequeue(out next);
            }
        }

        next?.Ready();
    }

    /// <summary>Wakes the longest-waiting goroutine, if any (Go's <c>c.Signal</c>).</summary>
    public void Signal()
    {
        SignalWaiter? waiter;
        lock (_lock)
        {
            _waiters.TryDequeue(out waiter);
        }

        waiter?.Ready();
    }

    /// <summary>Wakes every waiting goroutine (Go's <c>c.Broadcast</c>).</summary>
    public void Broadcast()
    {
        SignalWaiter[] waiters;
        lock (_lock)
        {
            if (_waiters.Count == 0)
            {
                return;
            }

            waiters = [.. _waiters];
            _waiters.Clear();
        }

        foreach (SignalWaiter waiter in waiters)
        {
            waiter.Ready();
        }
    }
}
