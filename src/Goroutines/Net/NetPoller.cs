// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Threading;

using Goroutines.Internal;

namespace Goroutines.Net;

// NetPoller: the runtime's own network poller on Linux, Go's netpoll_epoll.go. One
// epoll instance for the process; every socket is registered once, for its whole
// life, edge-triggered, for both directions (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET).
// An edge readies the goroutine parked in that direction's slot of the socket's
// PollDescriptor, or leaves Ready there for its next attempt.
//
// Who polls (Scheduler.NetPoll.cs, as Go's findRunnable and sysmon):
//   1. a machine whose processor ran out of work, before it steals: a poll that does
//      not wait, whose goroutines it runs and injects (Go: netpoll(0));
//   2. a machine about to park with nothing to do, while goroutines wait on I/O: it
//      blocks in epoll_wait instead, at most one at a time (_blockingPoll), and runs
//      what it finds on a processor it takes (Go: netpoll(delay) in findRunnable);
//   3. the system monitor, when nobody polled for 10 ms (Go: sysmon's netpoll).
// The blocked machine is interrupted for one thing only: the last goroutine waiting
// on I/O stopped waiting, so the machine should park as an idle one instead of
// sitting in epoll_wait (Go's netpollBreak, an eventfd in the epoll set). Timers are
// the system monitor's (Scheduler.Timers.cs) and new work wakes other machines, so
// nothing else needs it.
//
// The kernel keeps only a 64-bit token per registration, not a managed reference, so
// descriptors live in a table indexed by the token's low half; the high half is a
// generation that tells a late event for a closed socket from one for the socket
// that reuses its slot (Go: pollDesc's fdseq). The table holds each registered
// descriptor strongly: a goroutine parked on I/O is reachable from it, as the kernel
// can wake it, so the leak finder never reports it.
//
// Rejected (measured, docs/design.md): completing goroutines' socket operations through
// .NET's own socket engine. Its epoll thread hands each completion to the thread pool,
// which posts it to the goroutine: two thread hops per ready socket and a buffer-holding
// operation object per socket.
//
// Invariants:
// - A registered descriptor is in _table at the index of its token until Unregister.
// - _ioWaiters counts the waiters in descriptors' slots (PollDescriptor.cs).
// - At most one thread blocks in epoll_wait (_blockingPoll); any number poll without waiting.
// - No machine blocks in epoll_wait while _ioWaiters is 0 for long: the blocker re-checks
//   the count after claiming _blockingPoll, and the waiter that takes it to 0 after that
//   breaks the wait (a Dekker pair: both sides use full fences).
internal sealed unsafe class NetPoller
{
    // Events taken per epoll_wait (128, as Go's netpoll).
    private const int MaxEvents = 128;

    // The epoll data of the break eventfd: an index no table reaches.
    private const ulong BreakToken = ulong.MaxValue;

    private readonly int _epoll;
    private readonly int _breakEvent;

    // 1 between a break's write to the eventfd and the poll that reads it (Go: netpollWakeSig).
    private int _breakPending;

    // The registration table; the array is replaced (grown) under _tableLock and read without it.
    private readonly Lock _tableLock = new();
    private PollDescriptor?[] _table = new PollDescriptor?[256];
    private int[] _freeSlots = new int[256];
    private int _freeCount;
    private int _nextUnused;
    private uint _generation;

    // Goroutines parked on a descriptor's slot; read by every scheduling round that may poll.
    private PaddedInt32 _ioWaiters;

    // 1 while a machine blocks in epoll_wait (Go: sched.lastpoll == 0), and that machine's thread.
    private int _blockingPoll;
    private int _blockingThread;

    // Stopwatch timestamp of the last poll's end; the system monitor polls when it is 10 ms old.
    private long _lastPoll;

    private NetPoller(int epoll, int breakEvent)
    {
        _epoll = epoll;
        _breakEvent = breakEvent;
    }

    /// <summary>
    /// Creates the process's epoll instance, and raises the soft limit of open descriptors to the
    /// hard one, as Go 1.19+ does at start-up: a server of many connections should not fail at the
    /// historical 1,024 when the system allows more.
    /// </summary>
    /// <exception cref="SocketException">The kernel refused (descriptor limit).</exception>
    public static NetPoller Create()
    {
        RaiseOpenFileLimit();
        int epoll = LinuxSockets.EpollCreate(LinuxSockets.EPOLL_CLOEXEC);
        int breakEvent = epoll < 0 ? -1 : LinuxSockets.EventFd(0, LinuxSockets.EFD_NONBLOCK | LinuxSockets.EFD_CLOEXEC);
        byte* epollEvent = stackalloc byte[16];
        *(uint*)epollEvent = LinuxSockets.EPOLLIN;
        *(ulong*)(epollEvent + LinuxSockets.EpollDataOffset) = BreakToken;
        if (breakEvent < 0 || LinuxSockets.EpollControl(epoll, LinuxSockets.EPOLL_CTL_ADD, breakEvent, epollEvent) != 0)
        {
            throw new SocketException(Marshal.GetLastPInvokeError());
        }

        return new NetPoller(epoll, breakEvent);
    }

