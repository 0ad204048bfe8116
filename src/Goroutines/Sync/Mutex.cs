// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Scheduling;

namespace Goroutines.Sync;

// Mutex: Go's sync.Mutex, its algorithm step for step (sync/mutex.go), on a
// RuntimeSemaphore that parks goroutines.
//
// One int32 state word: bit 0 locked, bit 1 woken (a woken waiter is on its way, so
// Unlock need not wake another), bit 2 starving, the rest the number of waiters.
//   Normal mode: waiters queue FIFO, but a woken waiter competes with newcomers,
//     which usually win (they are already running); on a few cores with other work
//     running a newcomer may spin briefly first. A waiter beaten to the lock queues
//     again at the front.
//   Starvation mode: entered when a waiter has waited over 1 ms. Unlock hands the
//     lock straight to the first waiter; newcomers neither take it nor spin, they
//     queue at the back. Left when the waiter that gets the lock is the last one or
//     waited under 1 ms.
// Lock's slow path is a loop around the semaphore: an async method with a pooled
// builder, so a contended lock reuses pooled state machines and waiters. Unlike Go,
// Unlock checks the lock bit before it changes the word: a misuse reported to a panic
// handler, after which the program goes on, must not strand other lockers.
//
// Invariants (Go's):
// - The woken bit is set by at most one goroutine between two wake-ups.
// - In starvation mode the lock bit is never set by a newcomer.

/// <summary>
/// Go's <c>sync.Mutex</c>: a mutual exclusion lock that parks the goroutine, never its thread, with
/// Go's two modes (normal: a woken waiter competes with newcomers; starvation: after a waiter
/// waited 1 ms, the lock is handed over first in, first out).
/// </summary>
/// <example>
/// <code>
/// using (await mu.LockAsync())   // or: await mu.LockAsync(); try { ... } finally { mu.Unlock(); }
/// {
///     counter++;
/// }
/// </code>
/// </example>
/// <remarks>
/// Any goroutine or thread may unlock a mutex another locked, as in Go. An unlock happens-before
/// the lock it lets through returns. Not reentrant. The zero-allocation fast path is one CAS.
/// </remarks>
public sealed class Mutex : ILocker
{
    private const int Locked = 1;
    private const int Woken = 2;
    private const int Starving = 4;
    private const int WaiterShift = 3;

    // A waiter that waited longer than this switches the mutex to starvation mode (1 ms, as Go).
    private static readonly long s_starvationThreshold = Stopwatch.Frequency / 1000;

    private RuntimeSemaphore? _semaphore; // created on first contention (RuntimeSemaphore.Ensure)
    private int _state;

    /// <summary>
    /// Locks the mutex as <see cref="LockAsync()"/> does, unless <paramref name="cancellationToken"/>
    /// is canceled first: then the mutex is not held by this call.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait; a token that cannot be canceled costs nothing.</param>
    /// <returns>A scope whose disposal unlocks the mutex.</returns>
    /// <exception cref="OperationCanceledException">The token was canceled before the lock was taken.</exception>
    public ValueTask<MutexScope> LockAsync(CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            return LockAsync();
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<MutexScope>(cancellationToken);
        }

