// Licensed under the MIT License.

using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Scheduling;

namespace Goroutines.Sync;

// RuntimeSemaphore: Go's runtime semaphore (semacquire/semrelease), the parking
// primitive under the sync package: a count of permits and a FIFO of goroutines
// waiting for one. A release that finds a waiter hands its permit straight to it
// (the count does not move), so a permit released before the matching acquire
// parked is never lost, and a waiter is never overtaken by a later acquire while
// the queue is non-empty.
//
// Rejected: SemaphoreSlim (its waiters are Tasks: an allocation per wait, and its
// continuations run on the thread pool, not as the waiting goroutine).
//
// Invariants:
// - Permits > 0 implies no waiter (a release with waiters hands over instead).
// - Under _lock, always; no waiter is readied while it is held.
internal sealed class RuntimeSemaphore
{
    private readonly Lock _lock = new();
    private readonly Queue<SignalWaiter> _waiters = new();
    private int _permits;

    /// <summary>Takes a permit, parking with <paramref name="reason"/> until one is released.</summary>
    /// <remarks>Go: semacquire.</remarks>
    public ValueTask AcquireAsync(WaitReason reason)
    {
        SignalWaiter? waiter = TryAcquireOrQueue();
        return waiter is null ? default : waiter.ParkAsync(reason);
    }

    /// <summary>Takes a permit, blocking the calling thread (in a blocking region on a goroutine's) until one is released.</summary>
    public void Acquire()
    {
        TryAcquireOrQueue()?.Block();
    }

    /// <summary>Releases one permit: to the longest waiter if any, else to the count. Any thread.</summary>
    /// <remarks>Go: semrelease.</remarks>
    public void Release()
    {
        SignalWaiter? waiter;
        lock (_lock)
        {
            if (!_waiters.TryDequeue(out waiter))
            {
                _permits++;
                return;
            }
        }

        waiter.Ready();
    }

    private SignalWaiter? TryAcquireOrQueue()
    {
        lock (_lock)
        {
            if (_permits > 0)
            {
                _permits--;
                return null;
            }

            SignalWaiter waiter = SignalWaiter.Rent();
            _waiters.Enqueue(waiter);
            return waiter;
        }
    }
}
