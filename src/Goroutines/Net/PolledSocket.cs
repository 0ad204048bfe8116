// Licensed under the MIT License.

using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Scheduling;
using Goroutines.Sync;

namespace Goroutines.Net;

// PolledSocket: Go's netFD and poll.FD on Linux, the NetSocket of the runtime's own
// netpoller. A non-blocking socket registered with the netpoller, and the loops that
// turn its system calls into goroutine parks:
//   attempt: reset the direction's edge, fail on a close or an expired deadline,
//            make the call; done, or EAGAIN: park on the PollDescriptor (async) or
//            block the thread (the synchronous forms), then attempt again.
// Each direction is serialized by NetSocket's lock (Go's fdMutex read and write locks).
//
// Readiness we already know (as tokio does, and Go does not): after a TCP read after which
// the kernel reports nothing queued (TCP_INQ), the socket's queue is empty, so the next read
// parks first instead of making a call that would fail with EAGAIN. A short read alone does
// not tell: recv stops at TCP's urgent mark, and a Unix stream's after passed descriptors.
// An edge that arrived in between is in the slot, so the park returns at once; nothing is
// missed under edge triggering.
// Except the peer's end of stream: the kernel returns the data before it and keeps the
// end for the next call, with no edge to come; so once the poller saw EPOLLRDHUP (it
// marks the descriptor before delivering that edge), reads never park first.
//
// The descriptor is closed when its handle is released: at Close, once calls still in
// flight (each holds a reference to the handle) have returned.
//
// Invariants:
// - _readDrained is touched only under the read lock, _lastSendBlocked under the write lock.
// - Every call on the descriptor goes through _handle (its reference count).
internal sealed partial class PolledSocket : NetSocket
{
    private static readonly Action<object?> s_interruptRead = static s => ((PollDescriptor)s!).Interrupt(PollMode.Read);
    private static readonly Action<object?> s_interruptWrite = static s => ((PollDescriptor)s!).Interrupt(PollMode.Write);

    private readonly SafeHandle _handle;
    private readonly PollDescriptor _poll;
    private readonly Socket? _wrapped;
    private bool _readDrained;
    private bool _lastSendBlocked;
    private bool _reportsQueuedBytes;

    private PolledSocket(SafeHandle handle, PollDescriptor poll, NetworkKind kind, Socket? wrapped)
        : base(kind)
    {
        _handle = handle;
        _poll = poll;
        _wrapped = wrapped;
    }

    /// <inheritdoc/>
    public override SafeHandle Handle => _handle;

    /// <inheritdoc/>
    public override bool IsClosed => _poll.IsClosing;

    /// <summary>Creates a non-blocking socket of <paramref name="family"/> and registers it with the netpoller.</summary>
    /// <exception cref="NetOperationException">The system refused (descriptor limit).</exception>
    public static PolledSocket Open(NetworkKind kind, AddressFamily family, string operation, EndPoint? address)
    {
        int type = (kind.IsStream() ? LinuxSockets.SOCK_STREAM : LinuxSockets.SOCK_DGRAM) | LinuxSockets.SOCK_NONBLOCK | LinuxSockets.SOCK_CLOEXEC;
        int descriptor = LinuxSockets.Socket(SocketAddresses.NativeFamily(family), type, 0);
        if (descriptor < 0)
        {
            throw new NetOperationException(operation, kind.Name(), null, address, SystemErrors.Of("socket", Marshal.GetLastPInvokeError()));
        }

        return Register(new SocketHandle(descriptor), kind, null, operation, address);
    }

    /// <summary>Takes over an existing .NET socket: makes it non-blocking and registers it; closing this disposes it.</summary>
    public static PolledSocket Adopt(Socket socket, NetworkKind kind, string operation)
    {
        socket.Blocking = false;
        PolledSocket wrapped = Register(socket.SafeHandle, kind, socket, operation, null);
        wrapped._local = socket.LocalEndPoint;
        wrapped._remote = socket.Connected ? socket.RemoteEndPoint : null;
        return wrapped;
    }

    private static PolledSocket Register(SafeHandle handle, NetworkKind kind, Socket? wrapped, string operation, EndPoint? address)
    {
        NetPoller poller = Scheduler.Instance.NetPoller;
        var poll = new PollDescriptor(poller);
        int errno = poller.Register(poll, handle);
        if (errno != 0)
        {
            handle.Dispose();
            throw new NetOperationException(operation, kind.Name(), null, address, SystemErrors.Of("epoll_ctl", errno));
        }

        (handle as SocketHandle)?.Attach(poll);
        return new PolledSocket(handle, poll, kind, wrapped);
    }

