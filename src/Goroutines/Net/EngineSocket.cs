// Licensed under the MIT License.

using System;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Scheduling;

namespace Goroutines.Net;

// EngineSocket: the NetSocket of .NET's socket engine, for the systems without the
// runtime's netpoller (everything but Linux; on Linux with GOROUTINES_NETPOLLER=off).
// Each call is the engine's async operation: a goroutine blocked in one holds no thread
// (it awaits, with wait reason IO wait) and its completion comes back to the goroutine
// through its context, as every await in a goroutine does. The synchronous forms wait for
// the same operations inside a blocking region, with the goroutine's context set aside so
// that the completion does not queue behind the thread that waits for it.
//
// Go's rules on top of the engine:
//   - deadlines: each direction has an EngineDeadline, a runtime timer whose firing
//     cancels the direction's current token; every operation runs under that token, so a
//     deadline that passes fails the blocked call with the timeout error, and one moved
//     or cleared before it passes lets the call go on;
//   - close: disposing the socket aborts its operations; after Close every failure is
//     the closed error;
//   - one read and one write at a time (NetSocket's direction locks), so a write of
//     several sends is never interleaved with another.
// Errors keep Go's shape: the operation, the network and the addresses, and the cause
// as `call: text` with Go's text for the common errors (SystemErrors).
//
// Invariants:
// - _closed goes from 0 to 1 once, before the socket is disposed.
// - An operation takes its direction's token before it checks for an expired deadline,
//   so an expiry between the two cancels it rather than being missed.
internal sealed class EngineSocket : NetSocket
{
    private static int s_waiting;

    private readonly Socket _socket;
    private readonly EngineDeadline _readDeadline = new();
    private readonly EngineDeadline _writeDeadline = new();
    private int _closed;

    private EngineSocket(Socket socket, NetworkKind kind)
        : base(kind)
    {
        _socket = socket;
    }

    /// <summary>Goroutines waiting for an operation of .NET's socket engine now.</summary>
    public static int WaiterCount => Volatile.Read(ref s_waiting);

    /// <inheritdoc/>
    public override SafeHandle Handle => _socket.SafeHandle;

    /// <inheritdoc/>
    public override bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Creates a socket of <paramref name="family"/> for <paramref name="kind"/>.</summary>
    /// <exception cref="NetOperationException">The system refused (descriptor limit).</exception>
    public static EngineSocket Open(NetworkKind kind, AddressFamily family, string operation, EndPoint? address)
    {
        bool stream = kind.IsStream();
        ProtocolType protocol = family == AddressFamily.Unix ? ProtocolType.Unspecified : stream ? ProtocolType.Tcp : ProtocolType.Udp;
        try
        {
            return new EngineSocket(new Socket(family, stream ? SocketType.Stream : SocketType.Dgram, protocol), kind);
        }
        catch (SocketException e)
        {
            throw new NetOperationException(operation, kind.Name(), null, address, SystemErrors.Of("socket", e));
        }
    }

    /// <summary>Takes over an existing .NET socket; closing this disposes it.</summary>
    public static EngineSocket Adopt(Socket socket, NetworkKind kind) => new(socket, kind)
    {
        _local = socket.LocalEndPoint,
        _remote = socket.Connected ? socket.RemoteEndPoint : null,
    };

    // ------------------------------------------------------------------ setup

    /// <inheritdoc/>
    public override void SetRawOption(int level, int name, int value) =>
        _socket.SetRawSocketOption(level, name, BitConverter.GetBytes(value));

    /// <inheritdoc/>
    public override int GetRawOption(int level, int name)
    {
        byte[] value = new byte[sizeof(int)];
        _socket.GetRawSocketOption(level, name, value);
        return BitConverter.ToInt32(value);
    }

    /// <inheritdoc/>
    public override void SetNoDelay(bool noDelay, string operation) => Configure(operation, s => s.NoDelay = noDelay);

