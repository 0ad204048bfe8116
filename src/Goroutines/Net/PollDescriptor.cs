// Licensed under the MIT License.

using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Scheduling;

namespace Goroutines.Net;

// PollDescriptor: Go's pollDesc. One per socket, registered with the netpoller
// (NetPoller.cs) for the socket's whole life, edge-triggered. It holds, for each
// direction (read, write), one slot and one deadline.
//
// A slot is null (nothing known), Ready (an edge arrived since the last attempt), or
// the parked goroutine's waiter (a SignalWaiter, or a read's own ReadWaiter). The
// protocol, as Go's netpollblock/netpollunblock:
//   Attempt:  Reset clears Ready, CheckError fails on a close or an expired deadline,
//             then the non-blocking system call runs. EAGAIN: WaitAsync.
//   WaitAsync/TryPark: Ready already there: return at once (the next attempt clears
//             it). Else CAS the waiter in from null (an edge that slipped in makes the
//             CAS fail: return at once), then re-check the error state (a close or a
//             deadline that ran before the CAS did not see the waiter: withdraw).
//   An edge (the poller): exchange Ready in; a waiter that was there is readied.
//   A close or an expired deadline: take the waiter out (CAS to null) and ready it;
//             it sees the error at its next attempt.
// The waiter's publication and the re-check are a Dekker pair with Close's and the
// deadline's store followed by their read of the slot: both sides use full fences,
// so either the waiter sees the error or the waker sees the waiter.
//
// A deadline is 0 (none), -1 (expired) or a positive timestamp of the runtime's clock,
// kept in the direction's runtime timer (DeadlineTimer), allocated at the first
// deadline (a socket that never has one pays a null reference): it lives in the
// processors' timer heaps, not a .NET timer. A direction's deadline and its timer
// change only under the timer's monitor, which is also where the timer fires, so a
// firing for a deadline moved meanwhile is stale (StoppableTimer's generation) and an
// extended deadline is never expired by its old timer.
//
// Invariants:
// - At most one waiter per slot: callers serialize each direction (NetSocket's locks).
// - _ioWaiters of the poller counts the waiters in slots: incremented before a waiter
//   is published, decremented by whoever takes it out.
internal sealed class PollDescriptor
{
    private static readonly object s_ready = new();

    private readonly NetPoller _poller;

    // null, s_ready or the parked waiter; see the header.
    private object? _readSlot;
    private object? _writeSlot;

    // Each direction's deadline lives in its timer, created by the first deadline set.
    private DeadlineTimer? _readTimer;
    private DeadlineTimer? _writeTimer;

    // 1 once Close began; written with an exchange (the Dekker pair of the header).
    private int _closing;

    // Set by the poller, before the edge that carries it, when the peer's end of stream or an
    // error arrived (EPOLLRDHUP, EPOLLHUP, EPOLLERR); never cleared.
    private volatile bool _readClosed;

    public PollDescriptor(NetPoller poller)
    {
        _poller = poller;
    }

    /// <summary>The epoll data of this registration: its table index and a generation (NetPoller.cs).</summary>
    public ulong Token { get; set; }

    /// <summary>Whether <see cref="Close"/> began.</summary>
    public bool IsClosing => Volatile.Read(ref _closing) != 0;

    /// <summary>
    /// Whether the peer's end of stream (or an error) has reached the socket. A read after which
    /// the kernel reported nothing queued may leave it pending, with no edge to come: NetSocket
    /// parks before its next read only while this is false. Set before the edge that carries it,
    /// so a read that cleared that edge sees it.
    /// </summary>
    public bool IsReadClosed => _readClosed;

    /// <summary>The poller saw the peer's end of stream or an error. The poller only, before <see cref="SetReady"/>.</summary>
    public void NoteReadClosed() => _readClosed = true;

    /// <summary>Clears an edge seen before this attempt (Go: poll_runtime_pollReset).</summary>
    public void Reset(PollMode mode)
    {
        ref object? slot = ref Slot(mode);
        if (Volatile.Read(ref slot) == s_ready)
        {
            Interlocked.CompareExchange(ref slot, null, s_ready);
        }
    }

    /// <summary>The error an attempt in <paramref name="mode"/> must fail with now, if any (Go: netpollcheckerr).</summary>
    public PollError CheckError(PollMode mode)
    {
        if (Volatile.Read(ref _closing) != 0)
        {
            return PollError.Closing;
        }

        DeadlineTimer? timer = mode == PollMode.Read ? _readTimer : _writeTimer;
        return timer is not null && Volatile.Read(ref timer.Deadline) < 0 ? PollError.Timeout : PollError.None;
    }

    /// <summary>
    /// Parks the calling goroutine until the socket may be ready in <paramref name="mode"/>, or a
    /// close or deadline wakes it; returns at once if an edge already arrived. The caller retries
    /// its attempt afterwards (which sees any error). One caller per direction at a time.
    /// </summary>
    /// <remarks>Go: poll_runtime_pollWait and netpollblock.</remarks>
    public ValueTask WaitAsync(PollMode mode)
    {
        SignalWaiter? waiter = TryPublishWaiter(mode);
        return waiter is null ? default : waiter.ParkAsync(WaitReason.IOWait);
    }

    /// <summary>
    /// The synchronous form of <see cref="WaitAsync"/>: blocks the calling thread (in a blocking
    /// region on a goroutine's thread, so its processor is handed off).
    /// </summary>
    public void Wait(PollMode mode) => TryPublishWaiter(mode)?.Block();