    // ------------------------------------------------------------------ setup

    /// <inheritdoc/>
    public override void SetRawOption(int level, int name, int value)
    {
        int errno = LinuxSockets.SetIntOption(_handle, level, name, value);
        if (errno != 0)
        {
            throw SystemErrors.Of("setsockopt", errno);
        }
    }

    /// <inheritdoc/>
    public override int GetRawOption(int level, int name)
    {
        int errno = LinuxSockets.GetIntOption(_handle, level, name, out int value);
        return errno == 0 ? value : throw SystemErrors.Of("getsockopt", errno);
    }

    /// <inheritdoc/>
    public override void SetNoDelay(bool noDelay, string operation) =>
        SetOption(LinuxSockets.IPPROTO_TCP, LinuxSockets.TCP_NODELAY, noDelay ? 1 : 0, operation);

    /// <inheritdoc/>
    public override void SetKeepAliveEnabled(bool enabled, string operation) =>
        SetOption(LinuxSockets.SOL_SOCKET, LinuxSockets.SO_KEEPALIVE, enabled ? 1 : 0, operation);

    /// <inheritdoc/>
    public override void SetReuseAddress(string operation) =>
        SetOption(LinuxSockets.SOL_SOCKET, LinuxSockets.SO_REUSEADDR, 1, operation);

    /// <inheritdoc/>
    public override void SetIPv6Only(bool only, string operation) =>
        SetOption(LinuxSockets.IPPROTO_IPV6, LinuxSockets.IPV6_V6ONLY, only ? 1 : 0, operation);

    // Sets an integer option, failing as operation on error.
    private void SetOption(int level, int name, int value, string operation)
    {
        int errno = LinuxSockets.SetIntOption(_handle, level, name, value);
        if (errno != 0)
        {
            throw Failed(operation, "setsockopt", errno);
        }
    }

    /// <inheritdoc/>
    public override void ConfigureTcp(TimeSpan keepAlive, string operation)
    {
        base.ConfigureTcp(keepAlive, operation);

        // Every read then says how many bytes it left queued (Linux 4.18+; best effort).
        _reportsQueuedBytes = LinuxSockets.SetIntOption(_handle, LinuxSockets.IPPROTO_TCP, LinuxSockets.TCP_INQ, 1) == 0;
    }

    /// <inheritdoc/>
    public override void SetKeepAlive(TimeSpan period, string operation)
    {
        if (period < TimeSpan.Zero)
        {
            return;
        }

        int seconds = period == TimeSpan.Zero ? DefaultKeepAliveSeconds : (int)Math.Clamp(Math.Ceiling(period.TotalSeconds), 1, int.MaxValue);
        SetOption(LinuxSockets.SOL_SOCKET, LinuxSockets.SO_KEEPALIVE, 1, operation);
        SetOption(LinuxSockets.IPPROTO_TCP, LinuxSockets.TCP_KEEPIDLE, seconds, operation);
        SetOption(LinuxSockets.IPPROTO_TCP, LinuxSockets.TCP_KEEPINTVL, seconds, operation);
    }

    /// <inheritdoc/>
    public override unsafe void Bind(EndPoint address, string operation)
    {
        byte* bytes = stackalloc byte[SocketAddresses.MaxSize];
        int length = SocketAddresses.Write(address, new Span<byte>(bytes, SocketAddresses.MaxSize));
        if (LinuxSockets.Bind(_handle, bytes, length) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new NetOperationException(operation, Kind.Name(), null, address, SystemErrors.Of("bind", errno));
        }

        _local = null; // a port 0 or a wildcard: read the real one when asked
    }

    /// <inheritdoc/>
    /// <remarks>The kernel caps the backlog at net.core.somaxconn, as Go reads it.</remarks>
    public override void Listen(EndPoint address)
    {
        if (LinuxSockets.Listen(_handle, 65535) != 0)
        {
            throw new NetOperationException("listen", Kind.Name(), null, address, SystemErrors.Of("listen", Marshal.GetLastPInvokeError()));
        }
    }

    /// <inheritdoc/>
    public override void SetDeadline(PollMode mode, long? when) => _poll.SetDeadline(mode, when);

