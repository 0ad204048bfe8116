// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Scheduling;

namespace Goroutines.Channels;

// ChannelCore<T>: Go's hchan for a channel of T — a lock, an optional ring buffer,
// the FIFO queues of parked senders and receivers, and the closed flag. Chan<T> and
// its direction views are handles to one; a null handle is the nil channel.
//
// Operations (all under the lock; partners are woken after it is released):
//   send:    closed -> throw; a parked receiver -> hand the value straight to it;
//            buffer space -> append; else park a waiter holding the value.
//   receive: a parked sender -> take its value (unbuffered), or take the buffer's
//            head and append the sender's value in its place (full buffer, so FIFO
//            holds); a buffered value -> take it; closed -> zero value, ok = false;
//            else park a waiter.
//   close:   closed -> throw; mark closed; wake every parked receiver (zero, ok =
//            false) and every parked sender (its send throws). Buffered values stay
//            to be drained.
// The non-blocking forms first look without the lock (Go's fast paths for select
// with default): "would block" can be decided from racy reads, because a racing
// operation could as well have come a moment later.
//
// Async operations are safe points: when sysmon asked the goroutine to yield, they
// yield first (SafePoint), even when they could complete at once.
//
// Invariants (Go's chan.go):
// - At least one of the sender and receiver queues holds only lost select cases,
//   except transiently inside a select that has both a send and a receive case on
//   this channel.
// - Buffered: count > 0 implies no parked receiver; count < capacity implies no
//   parked sender.
// - Unbuffered: count == 0 always.
// - Closed implies no parked sender or receiver.
[DebuggerDisplay("chan {typeof(T).Name} (len {Count}, cap {Capacity}, closed {IsClosed})")]
internal sealed class ChannelCore<T> : ChannelCore
{
    private readonly T[]? _buffer;
    private int _head;   // index of the oldest buffered value; under the lock
    private int _count;  // buffered values; written under the lock, read racily by Count
    private WaitQueue<T> _receivers;
    private WaitQueue<T> _senders;

    /// <summary>Creates a channel with a buffer of <paramref name="capacity"/> values (0: unbuffered); one made inside a bubble belongs to it.</summary>
    public ChannelCore(int capacity)
        : this(capacity, Bubble.Current)
    {
    }

    /// <summary>Creates a channel that belongs to <paramref name="owner"/>, whatever the caller's bubble (null: to none, a channel shared by the process).</summary>
    public ChannelCore(int capacity, Bubble? owner)
        : base(capacity, owner)
    {
        _buffer = capacity > 0 ? new T[capacity] : null;
    }

    /// <inheritdoc/>
    public override int Count => Volatile.Read(ref _count);

    // ---------------------------------------------------------------- send

    /// <summary>Sends <paramref name="value"/>, parking until a receiver or buffer space takes it.</summary>
    /// <remarks>Go: chansend.</remarks>
    public ValueTask SendAsync(T value)
    {
        if (SafePoint.ShouldYield)
        {
            return SendAfterYieldAsync(value);
        }

        return TrySendOrPark(value, out ChannelWaiter<T>? parked) ? default : parked!.SendTask();
    }

    /// <summary>Sends <paramref name="value"/>, blocking the thread until it is taken.</summary>
    public void Send(T value)
    {
        Bubble.ThrowIfBlockingInBubble();
        if (!TrySendOrPark(value, out ChannelWaiter<T>? parked))
        {
            parked!.BlockForSend();
        }
    }

    /// <summary>Sends if that needs no waiting (Go: select with a default case).</summary>
    public bool TrySend(T value)
    {
        CheckBubbleAccess();
        if (!_closed && IsFullForSend)
        {
            return false;
        }

        Lock.Enter();
        AssertInvariants();
        ThrowIfClosedLocked();
        bool sent = SendLocked(value, out ChannelWaiter<T>? receiver);
        Lock.Exit();
        if (receiver is not null)
        {
            HandOver(receiver, value);
        }

        return sent;
    }

