// Licensed under the MIT License.

using System;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Scheduling;
using Goroutines.Sync;

namespace Goroutines.Net;

// NetSocket: Go's netFD, the socket under a Conn, a Listener or a PacketConn, in one of
// two engines chosen once per process (UsesNetPoller):
//   PolledSocket: the runtime's own netpoller (Linux, epoll). A goroutine blocked on a
//     socket is parked in the poller and readied by its edge; no thread waits for it.
//   EngineSocket: .NET's socket engine (every other system, or GOROUTINES_NETPOLLER=off).
//     A goroutine blocked on a socket awaits the engine's operation, whose completion
//     comes back to the goroutine through its context; deadlines cancel it.
// Both give the same contract: Go's deadlines and errors, a close that fails the blocked
// calls with the closed error, one read and one write at a time.
//
// What both share lives here: the address cache, the errors in Go's shape, and each
// direction's lock (Go's fdMutex read and write locks): two goroutines may read and write
// one socket at the same time, as Go allows, and a write of several calls is never
// interleaved with another. The lock is a count of holders and waiters: the first in takes
// it with one increment, the others park on a semaphore created at the first contention,
// and a leaving holder that finds the count still above zero releases one of them (a
// permit kept if it has not parked yet).
//
// Invariants:
// - The engine is decided before the first socket and never changes.
// - _local and _remote are a cache: null means "read it when asked".
internal abstract class NetSocket
{
    // Go's default keep-alive period for dialed and accepted TCP connections (15 s, net.defaultTCPKeepAliveIdle).
    private protected const int DefaultKeepAliveSeconds = 15;

    // Each direction's lock: an uncontended socket pays two ints.
    private protected int _readHolders;
    private protected int _writeHolders;
    private RuntimeSemaphore? _readWaiters;
    private RuntimeSemaphore? _writeWaiters;
    private protected EndPoint? _local;
    private protected EndPoint? _remote;

    private protected NetSocket(NetworkKind kind)
    {
        Kind = kind;
    }

    /// <summary>
    /// Whether sockets use the runtime's own netpoller (Linux, unless the environment variable
    /// GOROUTINES_NETPOLLER is <c>off</c>) rather than .NET's socket engine.
    /// </summary>
    public static bool UsesNetPoller { get; } =
        OperatingSystem.IsLinux() && !string.Equals(Environment.GetEnvironmentVariable("GOROUTINES_NETPOLLER"), "off", StringComparison.OrdinalIgnoreCase);

    /// <summary>The network the socket was made for.</summary>
    public NetworkKind Kind { get; }

    /// <summary>The socket's handle (a <see cref="RawSocket"/>'s).</summary>
    public abstract SafeHandle Handle { get; }

    /// <summary>Whether <see cref="Close"/> ran.</summary>
    public abstract bool IsClosed { get; }

    /// <summary>The local address: known, or read from the system once.</summary>
    public EndPoint? LocalAddress => _local ??= ReadAddress(peer: false);

    /// <summary>The remote address, if connected.</summary>
    public EndPoint? RemoteAddress => _remote ??= ReadAddress(peer: true);

    /// <summary>Creates a socket of <paramref name="family"/> for <paramref name="kind"/> in the process's engine.</summary>
    /// <exception cref="NetOperationException">The system refused (descriptor limit).</exception>
    public static NetSocket Create(NetworkKind kind, AddressFamily family, string operation, EndPoint? address) =>
        UsesNetPoller ? PolledSocket.Open(kind, family, operation, address) : EngineSocket.Open(kind, family, operation, address);

    /// <summary>Takes over an existing .NET socket; closing this disposes it.</summary>
    public static NetSocket Wrap(Socket socket, NetworkKind kind, string operation) =>
        UsesNetPoller ? PolledSocket.Adopt(socket, kind, operation) : EngineSocket.Adopt(socket, kind);

    // ------------------------------------------------------------------ setup

    /// <summary>Sets an integer option by its system numbers (<see cref="RawSocket.SetOption"/>).</summary>
    /// <exception cref="SocketException">The system refused.</exception>
    public abstract void SetRawOption(int level, int name, int value);

    /// <summary>Reads an integer option by its system numbers (<see cref="RawSocket.GetOption"/>).</summary>
    /// <exception cref="SocketException">The system refused.</exception>
    public abstract int GetRawOption(int level, int name);

    /// <summary>Turns Nagle's algorithm off (true) or on, failing as <paramref name="operation"/>.</summary>
    public abstract void SetNoDelay(bool noDelay, string operation);

    /// <summary>Turns keep-alive probes on or off, failing as <paramref name="operation"/>.</summary>
    public abstract void SetKeepAliveEnabled(bool enabled, string operation);

