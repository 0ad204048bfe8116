// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Scheduling;

namespace Goroutines.Sync;

// WeightedSemaphore: Go's golang.org/x/sync/semaphore.Weighted. A size, the weight
// held now, and a FIFO of waiters with the weight each asks for, under one lock.
// Release grants waiters in order while the one at the head fits: a large request at
// the head is not overtaken by smaller ones behind it (no barging), so it cannot
// starve. TryAcquire, likewise, fails while anyone waits.
//
// Invariants:
// - 0 <= _held <= Size, under _lock.
// - A waiter is granted (its weight added to _held) before it is readied, under _lock.

/// <summary>
/// Go's weighted semaphore (<c>golang.org/x/sync/semaphore</c>): bounds access to a resource of
/// a given size, each acquisition taking some weight of it. Parks goroutines, never threads;
/// waiters are served first in, first out, and a waiter is never overtaken by a smaller request.
/// </summary>
/// <remarks>
/// A <see cref="Release"/> happens-before the acquisitions it lets through return. Go's
/// <c>Acquire(ctx, n)</c> with a context comes with the <c>context</c> package.
/// </remarks>
public sealed class WeightedSemaphore
{
    private readonly Lock _lock = new();
    private readonly LinkedList<(long Weight, SignalWaiter Waiter)> _waiters = new();
    private long _held;

    /// <summary>Creates a semaphore of total weight <paramref name="size"/> (Go's <c>semaphore.NewWeighted</c>).</summary>
    /// <param name="size">The total weight that may be held at once.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is negative.</exception>
    public WeightedSemaphore(long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        Size = size;
    }

    /// <summary>The total weight that may be held at once.</summary>
    public long Size { get; }

    /// <summary>
    /// Acquires <paramref name="weight"/>, parking the goroutine until that much is free and every
    /// earlier waiter was served (Go's <c>s.Acquire</c>).
    /// </summary>
    /// <param name="weight">The weight to acquire, from 0 to <see cref="Size"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="weight"/> is negative or larger than <see cref="Size"/> (it could never be acquired).</exception>
    public ValueTask AcquireAsync(long weight)
    {
        SignalWaiter? waiter = TryAcquireOrQueue(weight);
        return waiter is null ? default : waiter.ParkAsync(WaitReason.SyncSemaphoreAcquire);
    }

    /// <summary>
    /// Acquires <paramref name="weight"/>, blocking the calling thread until it is granted (in a
    /// blocking region on a goroutine's thread). Prefer <see cref="AcquireAsync"/> in goroutines.
    /// </summary>
    /// <inheritdoc cref="AcquireAsync" path="/param"/>
    /// <inheritdoc cref="AcquireAsync" path="/exception"/>
    public void Acquire(long weight) => TryAcquireOrQueue(weight)?.Block();

    /// <summary>Acquires <paramref name="weight"/> if it is free and nobody waits (Go's <c>s.TryAcquire</c>).</summary>
    /// <param name="weight">The weight to acquire.</param>
    /// <returns>True if acquired.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="weight"/> is negative.</exception>
    public bool TryAcquire(long weight)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(weight);
        lock (_lock)
        {
            if (Size - _held < weight || _waiters.Count != 0)
            {
                return false;
            }

            _held += weight;
            return true;
        }
    }

    /// <summary>Releases <paramref name="weight"/> and grants waiters that now fit, in order (Go's <c>s.Release</c>).</summary>
    /// <param name="weight">The weight to release.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="weight"/> is negative.</exception>
    /// <exception cref="SynchronizationLockException">More is released than is held (Go's panic "semaphore: released more than held").</exception>
    public void Release(long weight)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(weight);
        List<SignalWaiter>? granted = null;
        lock (_lock)
        {
            if (weight > _held)
            {
                throw new SynchronizationLockException("semaphore: released more than held");
            }

            _held -= weight;
            while (_waiters.First is { } first && Size - _held >= first.Value.Weight)
            {
                _held += first.Value.Weight;
                _waiters.RemoveFirst();
                (granted ??= []).Add(first.Value.Waiter);
            }
        }

        if (granted is not null)
        {
            foreach (SignalWaiter waiter in granted)
            {
                waiter.Ready();
            }
        }
    }

    private SignalWaiter? TryAcquireOrQueue(long weight)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(weight);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(weight, Size);
        lock (_lock)
        {
            if (Size - _held >= weight && _waiters.Count == 0)
            {
                _held += weight;
                return null;
            }

            SignalWaiter waiter = SignalWaiter.Rent();
            _waiters.AddLast((weight, waiter));
            return waiter;
        }
    }
}