    // Best effort, as Go's: a limit that cannot be read or raised stays as it is.
    private static void RaiseOpenFileLimit()
    {
        if (LinuxSockets.GetResourceLimit(LinuxSockets.RLIMIT_NOFILE, out LinuxSockets.ResourceLimit limit) == 0 && limit.Current < limit.Maximum)
        {
            var raised = new LinuxSockets.ResourceLimit { Current = limit.Maximum, Maximum = limit.Maximum };
            _ = LinuxSockets.SetResourceLimit(LinuxSockets.RLIMIT_NOFILE, in raised);
        }
    }

    /// <summary>Goroutines parked waiting for a socket now.</summary>
    public int WaiterCount => Volatile.Read(ref _ioWaiters.Value);

    /// <summary>Whether a machine is blocked in epoll_wait now.</summary>
    public bool IsBlockingPollInProgress => Volatile.Read(ref _blockingPoll) != 0;

    /// <summary>When the last poll ended (Stopwatch timestamp).</summary>
    public long LastPoll => Volatile.Read(ref _lastPoll);

    /// <summary>A waiter is about to be published in a slot.</summary>
    public void AddWaiter() => Interlocked.Increment(ref _ioWaiters.Value);

    /// <summary>A waiter was taken out of a slot; the last one out breaks a blocked epoll_wait.</summary>
    public void RemoveWaiter()
    {
        // The decrement is a full fence: pairs with TryBeginBlockingPoll's claim and re-check. The
        // blocking poller itself, delivering the edge that readied the last waiter, is awake already.
        if (Interlocked.Decrement(ref _ioWaiters.Value) == 0 && Volatile.Read(ref _blockingPoll) != 0
            && Volatile.Read(ref _blockingThread) != Environment.CurrentManagedThreadId)
        {
            Break();
        }
    }

    // Wakes the machine blocked in epoll_wait (Go: netpollBreak). At most one write until a poll reads it.
    private void Break()
    {
        if (Interlocked.CompareExchange(ref _breakPending, 1, 0) == 0)
        {
            ulong one = 1;
            _ = LinuxSockets.WriteDescriptor(_breakEvent, (byte*)&one, sizeof(ulong));
        }
    }

    /// <summary>Registers <paramref name="socket"/> for edges in both directions; returns the errno (0 on success).</summary>
    /// <remarks>Go: netpollopen.</remarks>
    public int Register(PollDescriptor descriptor, SafeHandle socket)
    {
        int index;
        ulong token;
        lock (_tableLock)
        {
            index = _freeCount > 0 ? _freeSlots[--_freeCount] : _nextUnused++;
            if (index == _table.Length)
            {
                Array.Resize(ref _freeSlots, _table.Length * 2);
                PollDescriptor?[] grown = new PollDescriptor?[_table.Length * 2];
                Array.Copy(_table, grown, _table.Length);
                Volatile.Write(ref _table, grown); // release: the copied entries before the new array
            }

            token = ((ulong)++_generation << 32) | (uint)index;
            descriptor.Token = token;
            _table[index] = descriptor;
        }

        byte* epollEvent = stackalloc byte[16];
        *(uint*)epollEvent = LinuxSockets.EPOLLIN | LinuxSockets.EPOLLOUT | LinuxSockets.EPOLLRDHUP | LinuxSockets.EPOLLET;
        *(ulong*)(epollEvent + LinuxSockets.EpollDataOffset) = token;
        bool added = false;
        socket.DangerousAddRef(ref added);
        try
        {
            if (LinuxSockets.EpollControl(_epoll, LinuxSockets.EPOLL_CTL_ADD, (int)socket.DangerousGetHandle(), epollEvent) == 0)
            {
                return 0;
            }
        }
        finally
        {
            if (added)
            {
                socket.DangerousRelease();
            }
        }

        int errno = Marshal.GetLastPInvokeError();
        ReleaseSlot(descriptor);
        return errno;
    }

    /// <summary>Takes <paramref name="socket"/> out of the epoll set and frees its slot. Before the descriptor is closed.</summary>
    /// <remarks>Go: netpollclose.</remarks>
    public void Unregister(PollDescriptor descriptor, SafeHandle socket)
    {
        bool added = false;
        socket.DangerousAddRef(ref added);
        try
        {
            // Failure is harmless: closing the descriptor leaves the set anyway, and a late
            // event for the slot's next owner fails the generation check.
            _ = LinuxSockets.EpollControl(_epoll, LinuxSockets.EPOLL_CTL_DEL, (int)socket.DangerousGetHandle(), null);
        }
        finally
        {
            if (added)
            {
                socket.DangerousRelease();
            }
        }

        ReleaseSlot(descriptor);
    }