    /// <summary>Keep-alive probes every <paramref name="period"/> (zero: 15 s, as Go; negative: off).</summary>
    public abstract void SetKeepAlive(TimeSpan period, string operation);

    /// <summary>
    /// Go's options for a new TCP connection: no Nagle delay, and keep-alive probes every
    /// <paramref name="keepAlive"/> (zero: Go's 15 seconds; negative: off).
    /// </summary>
    public virtual void ConfigureTcp(TimeSpan keepAlive, string operation)
    {
        SetNoDelay(true, operation);
        SetKeepAlive(keepAlive, operation);
    }

    /// <summary>Lets a listener bind a port still in TIME_WAIT (SO_REUSEADDR, as Go sets on Unix).</summary>
    public abstract void SetReuseAddress(string operation);

    /// <summary>Whether an IPv6 socket takes IPv6 only (true) or IPv4 too (false).</summary>
    public abstract void SetIPv6Only(bool only, string operation);

    /// <summary>Binds to <paramref name="address"/>.</summary>
    public abstract void Bind(EndPoint address, string operation);

    /// <summary>Starts listening (a backlog the system caps, as Go reads it).</summary>
    public abstract void Listen(EndPoint address);

    /// <summary>Records the address a dial is for, so that its errors before the connect name it.</summary>
    public void NoteTarget(EndPoint target) => _remote = target;

    /// <summary>Sets the deadline of one direction: null for none, else a timestamp of the runtime's clock (past: expired).</summary>
    public abstract void SetDeadline(PollMode mode, long? when);

    /// <summary>Sets Go's deadline (<c>default</c>: none) of the reads, the writes, or both.</summary>
    public void SetDeadline(DateTimeOffset deadline, bool reads, bool writes)
    {
        long? when = Deadlines.ToClock(deadline);
        if (reads)
        {
            SetDeadline(PollMode.Read, when);
        }

        if (writes)
        {
            SetDeadline(PollMode.Write, when);
        }
    }

    // ------------------------------------------------------------------ calls

    /// <summary>Connects to <paramref name="remote"/>, parking until the handshake completes.</summary>
    public abstract ValueTask ConnectAsync(EndPoint remote, CancellationToken cancellationToken);

    /// <summary>The blocking form of <see cref="ConnectAsync"/>.</summary>
    public abstract void Connect(EndPoint remote);

    /// <summary>Accepts a connection, parking until one arrives.</summary>
    public abstract ValueTask<NetSocket> AcceptAsync(CancellationToken cancellationToken);

    /// <summary>The blocking form of <see cref="AcceptAsync"/>.</summary>
    public abstract NetSocket Accept();

    /// <summary>Reads into <paramref name="buffer"/>: the bytes read, 0 at the end of the stream.</summary>
    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        ReadAtLeastAsync(buffer, minimum: 1, throwOnEndOfStream: false, cancellationToken);

    /// <summary>
    /// Reads into <paramref name="buffer"/> until at least <paramref name="minimum"/> bytes came or
    /// the stream ended: the bytes read (fewer than <paramref name="minimum"/> only at the end of the
    /// stream, which throws <see cref="System.IO.EndOfStreamException"/> instead when
    /// <paramref name="throwOnEndOfStream"/>). Each call takes what the socket has, up to the
    /// buffer's end. Under the read lock throughout. Go: netFD.Read, and io.ReadAtLeast over it.
    /// </summary>
    public abstract ValueTask<int> ReadAtLeastAsync(Memory<byte> buffer, int minimum, bool throwOnEndOfStream, CancellationToken cancellationToken);

    /// <summary>Fills <paramref name="buffer"/>, or throws <see cref="System.IO.EndOfStreamException"/> at an early end.</summary>
    public abstract ValueTask ReadExactlyAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>The blocking form of <see cref="ReadAsync"/>.</summary>
    public abstract int Read(Span<byte> buffer);

    /// <summary>
    /// Waits until a read would not wait: bytes are queued, the stream ended, or the read would fail
    /// (then throws as the read would). Consumes nothing. A stream's zero-length read through
    /// <see cref="Conn.AsStream"/> is this wait, as <see cref="System.Net.Sockets.NetworkStream"/>'s
    /// is: SslStream and pipes wait for data so before they take a buffer. Under the read lock.
    /// </summary>
    public abstract ValueTask WaitReadableAsync(CancellationToken cancellationToken);

    /// <summary>The blocking form of <see cref="WaitReadableAsync"/>.</summary>
    public abstract void WaitReadable();

    /// <summary>Writes all of <paramref name="buffer"/> (a stream), or sends it as one datagram.</summary>
    public abstract ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>The blocking form of <see cref="WriteAsync"/>.</summary>
    public abstract void Write(ReadOnlySpan<byte> buffer);

