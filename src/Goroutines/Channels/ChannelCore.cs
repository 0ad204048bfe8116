// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Scheduling;

namespace Goroutines.Channels;

/// <summary>
/// The element-type-free part of a channel (Go's hchan): its lock, its id for select's lock
/// order, its capacity and whether it is closed, and the operations a select performs on a case
/// without knowing the element type. See <see cref="ChannelCore{T}"/>.
/// </summary>
internal abstract class ChannelCore
{
    // Last id handed out; ids order the locks of a select (Go orders by address, which moves here).
    private static long s_lastId;

    // A canceled writability wait's token registration: withdraws its watcher.
    private static readonly Action<object?> s_withdrawWatcher = static state =>
    {
        (ChannelCore channel, SignalWaiter watcher) = ((ChannelCore, SignalWaiter))state!;
        channel.WithdrawWatcher(watcher);
    };

    /// <summary>Protects every mutable field of the channel. See <see cref="ChannelLock"/>.</summary>
    public ChannelLock Lock;

    /// <summary>The buffer's size; 0 for an unbuffered channel. Immutable.</summary>
    public readonly int Capacity;

    /// <summary>Set once by Close, under the lock; read without it only as a hint (Go's c.closed).</summary>
    protected volatile bool _closed;

    // Assigned on first use by a select (most channels never meet one). 0 until then.
    private long _id;

    // Adapters waiting until a send could proceed (ChannelWriter.WaitToWriteAsync); null while
    // none ever waited. The list is written under the lock; operations that may have made room
    // read the field after releasing it (WakeWritabilityWatchers).
    private volatile List<SignalWaiter>? _writabilityWatchers;

    // Completed once the channel is closed and drained (ChannelReader.Completion); null until asked for.
    private TaskCompletionSource? _drained;

    // The error a ChannelWriter adapter completed the channel with, if any: it faults Drained.
    private Exception? _closeError;

    /// <summary>Initializes the common part of a channel, belonging to <paramref name="owner"/> (a bubble's: only its goroutines use it).</summary>
    protected ChannelCore(int capacity, Bubble? owner)
    {
        Capacity = capacity;
        OwnerBubble = owner;
    }

    /// <summary>The bubble the channel was made in, or null: only that bubble's goroutines may send or receive on it.</summary>
    public Bubble? OwnerBubble { get; }

    /// <summary>Fails when the caller may not use this channel: it belongs to a bubble the caller is not in.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void CheckBubbleAccess() => OwnerBubble?.CheckChannelAccess();

