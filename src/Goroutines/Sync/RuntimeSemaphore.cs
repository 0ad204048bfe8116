// Licensed under the MIT License.

using System.Threading;
using System.Threading.Tasks;

using Goroutines.Scheduling;

namespace Goroutines.Sync;

// RuntimeSemaphore: Go's runtime semaphore (semacquire/semrelease), the parking
// primitive under the sync package: a count of permits and a FIFO of goroutines
// waiting for one. A release that finds a waiter hands its permit straight to it
// (the count does not move), so a permit released before the matching acquire
// parked is never lost, and a waiter is never overtaken by a later acquire while
// the queue is non-empty. A waiter may ask to go first (Go's queueLifo: a mutex
// waiter woken once and beaten to the lock waits at the front again).
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

    // A ring used as a deque of waiters, oldest at _head; grows by doubling (4 picked without data).
    private SignalWaiter?[] _waiters = new SignalWaiter?[4];
    private int _head;
    private int _count;
    private int _permits;

    /// <summary>
    /// The semaphore in <paramref name="field"/>, created on first use: most locks are never
    /// contended, and an uncontended lock should cost a few bytes, as Go's. Any thread.
    /// </summary>
    public static RuntimeSemaphore Ensure(ref RuntimeSemaphore? field) =>
        Volatile.Read(ref field) ?? Interlocked.CompareExchange(ref field, new RuntimeSemaphore(), null) ?? field!;

    /// <summary>
    /// Takes a permit, parking with <paramref name="reason"/> until one is released; with
    /// <paramref name="first"/>, ahead of the waiters already queued.
    /// </summary>
    /// <remarks>Go: semacquire.</remarks>
    public ValueTask AcquireAsync(WaitReason reason, bool first = false)
    {
        SignalWaiter? waiter = TryAcquireOrQueue(first);
        return waiter is null ? default : waiter.ParkAsync(reason);
    }

    /// <summary>Takes a permit, blocking the calling thread (in a blocking region on a goroutine's) until one is released.</summary>
    /// <param name="first">Whether to wait ahead of the waiters already queued.</param>
    public void Acquire(bool first = false) => TryAcquireOrQueue(first)?.Block();

    /// <summary>Releases one permit: to the longest waiter if any, else to the count. Any thread.</summary>
    /// <remarks>Go: semrelease.</remarks>
    public void Release()
    {
        SignalWaiter waiter;
        lock (_lock)
        {
            if (_count == 0)
            {
                _permits++;
                return;
            }

            waiter = _waiters[_head]!;
            _waiters[_head] = null;
            _head = (_head + 1) % _waiters.Length;
            _count--;
        }

        waiter.Ready();
    }

    private SignalWaiter? TryAcquireOrQueue(bool first)
    {
        lock (_lock)
        {
            if (_permits > 0)
            {
                _permits--;
                return null;
            }

            if (_count == _waiters.Length)
            {
                var grown = new SignalWaiter?[_count * 2];
                for (int i = 0; i < _count; i++)
                {
                    grown[i] = _waiters[(_head + i) % _waiters.Length];
                }

                _waiters = grown;
                _head = 0;
            }

            SignalWaiter waiter = SignalWaiter.Rent();
            if (first)
            {
                _head = (_head + _waiters.Length - 1) % _waiters.Length;
                _waiters[_head] = waiter;
            }
            else
            {
                _waiters[(_head + _count) % _waiters.Length] = waiter;
            }

            _count++;
            return waiter;
        }
    }
}
