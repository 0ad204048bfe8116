// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Scheduling;

namespace Goroutines.Sync;

// Cond: Go's sync.Cond over a locker (a Mutex, an RWMutex or its read locker). A
// waiter joins the notify list while it still holds the lock, then unlocks and parks;
// Signal and Broadcast take waiters off the list and ready them; a woken waiter locks
// again before Wait returns. A signal is never lost between the unlock and the park: the waiter is on the list
// before the unlock, and a ready before the park completes the park at once (Waiter).
//
// A cancelable wait (WaitAsync(CancellationToken)) joins the list with a one-slot channel
// instead of a pooled waiter, so that it can wait for the signal or the token in a select;
// canceled, it takes itself off the list if it is still there (the wait never happened), and
// if a Signal took it meanwhile the signal is its own: it returns as woken, so no signal is lost.
//
// Invariants:
// - The list is only touched under _lock; no waiter is readied while it is held.
// - The list holds SignalWaiters and CancelableEntry objects, each woken once.

/// <summary>
/// Go's <c>sync.Cond</c>: a rendezvous point for goroutines waiting for, or announcing, a change
/// of state guarded by a lock (an <see cref="ILocker"/>: a <see cref="Sync.Mutex"/> most often).
/// </summary>
/// <remarks>
/// Call <see cref="WaitAsync()"/> with the lock held, in a loop that re-checks the condition (as in
/// Go, a woken waiter must check again). <see cref="Signal"/> and <see cref="Broadcast"/> may be
/// called with or without the lock held. Waiters are woken in the order they began waiting.
/// </remarks>
public sealed class Cond
{
    private readonly Lock _lock = new();
    private readonly Queue<object> _waiters = new(); // SignalWaiter or CancelableEntry

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
        JoinAndUnlock(waiter);
        await waiter.ParkAsync(WaitReason.SyncCondWait).ConfigureAwait(true);
        await Locker.LockAsync().ConfigureAwait(true);
    }

    /// <summary>
    /// Waits as <see cref="WaitAsync()"/> does, unless <paramref name="cancellationToken"/> is
    /// canceled first; either way <see cref="Locker"/> is locked again before it returns or throws,
    /// as a waiter that returns holds it.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait; a token that cannot be canceled costs nothing.</param>
    /// <returns>An awaitable that completes once woken and locked again.</returns>
    /// <exception cref="SynchronizationLockException">The lock was not held (Go's fatal error "sync: unlock of unlocked mutex").</exception>
    /// <exception cref="OperationCanceledException">The token was canceled before a signal came; the lock is held again, and no signal was used.</exception>
    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            return WaitAsync();
        }

        return cancellationToken.IsCancellationRequested
            ? ValueTask.FromCanceled(cancellationToken) // the wait never began: the lock was never let go
            : WaitCancelableAsync(cancellationToken);
    }

    private async ValueTask WaitCancelableAsync(CancellationToken cancellationToken)
    {
        var entry = new CancelableEntry();
        JoinAndUnlock(entry);

        bool canceled = false;
        try
        {
            await entry.Signal.ReceiveAsync(cancellationToken).ConfigureAwait(true);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            canceled = TryWithdraw(entry); // false: a signal took it first, and it is this waiter's
        }

        await Locker.LockAsync().ConfigureAwait(true);
        if (canceled)
        {
            throw new OperationCanceledException(cancellationToken);
        }
    }

    // Joins the notify list while the lock is still held, then lets go of the lock.
    private void JoinAndUnlock(object waiter)
    {
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
    }

    // Takes a waiter that will never park off the list (a rare path: a copy of the list). If a
    // Signal took it meanwhile, that signal belongs to the next waiter: pass it on.
    private void WithdrawOrPassOn(object waiter)
    {
        object? next = null;
        lock (_lock)
        {
            if (!RemoveLocked(waiter))
            {
                _waiters.TryDequeue(out next);
            }
        }

        Wake(next);
    }

    // Takes a canceled waiter off the list; false if a signal already took it.
    private bool TryWithdraw(object waiter)
    {
        lock (_lock)
        {
            return RemoveLocked(waiter);
        }
    }

    private bool RemoveLocked(object waiter)
    {
        object[] all = [.. _waiters];
        _waiters.Clear();
        bool found = false;
        foreach (object other in all)
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

        return found;
    }

    private static void Wake(object? waiter)
    {
        switch (waiter)
        {
            case SignalWaiter parked:
                parked.Ready();
                break;
            case CancelableEntry cancelable:
                cancelable.Signal.TrySend(default);
                break;
        }
    }

    /// <summary>The list entry of a cancelable wait: a signal is a value in its one-slot channel.</summary>
    private sealed class CancelableEntry
    {
        public Chan<ValueTuple> Signal { get; } = new(1);
    }

    /// <summary>Wakes the longest-waiting goroutine, if any (Go's <c>c.Signal</c>).</summary>
    public void Signal()
    {
        object? waiter;
        lock (_lock)
        {
            _waiters.TryDequeue(out waiter);
        }

        Wake(waiter);
    }

    /// <summary>Wakes every waiting goroutine (Go's <c>c.Broadcast</c>).</summary>
    public void Broadcast()
    {
        object[] waiters;
        lock (_lock)
        {
            if (_waiters.Count == 0)
            {
                return;
            }

            waiters = [.. _waiters];
            _waiters.Clear();
        }

        foreach (object waiter in waiters)
        {
            Wake(waiter);
        }
    }
}