    // ------------------------------------------------------------------ connect

    /// <inheritdoc/>
    /// <remarks>Go: netFD.connect.</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask ConnectAsync(EndPoint remote, CancellationToken cancellationToken)
    {
        _remote = remote;
        int errno = StartConnect(remote);
        while (errno != 0)
        {
            await WaitAsync(PollMode.Write, cancellationToken).ConfigureAwait(true);
            errno = FinishConnect();
        }

        _remote = null; // read again when asked: an idle connection keeps no endpoint nobody asked for
    }

    /// <inheritdoc/>
    public override void Connect(EndPoint remote)
    {
        _remote = remote;
        int errno = StartConnect(remote);
        while (errno != 0)
        {
            _poll.Wait(PollMode.Write);
            errno = FinishConnect();
        }

        _remote = null; // read again when asked
    }

    // Returns 0 when connected, else EINPROGRESS (wait for writability, then FinishConnect).
    private unsafe int StartConnect(EndPoint remote)
    {
        byte* address = stackalloc byte[SocketAddresses.MaxSize];
        int length = SocketAddresses.Write(remote, new Span<byte>(address, SocketAddresses.MaxSize));
        while (true)
        {
            ThrowIfError("dial", PollMode.Write);
            int errno = 0;
            if (LinuxSockets.Connect(_handle, address, length) != 0)
            {
                errno = Marshal.GetLastPInvokeError();
            }

            switch (errno)
            {
                case 0:
                case LinuxSockets.EISCONN:
                    return 0;
                case LinuxSockets.EINPROGRESS:
                case LinuxSockets.EALREADY:
                    return LinuxSockets.EINPROGRESS;
                case LinuxSockets.EINTR:
                    continue;
                default:
                    throw Failed("dial", "connect", errno);
            }
        }
    }

    // After a write edge: 0 when connected, EINPROGRESS to wait on; throws the connect's error.
    private unsafe int FinishConnect()
    {
        ThrowIfError("dial", PollMode.Write);
        _poll.Reset(PollMode.Write);
        int errno = LinuxSockets.GetIntOption(_handle, LinuxSockets.SOL_SOCKET, LinuxSockets.SO_ERROR, out int pending);
        if (errno != 0)
        {
            throw Failed("dial", "getsockopt", errno);
        }

        switch (pending)
        {
            case 0:
            case LinuxSockets.EISCONN:
                // Writable with no error can also be the edge of a socket not yet connected: ask the peer.
                return HasPeer() ? 0 : LinuxSockets.EINPROGRESS;
            case LinuxSockets.EINPROGRESS:
            case LinuxSockets.EALREADY:
            case LinuxSockets.EINTR:
                return LinuxSockets.EINPROGRESS;
            default:
                throw Failed("dial", "connect", pending);
        }
    }

    // ------------------------------------------------------------------ accept

    /// <inheritdoc/>
    /// <remarks>Go: netFD.accept.</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<NetSocket> AcceptAsync(CancellationToken cancellationToken)
    {
        await EnterAsync(PollMode.Read).ConfigureAwait(true);
        try
        {
            while (true)
            {
                NetSocket? accepted = TryAccept();
                if (accepted is not null)
                {
                    return accepted;
                }

                await WaitAsync(PollMode.Read, cancellationToken).ConfigureAwait(true);
            }
        }
        finally
        {
            Exit(PollMode.Read);
        }
    }

    /// <inheritdoc/>
    public override NetSocket Accept()
    {
        using (Enter(PollMode.Read))
        {
            while (true)
            {
                NetSocket? accepted = TryAccept();
                if (accepted is not null)
                {
                    return accepted;
                }

                _poll.Wait(PollMode.Read);
            }
        }
    }