    /// <summary>Receives one datagram: its length and its sender.</summary>
    public abstract ValueTask<(int Count, EndPoint? From)> ReceiveFromAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>The blocking form of <see cref="ReceiveFromAsync"/>.</summary>
    public abstract (int Count, EndPoint? From) ReceiveFrom(Span<byte> buffer);

    /// <summary>Sends <paramref name="buffer"/> as one datagram to <paramref name="to"/>; returns its length.</summary>
    public abstract ValueTask<int> SendToAsync(ReadOnlyMemory<byte> buffer, EndPoint to, CancellationToken cancellationToken);

    /// <summary>The blocking form of <see cref="SendToAsync"/>.</summary>
    public abstract int SendTo(ReadOnlySpan<byte> buffer, EndPoint to);

    /// <summary>Shuts one direction down (Go's <c>CloseRead</c> and <c>CloseWrite</c>).</summary>
    public abstract void Shutdown(SocketShutdown how);

    /// <summary>
    /// Closes the socket: calls blocked on it fail with the closed error, later ones too, and the
    /// system's socket is released once calls in flight return. Idempotent.
    /// </summary>
    public abstract void Close();

    // ------------------------------------------------------------------ shared helpers

    /// <summary>Reads the local or the peer's address from the system; null if there is none.</summary>
    private protected abstract EndPoint? ReadAddress(bool peer);

    /// <summary>Takes a direction's lock, parking behind its holder if it has one.</summary>
    private protected ValueTask EnterAsync(PollMode mode)
    {
        ref int holders = ref mode == PollMode.Read ? ref _readHolders : ref _writeHolders;
        return Interlocked.Increment(ref holders) == 1
            ? default
            : RuntimeSemaphore.Ensure(ref mode == PollMode.Read ? ref _readWaiters : ref _writeWaiters).AcquireAsync(WaitReason.SyncSemaphoreAcquire);
    }

    /// <summary>The blocking form of <see cref="EnterAsync"/>; the returned scope leaves the lock.</summary>
    private protected DirectionScope Enter(PollMode mode)
    {
        ref int holders = ref mode == PollMode.Read ? ref _readHolders : ref _writeHolders;
        if (Interlocked.Increment(ref holders) != 1)
        {
            RuntimeSemaphore.Ensure(ref mode == PollMode.Read ? ref _readWaiters : ref _writeWaiters).Acquire();
        }

        return new DirectionScope(this, mode);
    }

    /// <summary>Leaves a direction's lock, handing it to the next waiter if there is one.</summary>
    private protected void Exit(PollMode mode)
    {
        ref int holders = ref mode == PollMode.Read ? ref _readHolders : ref _writeHolders;
        if (Interlocked.Decrement(ref holders) > 0)
        {
            RuntimeSemaphore.Ensure(ref mode == PollMode.Read ? ref _readWaiters : ref _writeWaiters).Release();
        }
    }

    /// <summary>The result of a read that got what it asked for, or met the end of the stream first.</summary>
    private protected static int EndOfRead(int got, int minimum, bool throwOnEndOfStream) =>
        got < minimum && throwOnEndOfStream ? throw new System.IO.EndOfStreamException() : got;

    /// <summary>The closed or the timeout error of <paramref name="operation"/>.</summary>
    private protected NetOperationException ErrorOf(string operation, PollError error)
    {
        (EndPoint? source, EndPoint? address) = AddressesFor(operation);
        return error == PollError.Closing
            ? NetOperationException.Closed(operation, Kind.Name(), source, address)
            : NetOperationException.Timeout(operation, Kind.Name(), source, address);
    }

    /// <summary>The error of <paramref name="operation"/> whose <paramref name="cause"/> the system gave.</summary>
    private protected NetOperationException Failed(string operation, Exception cause)
    {
        (EndPoint? source, EndPoint? address) = AddressesFor(operation);
        return new NetOperationException(operation, Kind.Name(), source, address, cause);
    }

    /// <summary>
    /// The addresses Go's OpError names for each operation: a listener's own for accept, the
    /// target for dial, both ends otherwise. Read only on a failure: they may cost a system call.
    /// </summary>
    private protected (EndPoint? Source, EndPoint? Address) AddressesFor(string operation) => operation switch
    {
        "accept" => (null, LocalAddress),
        "dial" => (_local, _remote),
        _ => (LocalAddress, _remote ?? (Kind.IsStream() ? RemoteAddress : null)),
    };

    /// <summary>A direction's lock held by a synchronous call; disposing leaves it.</summary>
    private protected readonly struct DirectionScope(NetSocket socket, PollMode mode) : IDisposable
    {
        public void Dispose() => socket.Exit(mode);
    }
}