    // Publishes a pooled signal waiter in the slot and returns it, or returns null when the caller must retry at once.
    private SignalWaiter? TryPublishWaiter(PollMode mode)
    {
        if (Volatile.Read(ref Slot(mode)) is not null)
        {
            return null; // an edge arrived since the attempt
        }

        SignalWaiter waiter = SignalWaiter.Rent();
        if (TryPark(waiter, mode))
        {
            return waiter;
        }

        waiter.Discard();
        return null;
    }

    /// <summary>
    /// Publishes <paramref name="waiter"/> in the slot of <paramref name="mode"/>: true when it is
    /// parked there (an edge, a close or a deadline will ready it), false when the caller must
    /// attempt again at once (an edge arrived since its attempt, or an error is pending).
    /// </summary>
    /// <remarks>Go: netpollblock.</remarks>
    public bool TryPark(Waiter waiter, PollMode mode)
    {
        ref object? slot = ref Slot(mode);
        _poller.AddWaiter();
        if (Interlocked.CompareExchange(ref slot, waiter, null) is not null)
        {
            _poller.RemoveWaiter();
            return false;
        }

        // The CAS above is a full fence: either Close or the deadline sees the waiter, or this sees them.
        if (CheckError(mode) != PollError.None && Interlocked.CompareExchange(ref slot, null, waiter) == waiter)
        {
            _poller.RemoveWaiter();
            return false;
        }

        if (Machine.Current is null && !_poller.IsBlockingPollInProgress)
        {
            // Parked from outside the runtime (a plain thread's blocking read, a continuation on the
            // thread pool): no machine of ours is about to poll, so start one that will, rather than
            // leave the edge to sysmon's poll 10 ms later.
            Scheduler.Instance.Wakep();
        }

        return true;
    }

    /// <summary>An edge for <paramref name="mode"/>: readies its waiter, if any. The poller only.</summary>
    /// <remarks>Go: netpollready and netpollunblock with ioready.</remarks>
    public void SetReady(PollMode mode)
    {
        ref object? slot = ref Slot(mode);
        if (Volatile.Read(ref slot) == s_ready)
        {
            return;
        }

        object? previous = Interlocked.Exchange(ref slot, s_ready);
        if (previous is not null && previous != s_ready)
        {
            _poller.RemoveWaiter();
            AsWaiter(previous).Ready();
        }
    }

    /// <summary>
    /// Wakes the waiter of <paramref name="mode"/>, if any, without an edge: for a close, an expired
    /// deadline or a cancellation, which its next attempt checks for.
    /// </summary>
    public void Interrupt(PollMode mode)
    {
        ref object? slot = ref Slot(mode);
        object? current = Volatile.Read(ref slot);
        if (current is not null && current != s_ready && Interlocked.CompareExchange(ref slot, null, current) == current)
        {
            _poller.RemoveWaiter();
            AsWaiter(current).Ready();
        }
    }

    /// <summary>
    /// Sets the deadline of <paramref name="mode"/>: none (null), a timestamp of the runtime's
    /// clock, or one already passed (fails the waiting call and every later one). A call blocked
    /// meanwhile goes on under the new deadline.
    /// </summary>
    /// <remarks>Go: poll_runtime_pollSetDeadline.</remarks>
    public void SetDeadline(PollMode mode, long? when)
    {
        if (IsClosing)
        {
            return; // a closed socket's calls fail with the closed error; a timer would only keep it queued
        }

        ref DeadlineTimer? timerSlot = ref mode == PollMode.Read ? ref _readTimer : ref _writeTimer;
        DeadlineTimer? timer = Volatile.Read(ref timerSlot);
        if (timer is null)
        {
            if (when is null)
            {
                return;
            }

            timer = Interlocked.CompareExchange(ref timerSlot, new DeadlineTimer(this, mode), null) ?? timerSlot!;
        }

        Scheduler scheduler = Scheduler.Instance;
        bool expired = false;
        lock (timer)
        {
            if (when is not { } at)
            {
                timer.Stop();
                Volatile.Write(ref timer.Deadline, 0);
            }
            else if (at <= scheduler.Now())
            {
                timer.Stop();
                Interlocked.Exchange(ref timer.Deadline, -1); // full fence before Interrupt reads the slot
                expired = true;
            }
            else
            {
                Volatile.Write(ref timer.Deadline, at);
                timer.Reset(at, 0);
            }
        }

        if (expired)
        {
            Interrupt(mode);
        }
    }

    /// <summary>The direction's timer fired for its current deadline (under the timer's monitor).</summary>
    internal void ExpireDeadline(DeadlineTimer timer, PollMode mode)
    {
        Interlocked.Exchange(ref timer.Deadline, -1); // full fence before Interrupt reads the slot
        Interrupt(mode);
    }

    /// <summary>
    /// Marks the descriptor closing, wakes both directions' waiters (they fail with the closed
    /// error), stops the deadline timers and leaves the poller. Idempotent.
    /// </summary>
    /// <remarks>Go: poll_runtime_pollUnblock, then poll_runtime_pollClose.</remarks>
    public bool Close()
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            return false;
        }

        Interrupt(PollMode.Read);
        Interrupt(PollMode.Write);
        _readTimer?.Stop();
        _writeTimer?.Stop();
        return true;
    }

    /// <summary>
    /// Frees the registration's table slot once the descriptor is released (closing the socket
    /// takes it out of the epoll set).
    /// </summary>
    public void ReleaseRegistration() => _poller.ReleaseSlot(this);

    // A slot's content that is neither null nor Ready is a waiter (the header): no type check,
    // whose helper call (Waiter is not sealed) showed in the poll loop's profile.
    private static Waiter AsWaiter(object parked) => Unsafe.As<Waiter>(parked);

    private ref object? Slot(PollMode mode) => ref mode == PollMode.Read ? ref _readSlot : ref _writeSlot;
}