    /// <inheritdoc/>
    public override void SetKeepAliveEnabled(bool enabled, string operation) =>
        Configure(operation, s => s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, enabled));

    /// <inheritdoc/>
    public override void SetKeepAlive(TimeSpan period, string operation)
    {
        if (period < TimeSpan.Zero)
        {
            return;
        }

        int seconds = period == TimeSpan.Zero ? DefaultKeepAliveSeconds : (int)Math.Clamp(Math.Ceiling(period.TotalSeconds), 1, int.MaxValue);
        Configure(operation, s =>
        {
            s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            s.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, seconds);
            s.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, seconds);
        });
    }

    /// <inheritdoc/>
    /// <remarks>Not on Windows, where SO_REUSEADDR lets another socket take the port over (Go does not set it there either).</remarks>
    public override void SetReuseAddress(string operation)
    {
        if (!OperatingSystem.IsWindows())
        {
            Configure(operation, s => s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true));
        }
    }

    /// <inheritdoc/>
    public override void SetIPv6Only(bool only, string operation) => Configure(operation, s => s.DualMode = !only);

    /// <inheritdoc/>
    public override void Bind(EndPoint address, string operation)
    {
        try
        {
            _socket.Bind(address);
        }
        catch (SocketException e)
        {
            throw new NetOperationException(operation, Kind.Name(), null, address, SystemErrors.Of("bind", e));
        }

        _local = null; // a port 0 or a wildcard: read the real one when asked
    }

    /// <inheritdoc/>
    public override void Listen(EndPoint address)
    {
        try
        {
            _socket.Listen(65535);
        }
        catch (SocketException e)
        {
            throw new NetOperationException("listen", Kind.Name(), null, address, SystemErrors.Of("listen", e));
        }
    }

    /// <inheritdoc/>
    public override void SetDeadline(PollMode mode, long? when)
    {
        if (!IsClosed)
        {
            DeadlineOf(mode).Set(when);
        }
    }

    // ------------------------------------------------------------------ calls

    /// <inheritdoc/>
    public override async ValueTask ConnectAsync(EndPoint remote, CancellationToken cancellationToken)
    {
        _remote = remote;
        await RunAsync(PollMode.Write, "dial", "connect", (socket, token) => socket.ConnectAsync(remote, token), cancellationToken).ConfigureAwait(true);
        _remote = null; // read again when asked
    }

    /// <inheritdoc/>
    public override void Connect(EndPoint remote) => RunBlocking(() => ConnectAsync(remote, CancellationToken.None));

    /// <inheritdoc/>
    public override async ValueTask<NetSocket> AcceptAsync(CancellationToken cancellationToken)
    {
        await EnterAsync(PollMode.Read).ConfigureAwait(true);
        try
        {
            Socket accepted = await RunAsync(PollMode.Read, "accept", "accept", (socket, token) => socket.AcceptAsync(token), null, cancellationToken).ConfigureAwait(true);
            return new EngineSocket(accepted, Kind);
        }
        finally
        {
            Exit(PollMode.Read);
        }
    }

    /// <inheritdoc/>
    public override NetSocket Accept() => RunBlocking(() => AcceptAsync(CancellationToken.None));

    /// <inheritdoc/>
    public override async ValueTask<int> ReadAtLeastAsync(Memory<byte> buffer, int minimum, bool throwOnEndOfStream, CancellationToken cancellationToken)
    {
        await EnterAsync(PollMode.Read).ConfigureAwait(true);
        try
        {
            int got = 0;
            while (true)
            {
                Memory<byte> rest = buffer[got..];
                int read = rest.IsEmpty
                    ? 0 // as Go's Read: a zero-length read returns at once, consuming no datagram
                    : await RunAsync(PollMode.Read, "read", "read", (socket, token) => socket.ReceiveAsync(rest, SocketFlags.None, token), null, cancellationToken).ConfigureAwait(true);
                got += read;
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

    /// <inheritdoc/>
    public override async ValueTask ReadExactlyAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        await ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: true, cancellationToken).ConfigureAwait(true);

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        byte[] bytes = new byte[buffer.Length];
        int read = RunBlocking(() => ReadAsync(bytes, CancellationToken.None));
        bytes.AsSpan(0, read).CopyTo(buffer);
        return read;
    }

    /// <inheritdoc/>
    public override async ValueTask WaitReadableAsync(CancellationToken cancellationToken)
    {
        await EnterAsync(PollMode.Read).ConfigureAwait(true);
        try
        {
            // The engine's zero-length receive is this wait (it completes once the socket is readable).
            _ = await RunAsync(PollMode.Read, "read", "read", (socket, token) => socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, token), null, cancellationToken).ConfigureAwait(true);
        }
        finally
        {
            Exit(PollMode.Read);
        }
    }

    /// <inheritdoc/>
    public override void WaitReadable() => RunBlocking(() => WaitReadableAsync(CancellationToken.None));

    /// <inheritdoc/>
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        await EnterAsync(PollMode.Write).ConfigureAwait(true);
        try
        {
            int written = 0;
            do
            {
                ReadOnlyMemory<byte> rest = buffer[written..];
                written += await RunAsync(PollMode.Write, "write", "write", (socket, token) => socket.SendAsync(rest, SocketFlags.None, token), null, cancellationToken).ConfigureAwait(true);
            }
            while (written < buffer.Length && Kind.IsStream());
        }
        finally
        {
            Exit(PollMode.Write);
        }
    }

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        byte[] bytes = buffer.ToArray();
        RunBlocking(() => WriteAsync(bytes, CancellationToken.None));
    }

    /// <inheritdoc/>
    public override async ValueTask<(int Count, EndPoint? From)> ReceiveFromAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        EndPoint any = AnyAddress();
        await EnterAsync(PollMode.Read).ConfigureAwait(true);
        try
        {
            SocketReceiveFromResult received = await RunAsync(
                PollMode.Read, "read", "recvfrom", (socket, token) => socket.ReceiveFromAsync(buffer, SocketFlags.None, any, token), null, cancellationToken).ConfigureAwait(true);
            return (received.ReceivedBytes, received.RemoteEndPoint);
        }
        finally
        {
            Exit(PollMode.Read);
        }
    }

    /// <inheritdoc/>
    public override (int Count, EndPoint? From) ReceiveFrom(Span<byte> buffer)
    {
        byte[] bytes = new byte[buffer.Length];
        (int count, EndPoint? from) = RunBlocking(() => ReceiveFromAsync(bytes, CancellationToken.None));
        bytes.AsSpan(0, count).CopyTo(buffer);
        return (count, from);
    }

    /// <inheritdoc/>
    public override async ValueTask<int> SendToAsync(ReadOnlyMemory<byte> buffer, EndPoint to, CancellationToken cancellationToken)
    {
        await EnterAsync(PollMode.Write).ConfigureAwait(true);
        try
        {
            return await RunAsync(PollMode.Write, "write", "sendto", (socket, token) => socket.SendToAsync(buffer, SocketFlags.None, to, token), to, cancellationToken).ConfigureAwait(true);
        }
        finally
        {
            Exit(PollMode.Write);
        }
    }

    /// <inheritdoc/>
    public override int SendTo(ReadOnlySpan<byte> buffer, EndPoint to)
    {
        byte[] bytes = buffer.ToArray();
        return RunBlocking(() => SendToAsync(bytes, to, CancellationToken.None));
    }

    /// <inheritdoc/>
    public override void Shutdown(SocketShutdown how)
    {
        if (IsClosed)
        {
            throw ErrorOf("close", PollError.Closing);
        }

        try
        {
            _socket.Shutdown(how);
        }
        catch (SocketException e)
        {
            throw Failed("close", SystemErrors.Of("shutdown", e));
        }
    }

    /// <inheritdoc/>
    public override void Close()
    {
        if (!IsClosed)
        {
            // Error messages after the close still name the ends.
            _local ??= ReadAddress(peer: false);
            _remote ??= Kind.IsStream() ? ReadAddress(peer: true) : null;
        }

        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        _readDeadline.Stop();
        _writeDeadline.Stop();
        _socket.Dispose(); // aborts the operations in flight: they fail with the closed error
    }

    // ------------------------------------------------------------------ helpers

    /// <inheritdoc/>
    private protected override EndPoint? ReadAddress(bool peer)
    {
        try
        {
            return peer ? _socket.RemoteEndPoint : _socket.LocalEndPoint;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return null;
        }
    }

    private EngineDeadline DeadlineOf(PollMode mode) => mode == PollMode.Read ? _readDeadline : _writeDeadline;

    // Sets an option through the engine, failing as operation with Go's setsockopt cause.
    private void Configure(string operation, Action<Socket> set)
    {
        try
        {
            set(_socket);
        }
        catch (SocketException e)
        {
            throw Failed(operation, SystemErrors.Of("setsockopt", e));
        }
    }

    // A wildcard address of the socket's family, which a ReceiveFrom needs as its template.
    private EndPoint AnyAddress() => _socket.AddressFamily switch
    {
        AddressFamily.InterNetworkV6 => new IPEndPoint(IPAddress.IPv6Any, 0),
        AddressFamily.InterNetwork => new IPEndPoint(IPAddress.Any, 0),
        _ => _socket.LocalEndPoint ?? throw ErrorOf("read", PollError.Closing),
    };

    // One operation of the engine under the direction's deadline and the caller's token, its
    // failures turned into Go's errors: the closed error once closed, the timeout error when the
    // deadline cancelled it, the system's cause otherwise. Go: the loop of poll.FD's calls.
    private async ValueTask<T> RunAsync<T>(
        PollMode mode, string operation, string call, Func<Socket, CancellationToken, ValueTask<T>> start, EndPoint? to, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        EngineDeadline deadline = DeadlineOf(mode);
        CancellationToken expiry = deadline.Token;
        ThrowIfError(operation, deadline, to);
        using CancellationTokenSource? linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, expiry) : null;
        try
        {
            ValueTask<T> pending = start(_socket, linked?.Token ?? expiry);
            if (pending.IsCompleted)
            {
                return pending.Result;
            }

            if (SynchronizationContext.Current is not null)
            {
                Goroutine.Running?.NoteParking(WaitReason.IOWait, flow: null); // an async call on a goroutine (not a synchronous form's); the engine posts back through its context, not a runtime waiter
            }

            Interlocked.Increment(ref s_waiting);
            try
            {
                return await pending.ConfigureAwait(true);
            }
            finally
            {
                Interlocked.Decrement(ref s_waiting);
            }
        }
        catch (OperationCanceledException e)
        {
            throw cancellationToken.IsCancellationRequested
                ? new OperationCanceledException(e.Message, e, cancellationToken) // the caller's token, not the linked one
                : ErrorFor(operation, IsClosed ? PollError.Closing : PollError.Timeout, to);
        }
        catch (Exception e) when (e is ObjectDisposedException || (e is SocketException && IsClosed))
        {
            throw ErrorFor(operation, PollError.Closing, to);
        }
        catch (SocketException e)
        {
            NetOperationException error = Failed(operation, SystemErrors.Of(call, e));
            throw to is null ? error : new NetOperationException(operation, Kind.Name(), LocalAddress, to, error.InnerException!);
        }
    }

    private async ValueTask RunAsync(PollMode mode, string operation, string call, Func<Socket, CancellationToken, ValueTask> start, CancellationToken cancellationToken) =>
        await RunAsync(
            mode,
            operation,
            call,
            async (socket, token) =>
            {
                await start(socket, token).ConfigureAwait(true);
                return true;
            },
            null,
            cancellationToken).ConfigureAwait(true);

    // Fails at once on a closed socket or a passed deadline.
    private void ThrowIfError(string operation, EngineDeadline deadline, EndPoint? to)
    {
        if (IsClosed)
        {
            throw ErrorFor(operation, PollError.Closing, to);
        }

        if (deadline.IsExpired)
        {
            throw ErrorFor(operation, PollError.Timeout, to);
        }
    }

    // The closed or timeout error, naming the datagram's destination for a send to one.
    private NetOperationException ErrorFor(string operation, PollError error, EndPoint? to) =>
        to is null
            ? ErrorOf(operation, error)
            : error == PollError.Closing
                ? NetOperationException.Closed(operation, Kind.Name(), LocalAddress, to)
                : NetOperationException.Timeout(operation, Kind.Name(), LocalAddress, to);

    // The synchronous forms: start the operation with the goroutine's context set aside, so that
    // its continuations run on the thread pool rather than queue behind this thread, and wait for
    // it in a blocking region (the processor goes to another thread meanwhile).
    private static T RunBlocking<T>(Func<ValueTask<T>> start)
    {
        SynchronizationContext? context = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            ValueTask<T> operation = start();
            if (operation.IsCompleted)
            {
                return operation.GetAwaiter().GetResult();
            }

            using BlockingRegion region = Go.EnterBlockingRegion();
            return operation.AsTask().GetAwaiter().GetResult();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(context);
        }
    }

    private static void RunBlocking(Func<ValueTask> start) => RunBlocking(async () =>
    {
        await start().ConfigureAwait(false);
        return true;
    });
}