    private unsafe PolledSocket? TryAccept()
    {
        while (true)
        {
            _poll.Reset(PollMode.Read);
            ThrowIfError("accept", PollMode.Read);
            int descriptor;
            try
            {
                // The peer's address is read when asked for (RemoteAddress): a server that never
                // asks keeps no endpoint per connection.
                descriptor = LinuxSockets.Accept4(_handle, null, null, LinuxSockets.SOCK_NONBLOCK | LinuxSockets.SOCK_CLOEXEC);
            }
            catch (ObjectDisposedException)
            {
                throw ErrorOf("accept", PollError.Closing);
            }

            if (descriptor >= 0)
            {
                PolledSocket accepted = Register(new SocketHandle(descriptor), Kind, null, "accept", LocalAddress);
                if (LocalAddress is IPEndPoint { Address: var bound } local && !bound.Equals(IPAddress.Any) && !bound.Equals(IPAddress.IPv6Any))
                {
                    accepted._local = local; // the listener's own address: no getsockname
                }

                return accepted;
            }

            int errno = Marshal.GetLastPInvokeError();
            switch (errno)
            {
                case LinuxSockets.EAGAIN:
                    return null;
                case LinuxSockets.EINTR:
                case 103: // ECONNABORTED: the client gave up before we accepted; take the next one, as Go
                    continue;
                default:
                    throw Failed("accept", "accept4", errno);
            }
        }
    }

    // ------------------------------------------------------------------ read

    /// <inheritdoc/>
    /// <remarks>
    /// The common case takes no async state machine: the lock is free, the calls are made at once,
    /// and a read that must wait parks on a pooled <see cref="ReadWaiter"/>, which goes on making
    /// the calls on the goroutine when readied (PolledSocket.ReadWaiter.cs). With a cancelable token,
    /// or behind another reader, the general path. Go: netFD.Read, and io.ReadAtLeast over it.
    /// </remarks>
    public override ValueTask<int> ReadAtLeastAsync(Memory<byte> buffer, int minimum, bool throwOnEndOfStream, CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled || Interlocked.CompareExchange(ref _readHolders, 1, 0) != 0)
        {
            return ReadGeneralAsync(buffer, minimum, throwOnEndOfStream, cancellationToken);
        }