    private bool TrySendOrPark(T value, out ChannelWaiter<T>? parked)
    {
        CheckBubbleAccess();
        Lock.Enter();
        AssertInvariants();
        ThrowIfClosedLocked();
        if (SendLocked(value, out ChannelWaiter<T>? receiver))
        {
            Lock.Exit();
            if (receiver is not null)
            {
                HandOver(receiver, value);
            }

            parked = null;
            return true;
        }

        ChannelWaiter<T> waiter = ChannelWaiter<T>.Rent();
        waiter.Value = value;
        _senders.Enqueue(waiter);
        Lock.Exit();
        NoteParking(waiter);
        parked = waiter;
        return false;
    }

    // Takes a parked receiver to hand the value to (after the lock is released), or appends the
    // value to the buffer; false if the send would block. The lock must be held, the channel open.
    private bool SendLocked(T value, out ChannelWaiter<T>? receiver)
    {
        receiver = _receivers.Dequeue();
        if (receiver is not null)
        {
            return true;
        }

        if (_count < Capacity)
        {
            AppendLocked(value);
            return true;
        }

        return false;
    }

    private void ThrowIfClosedLocked()
    {
        if (_closed)
        {
            Lock.Exit();
            throw ChannelPanics.SendOnClosedChannel();
        }
    }

    private async ValueTask SendAfterYieldAsync(T value)
    {
        await Go.YieldAsync();
        await SendAsync(value).ConfigureAwait(true);
    }

    // ---------------------------------------------------------------- receive

    /// <summary>Receives a value, parking until one arrives; the zero value once closed and drained.</summary>
    /// <remarks>Go: chanrecv1.</remarks>
    public ValueTask<T> ReceiveAsync()
    {
        if (SafePoint.ShouldYield)
        {
            return ReceiveAfterYieldAsync();
        }

        return TryReceiveOrPark(out T value, out _, out ChannelWaiter<T>? parked) ? new ValueTask<T>(value) : parked!.ReceiveTask();
    }

    /// <summary>Receives a value and whether it came from a send (false: closed and drained).</summary>
    /// <remarks>Go: chanrecv2.</remarks>
    public ValueTask<(T Value, bool Ok)> ReceiveWithOkAsync()
    {
        if (SafePoint.ShouldYield)
        {
            return ReceiveWithOkAfterYieldAsync();
        }

        return TryReceiveOrPark(out T value, out bool ok, out ChannelWaiter<T>? parked)
            ? new ValueTask<(T Value, bool Ok)>((value, ok))
            : parked!.ReceiveWithOkTask();
    }

    /// <summary>Receives, blocking the thread until a value or a close arrives.</summary>
    public (T Value, bool Ok) Receive()
    {
        Bubble.ThrowIfBlockingInBubble();
        return TryReceiveOrPark(out T value, out bool ok, out ChannelWaiter<T>? parked)
            ? (value, ok)
            : parked!.BlockForReceive();
    }

    /// <summary>
    /// Receives if that needs no waiting (Go: select with a default case). True with ok == false
    /// when the channel is closed and drained.
    /// </summary>
    public bool TryReceive(out T value, out bool ok)
    {
        CheckBubbleAccess();
        if (IsEmptyForReceive)
        {
            // Closed is read after emptiness: a channel seen empty and then closed was closed
            // while empty, so reporting "closed" is right (Go's ordering argument in chanrecv).
            if (!_closed)
            {
                value = default!;
                ok = false;
                return false;
            }

            if (IsEmptyForReceive)
            {
                value = default!;
                ok = false;
                return true;
            }
        }

        Lock.Enter();
        AssertInvariants();
        CaseOutcome outcome = ReceiveLocked(out value, out ChannelWaiter<T>? sender);
        Lock.Exit();
        sender?.Wake();
        WakeWritabilityWatchers();
        ok = outcome == CaseOutcome.Completed;
        return outcome != CaseOutcome.WouldBlock;
    }

