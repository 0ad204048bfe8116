// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

using Goroutines.Scheduling;

namespace Goroutines.Channels;

// ChannelWaiter<T>: Go's sudog for a channel of T. A parked send or receive rents
// one, links it into the channel's wait queue and awaits it; the partner that
// dequeues it hands the value over through it and wakes it. The three awaitable
// surfaces (send, receive, receive-with-ok) read the outcome in GetResult and return
// the waiter to the pool, so a park allocates nothing in steady state.
//
// A select keeps one SelectCaseWaiter<T> (a subclass) per case slot and reuses it
// across its rounds; those are never awaited themselves (the select's own waiter is)
// and never pooled.
//
// Invariants:
// - Linked in at most one wait queue at a time; Next/Previous/IsQueued are written
//   only under that channel's lock.
// - Value and Success are written by the partner under the channel's lock before the
//   wake-up, and read by the woken side after it.
[DebuggerDisplay("ChannelWaiter<{typeof(T).Name}> queued={IsQueued} success={Success}")]
internal class ChannelWaiter<T> : ChannelWaiter, IValueTaskSource, IValueTaskSource<T>, IValueTaskSource<(T Value, bool Ok)>
{
    /// <summary>Creates a plain waiter (the pool does).</summary>
    public ChannelWaiter()
        : base(isSelectCase: false)
    {
    }

    /// <summary>Creates a select case (<see cref="SelectCaseWaiter{T}"/>).</summary>
    protected ChannelWaiter(bool isSelectCase)
        : base(isSelectCase)
    {
    }

    /// <summary>The value being sent, or the value received.</summary>
    public T Value = default!;

    /// <summary>
    /// Next waiter in the channel's queue, under the channel's lock; after a close dequeued it, the
    /// next in the list of waiters the close wakes once it released the lock (Go's glist).
    /// </summary>
    public ChannelWaiter<T>? Next;

    /// <summary>Previous waiter in the channel's queue. Under the channel's lock.</summary>
    public ChannelWaiter<T>? Previous;

    /// <summary>Whether the waiter is linked in a wait queue. Under the channel's lock.</summary>
    public bool IsQueued;


    /// <summary>Records the wait reason of a receive awaited through another awaitable (a range loop's); returns the token.</summary>
    public short PrepareReceivePark()
    {
        SetWaitReason(WaitReason.ChanReceive);
        return Version;
    }

    /// <summary>Takes a waiter from the pool.</summary>
    public static ChannelWaiter<T> Rent() => WaiterPool<ChannelWaiter<T>>.Rent();

    /// <summary>The awaitable of a parked send; throws if a close woke it.</summary>
    public ValueTask SendTask()
    {
        SetWaitReason(WaitReason.ChanSend);
        return new ValueTask(this, Version);
    }

    /// <summary>The awaitable of a parked receive.</summary>
    public ValueTask<T> ReceiveTask()
    {
        SetWaitReason(WaitReason.ChanReceive);
        return new ValueTask<T>(this, Version);
    }

    /// <summary>The awaitable of a parked receive-with-ok.</summary>
    public ValueTask<(T Value, bool Ok)> ReceiveWithOkTask()
    {
        SetWaitReason(WaitReason.ChanReceive);
        return new ValueTask<(T Value, bool Ok)>(this, Version);
    }

    /// <summary>Blocks the calling thread until the send completes; throws if a close woke it.</summary>
    public void BlockForSend()
    {
        BlockUntilReady();
        ((IValueTaskSource)this).GetResult(Version);
    }

    /// <summary>Blocks the calling thread until the receive completes.</summary>
    public (T Value, bool Ok) BlockForReceive()
    {
        BlockUntilReady();
        return ((IValueTaskSource<(T Value, bool Ok)>)this).GetResult(Version);
    }

    /// <inheritdoc/>
    public ValueTaskSourceStatus GetStatus(short token) => GetStatusCore(token);

    /// <inheritdoc/>
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        OnCompletedCore(continuation, state, token, flags);

    /// <inheritdoc/>
    void IValueTaskSource.GetResult(short token)
    {
        bool sent = Success;
        Release(token);
        if (!sent)
        {
            throw ChannelPanics.SendOnClosedChannel();
        }
    }

    /// <inheritdoc/>
    T IValueTaskSource<T>.GetResult(short token)
    {
        T value = Value;
        Release(token);
        return value;
    }

    /// <inheritdoc/>
    (T Value, bool Ok) IValueTaskSource<(T Value, bool Ok)>.GetResult(short token)
    {
        (T Value, bool Ok) result = (Value, Success);
        Release(token);
        return result;
    }

    private void Release(short token)
    {
        EndPark(token);
        Debug.Assert(!IsQueued && !IsSelectCase, "a pooled channel waiter is still queued, or is a select case");
        Value = default!;
        Success = false;
        WaiterPool<ChannelWaiter<T>>.Return(this);
    }
}