        try
        {
            return StartRead(buffer, minimum, throwOnEndOfStream, out int got) is { } waiter ? waiter.AsValueTask() : new ValueTask<int>(got);
        }
        catch (Exception e) when (e is NetOperationException or EndOfStreamException)
        {
            return ValueTask.FromException<int>(e);
        }
    }

    /// <inheritdoc/>
    public override ValueTask ReadExactlyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled || Interlocked.CompareExchange(ref _readHolders, 1, 0) != 0)
        {
            return new ValueTask(ReadGeneralAsync(buffer, buffer.Length, throwOnEndOfStream: true, cancellationToken).AsTask());
        }

        try
        {
            return StartRead(buffer, buffer.Length, throwOnEndOfStream: true, out _) is { } waiter ? waiter.AsUntypedValueTask() : default;
        }
        catch (Exception e) when (e is NetOperationException or EndOfStreamException)
        {
            return ValueTask.FromException(e);
        }
    }

    // The fast path's start, under the read lock the caller just took: makes the calls at once and
    // returns null with the bytes read when they finish the read, or parks and returns the waiter,
    // which holds the lock from then on. Leaves the lock when it returns null or throws.
    private ReadWaiter? StartRead(Memory<byte> buffer, int minimum, bool throwOnEndOfStream, out int got)
    {
        bool handedOver = false;
        try
        {
            got = 0;
            while (!TakeDrained(buffer.Length - got))
            {
                nint read = TryReceive(buffer.Span[got..]);
                if (read < 0)
                {
                    break;
                }

                got += (int)read;
                if (read == 0 || got >= minimum)
                {
                    got = EndOfRead(got, minimum, throwOnEndOfStream);
                    return null;
                }
            }

            ReadWaiter waiter = ReadWaiter.Rent();
            handedOver = waiter.TryPark(this, buffer, got, minimum, throwOnEndOfStream);
            if (handedOver)
            {
                return waiter;
            }

            got = waiter.TakeOutcome();
            return null;
        }
        finally
        {
            if (!handedOver)
            {
                Exit(PollMode.Read);
            }
        }
    }

    // The read as an async method: for a cancelable token, or to wait for the lock.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadGeneralAsync(Memory<byte> buffer, int minimum, bool throwOnEndOfStream, CancellationToken cancellationToken)
    {
        await EnterAsync(PollMode.Read).ConfigureAwait(true);

        try
        {
            int got = 0;
            while (true)
            {
                if (TakeDrained(buffer.Length - got))
                {
                    await WaitAsync(PollMode.Read, cancellationToken).ConfigureAwait(true);
                }

                nint read = TryReceive(buffer.Span[got..]);
                if (read < 0)
                {
                    await WaitAsync(PollMode.Read, cancellationToken).ConfigureAwait(true);
                    continue;
                }

                got += (int)read;
                if (read == 0 || got >= minimum)
                {
                    return EndOfRead(got, minimum, throwOnEndOfStream);
                }
            }
        }
        finally
        {
            Exit(PollMode.Read);
        }
    }

    // Whether the next read should park before its call: the last one emptied the socket
    // (readiness we know). Takes the knowledge, and fails first on a close or an expired deadline,
    // as the call would. Under the read lock.
    private bool TakeDrained(int length)
    {
        if (!_readDrained || IsEmptyRead(length))
        {
            return false;
        }

        _readDrained = false;
        ThrowIfError("read", PollMode.Read);
        return true;
    }

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        using (Enter(PollMode.Read))
        {
            if (TakeDrained(buffer.Length))
            {
                _poll.Wait(PollMode.Read);
            }

            while (true)
            {
                nint read = TryReceive(buffer);
                if (read >= 0)
                {
                    return (int)read;
                }

                _poll.Wait(PollMode.Read);
            }
        }
    }

    /// <inheritdoc/>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask WaitReadableAsync(CancellationToken cancellationToken)
    {
        await EnterAsync(PollMode.Read).ConfigureAwait(true);
        try
        {
            bool wait = TakeDrained(1);
            while (true)
            {
                if (wait)
                {
                    await WaitAsync(PollMode.Read, cancellationToken).ConfigureAwait(true);
                }

                if (TryPeek())
                {
                    return;
                }

                wait = true;
            }
        }
        finally
        {
            Exit(PollMode.Read);
        }
    }

    /// <inheritdoc/>
    public override void WaitReadable()
    {
        using (Enter(PollMode.Read))
        {
            if (TakeDrained(1))
            {
                _poll.Wait(PollMode.Read);
            }

            while (!TryPeek())
            {
                _poll.Wait(PollMode.Read);
            }
        }
    }

    // One attempt at a readiness check: true when a read would not wait (a byte to peek at, or the
    // end of the stream), false for EAGAIN; throws what the read would. Under the read lock.
    private unsafe bool TryPeek()
    {
        while (true)
        {
            _poll.Reset(PollMode.Read);
            ThrowIfError("read", PollMode.Read);
            byte peeked;
            nint read;
            try
            {
                read = LinuxSockets.Receive(_handle, &peeked, 1, LinuxSockets.MSG_PEEK);
            }
            catch (ObjectDisposedException)
            {
                throw ErrorOf("read", PollError.Closing);
            }

            if (read >= 0)
            {
                return true;
            }

            int errno = Marshal.GetLastSystemError();
            if (errno == LinuxSockets.EAGAIN)
            {
                return false;
            }

            if (errno != LinuxSockets.EINTR)
            {
                throw Failed("read", "read", errno);
            }
        }
    }

    // As Go's Read: a zero-length read returns at once, on a stream or a datagram connection (it
    // neither waits, nor consumes a datagram, nor a short read's readiness). ReadFrom has no such rule.
    private static bool IsEmptyRead(int length) => length == 0;

    // recv through recvmsg, with the bytes left in the receive queue afterwards from the TCP_CM_INQ
    // control message (-1 if none came).
    private unsafe nint ReceiveReportingQueued(byte* bytes, int length, out int queued)
    {
        // A cmsghdr (length, level, type: 16 bytes on 64-bit systems) and its int, aligned.
        const int ControlSize = 32;
        byte* control = stackalloc byte[ControlSize];
        var vector = new LinuxSockets.IOVector { Base = bytes, Length = (nuint)length };
        var message = new LinuxSockets.MessageHeader { Vectors = &vector, VectorCount = 1, Control = control, ControlLength = ControlSize };
        nint read = LinuxSockets.ReceiveMessage(_handle, &message, 0);
        queued = -1;
        int header = sizeof(nuint) + (2 * sizeof(int));
        if (read >= 0 && message.ControlLength >= (nuint)(header + sizeof(int))
            && *(int*)(control + sizeof(nuint)) == LinuxSockets.IPPROTO_TCP
            && *(int*)(control + sizeof(nuint) + sizeof(int)) == LinuxSockets.TCP_INQ)
        {
            queued = *(int*)(control + ((header + sizeof(nuint) - 1) & ~(sizeof(nuint) - 1)));
        }

        return read;
    }

    // One attempt: the bytes read, or -1 for EAGAIN. Under the read lock.
    private unsafe nint TryReceive(Span<byte> buffer)
    {
        while (true)
        {
            // A zero-length read returns before the reset: clearing an edge it does not read would
            // leave queued data with no edge to come, and a reader that parks first (drained) would
            // wait for it forever. (The reset and the error check are independent: either order.)
            ThrowIfError("read", PollMode.Read);
            if (IsEmptyRead(buffer.Length))
            {
                return 0;
            }

            _poll.Reset(PollMode.Read);
            nint read;
            int queued = -1;
            try
            {
                fixed (byte* bytes = buffer)
                {
                    read = _reportsQueuedBytes
                        ? ReceiveReportingQueued(bytes, buffer.Length, out queued)
                        : LinuxSockets.Receive(_handle, bytes, buffer.Length, 0);
                }
            }
            catch (ObjectDisposedException)
            {
                throw ErrorOf("read", PollError.Closing);
            }

            if (read >= 0)
            {
                // Drained only when the kernel said nothing is left (TCP_INQ). Not from a short read
                // alone: TCP's recv stops at an urgent byte's mark, a Unix stream's after a message
                // carrying descriptors, with more data queued and no edge to come for it.
                _readDrained = read > 0 && queued == 0 && Kind.IsStream() && !_poll.IsReadClosed;
                return read;
            }

            int errno = Marshal.GetLastSystemError();
            if (errno == LinuxSockets.EAGAIN)
            {
                return -1;
            }

            if (errno != LinuxSockets.EINTR)
            {
                throw Failed("read", "read", errno);
            }
        }
    }

    // ------------------------------------------------------------------ write

    /// <inheritdoc/>
    /// <remarks>
    /// The common case, a free lock and room in the send buffer, completes without an async state
    /// machine; a write that must wait for room goes on in one, holding the lock. Go: netFD.Write.
    /// </remarks>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _writeHolders, 1, 0) != 0)
        {
            return WriteGeneralAsync(buffer, 0, locked: false, cancellationToken);
        }

        int written;
        try
        {
            written = SendWithoutWaiting(buffer.Span);
        }
        catch (NetOperationException e)
        {
            Exit(PollMode.Write);
            return ValueTask.FromException(e);
        }

        if (written == buffer.Length && (written > 0 || !_lastSendBlocked))
        {
            Exit(PollMode.Write);
            return default;
        }

        return WriteGeneralAsync(buffer, written, locked: true, cancellationToken);
    }

    // The rest of a write as an async method, from byte written on: waits for room as often as it
    // takes. Takes the lock first unless the caller holds it; leaves it at the end.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteGeneralAsync(ReadOnlyMemory<byte> buffer, int written, bool locked, CancellationToken cancellationToken)
    {
        if (!locked)
        {
            await EnterAsync(PollMode.Write).ConfigureAwait(true);
        }

        try
        {
            while (true)
            {
                nint sent = TrySend(buffer.Span[written..]);
                if (sent < 0)
                {
                    await WaitAsync(PollMode.Write, cancellationToken).ConfigureAwait(true);
                    continue; // an empty datagram that found no room is sent again too
                }

                written += (int)sent;
                if (written >= buffer.Length)
                {
                    break;
                }
            }
        }
        finally
        {
            Exit(PollMode.Write);
        }
    }

    // Sends as much of buffer as the socket takes now; notes in _lastSendBlocked whether it stopped
    // for lack of room. Under the write lock.
    private int SendWithoutWaiting(ReadOnlySpan<byte> buffer)
    {
        int written = 0;
        do
        {
            nint sent = TrySend(buffer[written..]);
            _lastSendBlocked = sent < 0;
            if (_lastSendBlocked)
            {
                break;
            }

            written += (int)sent;
        }
        while (written < buffer.Length);
        return written;
    }

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        using (Enter(PollMode.Write))
        {
            int written = 0;
            while (true)
            {
                nint sent = TrySend(buffer[written..]);
                if (sent < 0)
                {
                    _poll.Wait(PollMode.Write);
                    continue;
                }

                written += (int)sent;
                if (written >= buffer.Length)
                {
                    break;
                }
            }
        }
    }

    // One attempt: the bytes sent, or -1 for EAGAIN. Under _writeLock.
    private unsafe nint TrySend(ReadOnlySpan<byte> buffer)
    {
        while (true)
        {
            _poll.Reset(PollMode.Write);
            ThrowIfError("write", PollMode.Write);
            nint sent;
            try
            {
                fixed (byte* bytes = buffer)
                {
                    sent = LinuxSockets.Send(_handle, bytes, buffer.Length, LinuxSockets.MSG_NOSIGNAL);
                }
            }
            catch (ObjectDisposedException)
            {
                throw ErrorOf("write", PollError.Closing);
            }

            if (sent >= 0)
            {
                // A stream that took nothing of a non-empty buffer is full: wait to write.
                return sent == 0 && !buffer.IsEmpty && Kind.IsStream() ? -1 : sent;
            }

            int errno = Marshal.GetLastSystemError();
            if (errno == LinuxSockets.EAGAIN)
            {
                return -1;
            }

            if (errno != LinuxSockets.EINTR)
            {
                throw Failed("write", "write", errno);
            }
        }
    }

    // ------------------------------------------------------------------ datagrams

    /// <inheritdoc/>
    /// <remarks>Go: netFD.readFrom.</remarks>
    public override async ValueTask<(int Count, EndPoint? From)> ReceiveFromAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        await EnterAsync(PollMode.Read).ConfigureAwait(true);
        try
        {
            while (true)
            {
                (int Count, EndPoint? From)? received = TryReceiveFrom(buffer.Span);
                if (received is { } done)
                {
                    return done;
                }

                await WaitAsync(PollMode.Read, cancellationToken).ConfigureAwait(true);
            }
        }
        finally
        {
            Exit(PollMode.Read);
        }
    }

    /// <inheritdoc/>
    public override (int Count, EndPoint? From) ReceiveFrom(Span<byte> buffer)
    {
        using (Enter(PollMode.Read))
        {
            while (true)
            {
                (int Count, EndPoint? From)? received = TryReceiveFrom(buffer);
                if (received is { } done)
                {
                    return done;
                }

                _poll.Wait(PollMode.Read);
            }
        }
    }

    private unsafe (int Count, EndPoint? From)? TryReceiveFrom(Span<byte> buffer)
    {
        byte* address = stackalloc byte[SocketAddresses.MaxSize];
        while (true)
        {
            _poll.Reset(PollMode.Read);
            ThrowIfError("read", PollMode.Read);
            int length = SocketAddresses.MaxSize;
            nint read;
            try
            {
                fixed (byte* bytes = buffer)
                {
                    read = LinuxSockets.ReceiveFrom(_handle, bytes, buffer.Length, 0, address, &length);
                }
            }
            catch (ObjectDisposedException)
            {
                throw ErrorOf("read", PollError.Closing);
            }

            if (read >= 0)
            {
                return ((int)read, SocketAddresses.Decode(new ReadOnlySpan<byte>(address, length)));
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == LinuxSockets.EAGAIN)
            {
                return null;
            }

            if (errno != LinuxSockets.EINTR)
            {
                throw Failed("read", "recvfrom", errno);
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>Go: netFD.writeTo.</remarks>
    public override async ValueTask<int> SendToAsync(ReadOnlyMemory<byte> buffer, EndPoint to, CancellationToken cancellationToken)
    {
        await EnterAsync(PollMode.Write).ConfigureAwait(true);
        try
        {
            while (true)
            {
                int sent = TrySendTo(buffer.Span, to);
                if (sent >= 0)
                {
                    return sent;
                }

                await WaitAsync(PollMode.Write, cancellationToken).ConfigureAwait(true);
            }
        }
        finally
        {
            Exit(PollMode.Write);
        }
    }

    /// <inheritdoc/>
    public override int SendTo(ReadOnlySpan<byte> buffer, EndPoint to)
    {
        using (Enter(PollMode.Write))
        {
            while (true)
            {
                int sent = TrySendTo(buffer, to);
                if (sent >= 0)
                {
                    return sent;
                }

                _poll.Wait(PollMode.Write);
            }
        }
    }

    private unsafe int TrySendTo(ReadOnlySpan<byte> buffer, EndPoint to)
    {
        byte* address = stackalloc byte[SocketAddresses.MaxSize];
        int length = SocketAddresses.Write(to, new Span<byte>(address, SocketAddresses.MaxSize));
        while (true)
        {
            _poll.Reset(PollMode.Write);
            if (_poll.CheckError(PollMode.Write) is var error and not PollError.None)
            {
                throw error == PollError.Closing
                    ? NetOperationException.Closed("write", Kind.Name(), LocalAddress, to)
                    : NetOperationException.Timeout("write", Kind.Name(), LocalAddress, to);
            }

            nint sent;
            try
            {
                fixed (byte* bytes = buffer)
                {
                    sent = LinuxSockets.SendTo(_handle, bytes, buffer.Length, LinuxSockets.MSG_NOSIGNAL, address, length);
                }
            }
            catch (ObjectDisposedException)
            {
                throw new NetOperationException("write", Kind.Name(), LocalAddress, to, new ObjectDisposedException(null, NetOperationException.ClosedMessage));
            }

            if (sent >= 0)
            {
                return (int)sent;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == LinuxSockets.EAGAIN)
            {
                return -1;
            }

            if (errno != LinuxSockets.EINTR)
            {
                throw new NetOperationException("write", Kind.Name(), LocalAddress, to, SystemErrors.Of("sendto", errno));
            }
        }
    }

    // ------------------------------------------------------------------ close

    /// <inheritdoc/>
    public override void Shutdown(SocketShutdown how)
    {
        // As Go's: only a closed connection fails a half-close; a deadline that passed does not
        // (SetDeadline(past) to stop a transfer, then CloseWrite so that the peer sees the end).
        if (_poll.IsClosing)
        {
            throw ErrorOf("close", PollError.Closing);
        }

        if (LinuxSockets.Shutdown(_handle, how == SocketShutdown.Receive ? LinuxSockets.SHUT_RD : LinuxSockets.SHUT_WR) != 0)
        {
            throw Failed("close", "shutdown", Marshal.GetLastPInvokeError());
        }
    }

    /// <inheritdoc/>
    /// <remarks>Go: netFD.Close.</remarks>
    public override void Close()
    {
        if (!_handle.IsClosed)
        {
            // Error messages after the close still name the ends.
            _local ??= ReadAddress(peer: false);
            _remote ??= Kind.IsStream() ? ReadAddress(peer: true) : null;
        }

        if (!_poll.Close())
        {
            return;
        }

        if (_wrapped is not null)
        {
            Scheduler.Instance.NetPoller.Unregister(_poll, _handle);
            _wrapped.Dispose();
        }
        else
        {
            _handle.Dispose(); // releases the poll slot too (SocketHandle)
        }
    }

    // ------------------------------------------------------------------ helpers

    // Parks until the direction may be ready; with a cancelable token, a cancel wakes it and throws.
    private ValueTask WaitAsync(PollMode mode, CancellationToken cancellationToken)
    {
        return cancellationToken.CanBeCanceled ? WaitCancelablyAsync(mode, cancellationToken) : _poll.WaitAsync(mode);
    }

    private async ValueTask WaitCancelablyAsync(PollMode mode, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using (cancellationToken.UnsafeRegister(mode == PollMode.Read ? s_interruptRead : s_interruptWrite, _poll))
        {
            ValueTask wait = _poll.WaitAsync(mode);
            if (cancellationToken.IsCancellationRequested)
            {
                _poll.Interrupt(mode); // the cancel ran before the waiter was there to wake
            }

            await wait.ConfigureAwait(true);
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    private void ThrowIfError(string operation, PollMode mode)
    {
        PollError error = _poll.CheckError(mode);
        if (error != PollError.None)
        {
            throw ErrorOf(operation, error);
        }
    }

    private NetOperationException Failed(string operation, string call, int errno) => Failed(operation, SystemErrors.Of(call, errno));

    // Whether the socket is connected (getpeername succeeds), without decoding the address.
    private unsafe bool HasPeer()
    {
        byte* address = stackalloc byte[SocketAddresses.MaxSize];
        int length = SocketAddresses.MaxSize;
        return LinuxSockets.GetPeerName(_handle, address, &length) == 0;
    }

    /// <inheritdoc/>
    private protected override unsafe EndPoint? ReadAddress(bool peer)
    {
        byte* address = stackalloc byte[SocketAddresses.MaxSize];
        int length = SocketAddresses.MaxSize;
        try
        {
            int result = peer
                ? LinuxSockets.GetPeerName(_handle, address, &length)
                : LinuxSockets.GetSocketName(_handle, address, &length);
            return result == 0 ? SocketAddresses.Decode(new ReadOnlySpan<byte>(address, length)) : null;
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }
}