    /// <summary>Receives at once, or parks a waiter (returned in <paramref name="parked"/>) to be awaited.</summary>
    public bool TryReceiveOrPark(out T value, out bool ok, out ChannelWaiter<T>? parked)
    {
        CheckBubbleAccess();
        Lock.Enter();
        AssertInvariants();
        CaseOutcome outcome = ReceiveLocked(out value, out ChannelWaiter<T>? sender);
        if (outcome != CaseOutcome.WouldBlock)
        {
            Lock.Exit();
            sender?.Wake();
            WakeWritabilityWatchers();
            ok = outcome == CaseOutcome.Completed;
            parked = null;
            return true;
        }

        ChannelWaiter<T> waiter = ChannelWaiter<T>.Rent();
        _receivers.Enqueue(waiter);
        Lock.Exit();
        NoteParking(waiter);
        WakeWritabilityWatchers();
        ok = false;
        parked = waiter;
        return false;
    }

    // Takes a value from a parked sender or the buffer, or reports closed or would-block. A
    // sender it took from must be woken (after the lock is released). The lock must be held.
    private CaseOutcome ReceiveLocked(out T value, out ChannelWaiter<T>? sender)
    {
        sender = _senders.Dequeue();
        if (sender is not null)
        {
            if (_buffer is null)
            {
                value = sender.Value;
            }
            else
            {
                // Full buffer: take its head, and the sender's value takes the freed slot at the tail.
                value = _buffer[_head];
                _buffer[_head] = sender.Value;
                _head = _head + 1 == _buffer.Length ? 0 : _head + 1;
            }

            sender.Value = default!;
            sender.Success = true;
            return CaseOutcome.Completed;
        }

        if (_count > 0)
        {
            T[] buffer = _buffer!;
            value = buffer[_head];
            buffer[_head] = default!;
            _head = _head + 1 == buffer.Length ? 0 : _head + 1;
            Volatile.Write(ref _count, _count - 1);
            if (_closed && _count == 0)
            {
                SignalDrainedLocked();
            }

            return CaseOutcome.Completed;
        }

        value = default!;
        return _closed ? CaseOutcome.Closed : CaseOutcome.WouldBlock;
    }

    private async ValueTask<T> ReceiveAfterYieldAsync()
    {
        await Go.YieldAsync();
        return await ReceiveAsync().ConfigureAwait(true);
    }

    private async ValueTask<(T Value, bool Ok)> ReceiveWithOkAfterYieldAsync()
    {
        await Go.YieldAsync();
        return await ReceiveWithOkAsync().ConfigureAwait(true);
    }

    // ---------------------------------------------------------------- close

    /// <summary>Closes the channel, waking every parked receiver and sender.</summary>
    /// <remarks>Go: closechan.</remarks>
    public void Close()
    {
        if (!TryClose(error: null))
        {
            throw ChannelPanics.CloseOfClosedChannel();
        }
    }

    /// <summary>Closes the channel unless it is closed already; <paramref name="error"/> faults <see cref="ChannelCore.Drained"/>.</summary>
    public bool TryClose(Exception? error)
    {
        Lock.Enter();
        AssertInvariants();
        if (_closed)
        {
            Lock.Exit();
            return false;
        }

        SetCloseErrorLocked(error);
        _closed = true;
        if (_count == 0)
        {
            SignalDrainedLocked();
        }

        ChannelWaiter<T>? toWake = null;
        while (_receivers.Dequeue() is { } receiver)
        {
            receiver.Value = default!;
            receiver.Success = false;
            receiver.Next = toWake;
            toWake = receiver;
        }

        while (_senders.Dequeue() is { } sender)
        {
            sender.Value = default!;
            sender.Success = false;
            sender.Next = toWake;
            toWake = sender;
        }

        Lock.Exit();
        while (toWake is not null)
        {
            ChannelWaiter<T> waiter = toWake;
            toWake = waiter.Next;
            waiter.Next = null; // before the wake-up: the waiter may be reused at once
            waiter.Wake();
        }

        WakeWritabilityWatchers();
        return true;
    }

