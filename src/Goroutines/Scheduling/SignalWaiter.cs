// Licensed under the MIT License.

using System;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace Goroutines.Scheduling;

/// <summary>
/// A pooled <see cref="Waiter"/> that carries no value: the park of a goroutine that only needs
/// to be told to go on (a nil channel's forever, a lock's hand-over). Rent, park, await once;
/// GetResult returns it to the pool.
/// </summary>
internal sealed class SignalWaiter : Waiter, IValueTaskSource
{
    /// <summary>Takes a waiter from the pool, or a new one.</summary>
    public static SignalWaiter Rent() => WaiterPool<SignalWaiter>.Rent();

    /// <summary>Returns an awaitable that completes when <see cref="Waiter.Ready"/> is called.</summary>
    /// <remarks>Go: gopark.</remarks>
    public ValueTask ParkAsync(WaitReason reason)
    {
        SetWaitReason(reason);
        return new ValueTask(this, Version);
    }

    /// <summary>
    /// Blocks the calling thread until <see cref="Waiter.Ready"/> (in a blocking region on a
    /// goroutine's thread), then returns the waiter to the pool: the synchronous forms' park.
    /// </summary>
    public void Block()
    {
        BlockUntilReady();
        GetResult(Version);
    }

    /// <summary>Returns a waiter that was rented but never parked (its operation completed without waiting).</summary>
    public void Discard() => WaiterPool<SignalWaiter>.Return(this);

    /// <inheritdoc/>
    public ValueTaskSourceStatus GetStatus(short token) => GetStatusCore(token);

    /// <inheritdoc/>
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        OnCompletedCore(continuation, state, token, flags);

    /// <inheritdoc/>
    public void GetResult(short token)
    {
        EndPark(token);
        WaiterPool<SignalWaiter>.Return(this);
    }
}