        return TryLock() ? new ValueTask<MutexScope>(new MutexScope(this)) : LockCancelableAsync(cancellationToken);
    }

    /// <summary>
    /// Locks the mutex, parking the goroutine while another holds it (Go's <c>mu.Lock</c>).
    /// Dispose the result to unlock, or call <see cref="Unlock"/>.
    /// </summary>
    /// <returns>A scope whose disposal unlocks the mutex.</returns>
    public ValueTask<MutexScope> LockAsync()
    {
        if (!SafePoint.ShouldYield && Interlocked.CompareExchange(ref _state, Locked, 0) == 0)
        {
            return new ValueTask<MutexScope>(new MutexScope(this));
        }

        return LockSlowAsync();
    }

    /// <summary>
    /// Locks the mutex, blocking the calling thread while another holds it (in a blocking region
    /// on a goroutine's thread). Prefer <see cref="LockAsync()"/> inside goroutines.
    /// </summary>
    /// <returns>A scope whose disposal unlocks the mutex.</returns>
    public MutexScope Lock()
    {
        if (Interlocked.CompareExchange(ref _state, Locked, 0) != 0)
        {
            Bubble.ThrowIfBlockingInBubble();
            ValueTask slow = LockSlow(blocking: true);
            if (!slow.IsCompleted)
            {
                throw new UnreachableException("a blocking lock returned before it held the mutex");
            }

            slow.GetAwaiter().GetResult(); // rethrows, if it failed
        }

        return new MutexScope(this);
    }

    /// <summary>Locks the mutex if it is free and nobody is being handed it (Go's <c>mu.TryLock</c>).</summary>
    /// <returns>True if the mutex is now held by the caller.</returns>
    public bool TryLock()
    {
        int old = Volatile.Read(ref _state);
        return (old & (Locked | Starving)) == 0 && Interlocked.CompareExchange(ref _state, old | Locked, old) == old;
    }

    /// <summary>Unlocks the mutex (Go's <c>mu.Unlock</c>).</summary>
    /// <exception cref="SynchronizationLockException">
    /// The mutex is not locked. This is Go's fatal error "sync: unlock of unlocked mutex": it is
    /// reported as a fatal error first (by default the process ends with exit code 2, as Go's).
    /// </exception>
    public void Unlock()
    {
        // Go subtracts first and checks after; here a misuse must leave the state untouched (a
        // panic handler may let the program go on), so the lock bit is checked before it changes.
        int old = Interlocked.CompareExchange(ref _state, 0, Locked);
        if (old == Locked)
        {
            return;
        }

        while (true)
        {
            if ((old & Locked) == 0)
            {
                Scheduler.Instance.Fatal("sync: unlock of unlocked mutex");
                throw new SynchronizationLockException("sync: unlock of unlocked mutex");
            }

            int state = Interlocked.CompareExchange(ref _state, old - Locked, old);
            if (state == old)
            {
                if (old - Locked != 0)
                {
                    UnlockSlow(old - Locked);
                }

                return;
            }

            old = state;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<MutexScope> LockSlowAsync()
    {
        if (SafePoint.ShouldYield)
        {
            await Go.YieldAsync(); // a safe point, as every runtime await
        }

        await LockSlow(blocking: false).ConfigureAwait(true);
        return new MutexScope(this);
    }

    // Go's lockSlow. With blocking, parks the thread instead of the goroutine (and completes
    // synchronously).
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask LockSlow(bool blocking)
    {
        long waitStart = 0;
        bool starving = false;
        bool awoke = false;
        int iteration = 0;
        int old = Volatile.Read(ref _state);
        while (true)
        {
            // Spin while the holder may be about to unlock, except in starvation mode.
            if ((old & (Locked | Starving)) == Locked && Scheduler.Instance.CanSpinForMutex(iteration))
            {
                // Set the woken bit so that Unlock does not wake others meanwhile.
                if (!awoke && (old & Woken) == 0 && (old >> WaiterShift) != 0
                    && Interlocked.CompareExchange(ref _state, old | Woken, old) == old)
                {
                    awoke = true;
                }

                Thread.SpinWait(30); // 30, as Go's active_spin_cnt
                iteration++;
                old = Volatile.Read(ref _state);
                continue;
            }

            int desired = old;
            if ((old & Starving) == 0)
            {
                desired |= Locked; // a starving mutex is handed over, never taken
            }

            if ((old & (Locked | Starving)) != 0)
            {
                desired += 1 << WaiterShift;
            }

            if (starving && (old & Locked) != 0)
            {
                desired |= Starving; // switch, unless it was just unlocked
            }

            if (awoke)
            {
                if ((desired & Woken) == 0)
                {
                    throw new SynchronizationLockException("sync: inconsistent mutex state");
                }

                desired &= ~Woken;
            }

            if (Interlocked.CompareExchange(ref _state, desired, old) != old)
            {
                old = Volatile.Read(ref _state);
                continue;
            }

            if ((old & (Locked | Starving)) == 0)
            {
                return; // locked with the CAS
            }

            // Wait; a waiter woken before queues at the front again.
            bool requeue = waitStart != 0;
            if (waitStart == 0)
            {
                waitStart = Bubble.Timestamp(); // a bubble's own clock: wall time would steer an explored schedule
            }

            if (blocking)
            {
                RuntimeSemaphore.Ensure(ref _semaphore).Acquire(first: requeue);
            }
            else
            {
                await RuntimeSemaphore.Ensure(ref _semaphore).AcquireAsync(WaitReason.SyncMutexLock, first: requeue).ConfigureAwait(true);
            }

            starving = starving || Bubble.Timestamp() - waitStart > s_starvationThreshold;
            old = Volatile.Read(ref _state);
            if ((old & Starving) != 0)
            {
                // Handed over in starvation mode: the lock is ours; fix the state up.
                if ((old & (Locked | Woken)) != 0 || (old >> WaiterShift) == 0)
                {
                    throw new SynchronizationLockException("sync: inconsistent mutex state");
                }

                int delta = Locked - (1 << WaiterShift);
                if (!starving || (old >> WaiterShift) == 1)
                {
                    delta -= Starving; // leave starvation mode
                }

                Interlocked.Add(ref _state, delta);
                return;
            }

            awoke = true;
            iteration = 0;
        }
    }

    // Go's unlockSlow, after the lock bit was cleared (the misuse check is in Unlock).
    private void UnlockSlow(int state)
    {
        if ((state & Starving) != 0)
        {
            // Hand the lock to the first waiter. Go also yields the processor to it here
            // (semrelease's handoff); this one is only readied, and runs when its turn comes.
            RuntimeSemaphore.Ensure(ref _semaphore).Release();
            return;
        }

        int old = state;
        while (true)
        {
            // Nobody to wake, or someone already locked it, was woken, or it is being handed over.
            if ((old >> WaiterShift) == 0 || (old & (Locked | Woken | Starving)) != 0)
            {
                return;
            }

            int desired = (old - (1 << WaiterShift)) | Woken;
            if (Interlocked.CompareExchange(ref _state, desired, old) == old)
            {
                RuntimeSemaphore.Ensure(ref _semaphore).Release();
                return;
            }

            old = Volatile.Read(ref _state);
        }
    }

    /// <inheritdoc/>
    async ValueTask ILocker.LockAsync() => await LockAsync().ConfigureAwait(true);

    /// <inheritdoc/>
    void ILocker.Lock() => Lock();

    private async ValueTask<MutexScope> LockCancelableAsync(CancellationToken cancellationToken)
    {
        await CancelableAcquire.RunAsync(async () => await LockAsync().ConfigureAwait(true), Unlock, cancellationToken).ConfigureAwait(true);
        return new MutexScope(this);
    }
}