    // ---------------------------------------------------------------- select

    /// <inheritdoc/>
    public override CaseOutcome TryReceiveLocked(ChannelWaiter waiter, out ChannelWaiter? partner)
    {
        AssertInvariants();
        var typed = Unsafe.As<ChannelWaiter<T>>(waiter);
        CaseOutcome outcome = ReceiveLocked(out typed.Value, out ChannelWaiter<T>? sender);
        typed.Success = outcome == CaseOutcome.Completed;
        partner = sender;
        return outcome;
    }

    /// <inheritdoc/>
    public override CaseOutcome TrySendLocked(ChannelWaiter waiter, out ChannelWaiter? partner)
    {
        AssertInvariants();
        partner = null;
        if (_closed)
        {
            return CaseOutcome.Closed;
        }

        var typed = Unsafe.As<ChannelWaiter<T>>(waiter);
        if (!SendLocked(typed.Value, out ChannelWaiter<T>? receiver))
        {
            return CaseOutcome.WouldBlock;
        }

        if (receiver is not null)
        {
            receiver.Value = typed.Value;
            receiver.Success = true;
            partner = receiver;
        }

        typed.Value = default!;
        typed.Success = true;
        return CaseOutcome.Completed;
    }

    /// <inheritdoc/>
    public override void EnqueueLocked(ChannelWaiter waiter, bool isSend)
    {
        var typed = Unsafe.As<ChannelWaiter<T>>(waiter);
        if (isSend)
        {
            _senders.Enqueue(typed);
        }
        else
        {
            _receivers.Enqueue(typed);
        }
    }

    /// <inheritdoc/>
    public override void RemoveLocked(ChannelWaiter waiter, bool isSend)
    {
        var typed = Unsafe.As<ChannelWaiter<T>>(waiter);
        if (isSend)
        {
            _senders.Remove(typed);
        }
        else
        {
            _receivers.Remove(typed);
        }
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>Describes a channel handle for ToString: <c>chan Int32 (len 1, cap 4)</c>, or <c>(nil)</c>.</summary>
    public static string Describe(string kind, ChannelCore<T>? core)
    {
        string type = $"{kind} {typeof(T).Name}";
        return core is null ? $"{type} (nil)" : $"{type} (len {core.Count}, cap {core.Capacity}{(core.IsClosed ? ", closed" : "")})";
    }

    /// <inheritdoc/>
    protected override bool IsWritableLocked => _buffer is null ? !_receivers.IsEmpty : _count < Capacity;

    // Racy: whether a send would block now (Go: full).
    private bool IsFullForSend => _buffer is null ? _receivers.IsEmpty : Volatile.Read(ref _count) == Capacity;

    // Racy: whether a receive would block now (Go: empty).
    private bool IsEmptyForReceive => _buffer is null ? _senders.IsEmpty : Volatile.Read(ref _count) == 0;

    private static void HandOver(ChannelWaiter<T> receiver, T value)
    {
        receiver.Value = value;
        receiver.Success = true;
        receiver.Wake();
    }

    private void AppendLocked(T value)
    {
        T[] buffer = _buffer!;
        int tail = _head + _count;
        if (tail >= buffer.Length)
        {
            tail -= buffer.Length;
        }

        buffer[tail] = value;
        Volatile.Write(ref _count, _count + 1);
    }

    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        Debug.Assert(Lock.IsHeld, "the channel's lock must be held");
        Debug.Assert(_count >= 0 && _count <= Capacity, "buffered count out of range");
        Debug.Assert(!_closed || (_receivers.IsEmpty && _senders.IsEmpty), "a closed channel has parked waiters");
    }
}