    /// <summary>Frees the table slot of <paramref name="descriptor"/>; a no-op if it was freed already.</summary>
    public void ReleaseSlot(PollDescriptor descriptor)
    {
        int index = (int)(uint)descriptor.Token;
        lock (_tableLock)
        {
            if (_table[index] == descriptor)
            {
                _table[index] = null;
                _freeSlots[_freeCount++] = index;
            }
        }
    }

    /// <summary>
    /// Claims the right to block in epoll_wait while goroutines wait on I/O; false if another
    /// thread holds it or nobody waits. Release it with <see cref="EndBlockingPoll"/>.
    /// </summary>
    public bool TryBeginBlockingPoll()
    {
        if (Volatile.Read(ref _blockingPoll) != 0 || Interlocked.CompareExchange(ref _blockingPoll, 1, 0) != 0)
        {
            return false;
        }

        Volatile.Write(ref _blockingThread, Environment.CurrentManagedThreadId);

        // The CAS is a full fence: a RemoveWaiter that took the count to 0 before it saw no
        // blocker and broke nothing, so look again (the Dekker pair of the header).
        if (WaiterCount == 0)
        {
            EndBlockingPoll();
            return false;
        }

        return true;
    }

    /// <summary>Gives back the right taken by <see cref="TryBeginBlockingPoll"/>.</summary>
    public void EndBlockingPoll()
    {
        Volatile.Write(ref _blockingThread, 0);
        Volatile.Write(ref _blockingPoll, 0);
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMilliseconds"/> (0: not at all, -1: until an edge) and
    /// delivers the edges found to their descriptors, which ready their waiters. Returns the
    /// number of events. Any thread; only the holder of the blocking right may wait.
    /// </summary>
    /// <remarks>Go: netpoll.</remarks>
    public int Poll(int timeoutMilliseconds)
    {
        Debug.Assert(timeoutMilliseconds == 0 || Volatile.Read(ref _blockingPoll) == 1, "only the blocking poller waits");
        int size = LinuxSockets.EpollEventSize;
        int dataOffset = LinuxSockets.EpollDataOffset;
        byte* events = stackalloc byte[MaxEvents * 16];
        int count = LinuxSockets.EpollWait(_epoll, events, MaxEvents, timeoutMilliseconds);
        Volatile.Write(ref _lastPoll, Stopwatch.GetTimestamp());
        if (count <= 0)
        {
            return 0; // EINTR, or nothing
        }

        PollDescriptor?[] table = Volatile.Read(ref _table);
        ExceptionDispatchInfo? failure = null;
        for (int i = 0; i < count; i++)
        {
            byte* entry = events + (i * size);
            uint flags = *(uint*)entry;
            ulong token = *(ulong*)(entry + dataOffset);
            if (token == BreakToken)
            {
                // Only the blocking poll drains the break (as Go's netpoll): a poll that does not
                // wait leaves it, level-triggered, for the blocked machine it is meant for.
                if (timeoutMilliseconds != 0)
                {
                    ulong drained;
                    _ = LinuxSockets.ReadDescriptor(_breakEvent, (byte*)&drained, sizeof(ulong));
                    Volatile.Write(ref _breakPending, 0);
                }

                continue;
            }

            int index = (int)(uint)token;
            if ((uint)index >= (uint)table.Length)
            {
                table = Volatile.Read(ref _table);
                if ((uint)index >= (uint)table.Length)
                {
                    continue;
                }
            }

            PollDescriptor? descriptor = table[index];
            if (descriptor is null || descriptor.Token != token)
            {
                continue; // closed meanwhile, or the slot's next socket
            }

            // Not EPOLLHUP alone: a socket not yet connected reports it, and the peer's end of
            // stream or a reset always comes with EPOLLRDHUP or EPOLLERR.
            if ((flags & (LinuxSockets.EPOLLRDHUP | LinuxSockets.EPOLLERR)) != 0)
            {
                descriptor.NoteReadClosed(); // before the edge: see PollDescriptor.IsReadClosed
            }

            try
            {
                if ((flags & (LinuxSockets.EPOLLIN | LinuxSockets.EPOLLRDHUP | LinuxSockets.EPOLLHUP | LinuxSockets.EPOLLERR)) != 0)
                {
                    descriptor.SetReady(PollMode.Read);
                }

                if ((flags & (LinuxSockets.EPOLLOUT | LinuxSockets.EPOLLHUP | LinuxSockets.EPOLLERR)) != 0)
                {
                    descriptor.SetReady(PollMode.Write);
                }
            }
#pragma warning disable CA1031 // Readying a waiter outside the runtime runs its context's Post: deliver every other edge first.
            catch (Exception e)
#pragma warning restore CA1031
            {
                failure ??= ExceptionDispatchInfo.Capture(e);
            }
        }

        failure?.Throw();
        return count;
    }
}