    /// <summary>
    /// Whether a park of the running goroutine on this channel waits outside its bubble
    /// (Bubble.WaitsOutsideItsBubble); false at once while no bubble lives.
    /// </summary>
    public bool WaitsOutsideCallersBubble
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Bubble.AnyLive && Bubble.WaitsOutsideItsBubble(OwnerBubble);
    }

    /// <summary>
    /// Marks <paramref name="parked"/>, just queued here, as waiting outside the caller's bubble
    /// if it does: its await, if it registers (the operation did not complete first), makes the
    /// step's park not durable.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void NoteParking(Waiter parked)
    {
        if (WaitsOutsideCallersBubble)
        {
            parked.MarkWaitingOutsideBubble();
        }
    }

    /// <summary>A process-unique id, assigned on first use; select takes locks in ascending id order.</summary>
    public long Id
    {
        get
        {
            long id = Volatile.Read(ref _id);
            return id != 0 ? id : AssignId();
        }
    }

    /// <summary>Whether the channel is closed. Racy unless the lock is held.</summary>
    public bool IsClosed => _closed;

    /// <summary>The error a writer adapter completed the channel with, once it is closed; null otherwise.</summary>
    public Exception? CloseError => _closed ? Volatile.Read(ref _closeError) : null;

    /// <summary>Number of buffered values (Go's len). Racy, as in Go.</summary>
    public abstract int Count { get; }

    /// <summary>
    /// Select's poll of a receive case: completes it into <paramref name="waiter"/> if a value or a
    /// close is there. <paramref name="partner"/> is a waiter to wake after every lock is released.
    /// The lock must be held.
    /// </summary>
    public abstract CaseOutcome TryReceiveLocked(ChannelWaiter waiter, out ChannelWaiter? partner);

    /// <summary>
    /// Select's poll of a send case: hands over <paramref name="waiter"/>'s value if a receiver or
    /// buffer space is there; <see cref="CaseOutcome.Closed"/> if the channel is closed (the select
    /// throws). The lock must be held.
    /// </summary>
    public abstract CaseOutcome TrySendLocked(ChannelWaiter waiter, out ChannelWaiter? partner);

    /// <summary>Parks a select case: links <paramref name="waiter"/> into the wait queue of its kind. The lock must be held.</summary>
    public abstract void EnqueueLocked(ChannelWaiter waiter, bool isSend);

    /// <summary>Unlinks a losing select case if it is still linked. The lock must be held.</summary>
    public abstract void RemoveLocked(ChannelWaiter waiter, bool isSend);

    /// <summary>
    /// A task that completes once the channel is closed and its buffer drained. Created on first
    /// request; completed under the lock, its continuations run asynchronously.
    /// </summary>
    public Task Drained
    {
        get
        {
            Lock.Enter();
            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_closed && Count == 0)
            {
                SignalDrainedLocked();
            }

            Lock.Exit();
            return _drained.Task;
        }
    }

    /// <summary>
    /// Waits until a send would not block (a receiver is parked or the buffer has room); false
    /// once the channel is closed. For ChannelWriter.WaitToWriteAsync; allocates a list once.
    /// </summary>
    /// <param name="cancellationToken">Withdraws the watcher and ends the wait with <see cref="OperationCanceledException"/>.</param>
    public async ValueTask<bool> WaitUntilWritableAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            SignalWaiter watcher;
            Lock.Enter();
            if (_closed || IsWritableLocked)
            {
                bool open = !_closed;
                Lock.Exit();
                return open;
            }

            watcher = SignalWaiter.Rent();
            (_writabilityWatchers ??= []).Add(watcher);
            Lock.Exit();
            using (cancellationToken.UnsafeRegister(s_withdrawWatcher, (this, watcher)))
            {
                await watcher.ParkAsync(WaitReason.ChanSend).ConfigureAwait(true);
            }

            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>The ChannelWriter adapters waiting for room now (diagnostics and tests).</summary>
    public int WritabilityWatcherCount
    {
        get
        {
            Lock.Enter();
            int count = _writabilityWatchers?.Count ?? 0;
            Lock.Exit();
            return count;
        }
    }

    // Takes a canceled wait's watcher out of the list and readies it, unless a wake took the list
    // first (then that wake readies it): once either way, and nothing is left behind.
    private void WithdrawWatcher(SignalWaiter watcher)
    {
        Lock.Enter();
        bool listed = _writabilityWatchers?.Remove(watcher) == true;
        Lock.Exit();
        if (listed)
        {
            watcher.Ready();
        }
    }

    /// <summary>
    /// Wakes the adapters waiting for room, if any. Called after releasing the lock by every
    /// operation that may have made a send possible: a receive took a buffered value, a receiver
    /// parked, a close.
    /// </summary>
    public void WakeWritabilityWatchers()
    {
        if (_writabilityWatchers is null)
        {
            return;
        }

        Lock.Enter();
        List<SignalWaiter>? watchers = _writabilityWatchers;
        _writabilityWatchers = null;
        Lock.Exit();
        if (watchers is null)
        {
            return; // another thread took them meanwhile
        }

        foreach (SignalWaiter watcher in watchers)
        {
            watcher.Ready();
        }
    }

    /// <summary>Whether a send would complete now. The lock must be held.</summary>
    protected abstract bool IsWritableLocked { get; }

    /// <summary>Completes <see cref="Drained"/> if someone asked for it. The lock must be held; the channel is closed and empty.</summary>
    protected void SignalDrainedLocked()
    {
        if (_closeError is { } error)
        {
            _drained?.TrySetException(error);
        }
        else
        {
            _drained?.TrySetResult();
        }
    }

    /// <summary>Records the error of a writer adapter's Complete, before the close. The lock must be held.</summary>
    protected void SetCloseErrorLocked(Exception? error) => _closeError = error;

    private long AssignId()
    {
        long id = Interlocked.Increment(ref s_lastId);
        long previous = Interlocked.CompareExchange(ref _id, id, 0);
        return previous == 0 ? id : previous;
    }
}
