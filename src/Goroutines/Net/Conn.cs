// Licensed under the MIT License.

using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace Goroutines.Net;

/// <summary>
/// A network connection: Go's <c>net.Conn</c> (<c>*TCPConn</c>, <c>*UnixConn</c>, a dialed
/// <c>*UDPConn</c>). A goroutine blocked in one of its calls holds no OS thread and no processor:
/// it is parked in the runtime's netpoller (wait reason <c>IO wait</c>) until the socket is ready.
/// </summary>
/// <remarks>
/// <para>
/// Several goroutines may call its methods at the same time, as in Go: reads are served one at a
/// time, writes one at a time, and a write is never interleaved with another.
/// </para>
/// <para>
/// Deadlines are Go's: absolute times on the runtime's clock (<see cref="Time.Clock.Provider"/>),
/// <c>default</c> for none. When one passes, the blocked call and every later one of that
/// direction fail with a <see cref="NetOperationException"/> whose <see cref="NetOperationException.IsTimeout"/>
/// is true and whose message ends in <c>i/o timeout</c>; a deadline extended or cleared while a
/// call is blocked lets the call go on. A deadline is an entry of the runtime's timer heaps.
/// </para>
/// <para>
/// <see cref="Close"/> from another goroutine fails the calls blocked on the connection with
/// <see cref="NetOperationException.IsClosed"/> (<c>use of closed network connection</c>).
/// </para>
/// </remarks>
public sealed class Conn : IDisposable, IAsyncDisposable
{
    private readonly NetSocket _socket;
    private ConnStream? _stream;

    internal Conn(NetSocket socket)
    {
        _socket = socket;
    }

    /// <summary>The network: <c>tcp</c>, <c>tcp4</c>, <c>tcp6</c>, <c>unix</c>, <c>udp</c>, …</summary>
    public string Network => _socket.Kind.Name();

    /// <summary>The local address (Go's <c>LocalAddr</c>); null for an unnamed Unix socket.</summary>
    public EndPoint? LocalAddr => _socket.LocalAddress;

    /// <summary>The remote address (Go's <c>RemoteAddr</c>); null for an unnamed Unix peer.</summary>
    public EndPoint? RemoteAddr => _socket.RemoteAddress;

    /// <summary>
    /// Takes over a connected <see cref="Socket"/> (it is made non-blocking and registered with the
    /// netpoller); closing the connection disposes it. Do not use the socket directly afterwards,
    /// and close the connection: its registration lasts until then (a socket the runtime made
    /// itself is also released by its finalizer).
    /// </summary>
    /// <param name="socket">A connected stream or datagram socket of the IPv4, IPv6 or Unix family.</param>
    /// <returns>The connection.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="socket"/> is null.</exception>
    /// <exception cref="ArgumentException">The socket is of another family or type.</exception>
    public static Conn FromSocket(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        return new Conn(NetSocket.Wrap(socket, KindOf(socket), "read"));
    }

    /// <summary>
    /// Reads into <paramref name="buffer"/>, parking the goroutine until data arrives. Returns the
    /// number of bytes read, at least one, or 0 at the end of the stream (where Go returns
    /// <c>io.EOF</c>). On a datagram connection, one datagram (truncated to the buffer). An empty
    /// buffer returns 0 at once, as Go's <c>Read</c>: it neither waits nor consumes a datagram.
    /// </summary>
    /// <param name="buffer">Where to put the bytes.</param>
    /// <param name="cancellationToken">Cancels the wait (the read then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>
    /// The number of bytes read; 0 at the end of the stream. Await it exactly once, as any
    /// <see cref="ValueTask{TResult}"/>: a read that waits finishes, and lets the next read in,
    /// when its awaiter resumes.
    /// </returns>
    /// <exception cref="NetOperationException">The read failed, its deadline passed, or the connection was closed.</exception>
    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _socket.ReadAsync(buffer, cancellationToken);

    /// <summary>
    /// Reads until at least <paramref name="minimumBytes"/> bytes are in <paramref name="buffer"/>, or
    /// the stream ends (Go's <c>io.ReadAtLeast</c>; <see cref="Stream.ReadAtLeastAsync"/>'s contract).
    /// The goroutine stays parked in the netpoller until then, with no async state machine of its own.
    /// </summary>
    /// <param name="buffer">Where to put the bytes; each read takes what came, up to its end.</param>
    /// <param name="minimumBytes">How many bytes to wait for, from 0 to the buffer's length.</param>
    /// <param name="throwOnEndOfStream">
    /// Whether the end of the stream before <paramref name="minimumBytes"/> throws
    /// <see cref="EndOfStreamException"/> (Go's <c>io.ErrUnexpectedEOF</c>) rather than returning fewer.
    /// </param>
    /// <param name="cancellationToken">Cancels the wait (the read then throws <see cref="OperationCanceledException"/>; bytes already read are lost).</param>
    /// <returns>
    /// The number of bytes read: at least <paramref name="minimumBytes"/>, fewer only at the end of
    /// the stream with <paramref name="throwOnEndOfStream"/> false. Await it exactly once.
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minimumBytes"/> is negative or above the buffer's length.</exception>
    /// <exception cref="EndOfStreamException">The stream ended first, and <paramref name="throwOnEndOfStream"/> is true.</exception>
    /// <exception cref="NetOperationException">A read failed, its deadline passed, or the connection was closed.</exception>
    public ValueTask<int> ReadAtLeastAsync(Memory<byte> buffer, int minimumBytes, bool throwOnEndOfStream = true, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimumBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minimumBytes, buffer.Length);
        return minimumBytes == 0
            ? new ValueTask<int>(0)
            : _socket.ReadAtLeastAsync(buffer, minimumBytes, throwOnEndOfStream, cancellationToken);
    }

    /// <summary>
    /// Fills <paramref name="buffer"/> (Go's <c>io.ReadFull</c>; <see cref="Stream.ReadExactlyAsync(Memory{byte}, CancellationToken)"/>'s
    /// contract): <see cref="ReadAtLeastAsync"/> for the whole buffer, throwing at an early end.
    /// </summary>
    /// <param name="buffer">The bytes to fill.</param>
    /// <param name="cancellationToken">Cancels the wait (the read then throws <see cref="OperationCanceledException"/>; bytes already read are lost).</param>
    /// <returns>An awaitable that completes when the buffer is full. Await it exactly once.</returns>
    /// <exception cref="EndOfStreamException">The stream ended before the buffer was full (Go: <c>io.EOF</c> or <c>io.ErrUnexpectedEOF</c>).</exception>
    /// <exception cref="NetOperationException">A read failed, its deadline passed, or the connection was closed.</exception>
    public ValueTask ReadExactlyAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        buffer.IsEmpty ? default : _socket.ReadExactlyAsync(buffer, cancellationToken);

    /// <summary>
    /// The blocking form of <see cref="ReadAsync"/>: on a goroutine's thread its processor is handed
    /// to another thread while it waits. Prefer <see cref="ReadAsync"/> in goroutines.
    /// </summary>
    /// <param name="buffer">Where to put the bytes.</param>
    /// <returns>The number of bytes read; 0 at the end of the stream.</returns>
    /// <exception cref="NetOperationException">The read failed, its deadline passed, or the connection was closed.</exception>
    public int Read(Span<byte> buffer) => _socket.Read(buffer);

    // The stream's zero-length read (ConnStream): waits until a read would not wait, consuming nothing.
    internal ValueTask WaitReadableAsync(CancellationToken cancellationToken) => _socket.WaitReadableAsync(cancellationToken);

    // The blocking form of WaitReadableAsync.
    internal void WaitReadable() => _socket.WaitReadable();

    /// <summary>
    /// Writes all of <paramref name="buffer"/>, parking while the socket's send buffer is full (Go's
    /// <c>Write</c> writes everything or fails). On a datagram connection, sends one datagram.
    /// </summary>
    /// <param name="buffer">The bytes to write.</param>
    /// <param name="cancellationToken">Cancels a wait for room (the write then throws <see cref="OperationCanceledException"/>; part of the buffer may have been written).</param>
    /// <returns>An awaitable that completes when every byte was handed to the kernel.</returns>
    /// <exception cref="NetOperationException">The write failed, its deadline passed, or the connection was closed.</exception>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _socket.WriteAsync(buffer, cancellationToken);

    /// <summary>The blocking form of <see cref="WriteAsync"/>.</summary>
    /// <param name="buffer">The bytes to write.</param>
    /// <exception cref="NetOperationException">The write failed, its deadline passed, or the connection was closed.</exception>
    public void Write(ReadOnlySpan<byte> buffer) => _socket.Write(buffer);

    /// <summary>Sets both directions' deadlines (Go's <c>SetDeadline</c>); <c>default</c> clears them.</summary>
    /// <param name="deadline">When blocked and later calls start failing with a timeout.</param>
    public void SetDeadline(DateTimeOffset deadline) => _socket.SetDeadline(deadline, reads: true, writes: true);

    /// <summary>Sets the deadline of reads (Go's <c>SetReadDeadline</c>); <c>default</c> clears it.</summary>
    /// <param name="deadline">When a blocked read and later ones start failing with a timeout.</param>
    public void SetReadDeadline(DateTimeOffset deadline) => _socket.SetDeadline(deadline, reads: true, writes: false);

    /// <summary>Sets the deadline of writes (Go's <c>SetWriteDeadline</c>); <c>default</c> clears it.</summary>
    /// <param name="deadline">When a blocked write and later ones start failing with a timeout.</param>
    public void SetWriteDeadline(DateTimeOffset deadline) => _socket.SetDeadline(deadline, reads: false, writes: true);

    /// <summary>Turns Nagle's algorithm off (true, the default for every TCP connection, as Go) or on.</summary>
    /// <param name="noDelay">Whether small writes go out at once.</param>
    /// <exception cref="InvalidOperationException">The connection is not TCP.</exception>
    public void SetNoDelay(bool noDelay)
    {
        RequireTcp(nameof(SetNoDelay));
        _socket.SetNoDelay(noDelay, "set");
    }

    /// <summary>Turns TCP keep-alive probes on or off (Go's <c>SetKeepAlive</c>).</summary>
    /// <param name="keepAlive">Whether the kernel probes an idle connection.</param>
    /// <exception cref="InvalidOperationException">The connection is not TCP.</exception>
    public void SetKeepAlive(bool keepAlive)
    {
        RequireTcp(nameof(SetKeepAlive));
        _socket.SetKeepAliveEnabled(keepAlive, "set");
    }

    /// <summary>Sets the idle time before the first keep-alive probe and between probes (Go's <c>SetKeepAlivePeriod</c>).</summary>
    /// <param name="period">The period, rounded up to whole seconds; zero is Go's default of 15 seconds.</param>
    /// <exception cref="InvalidOperationException">The connection is not TCP.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="period"/> is negative.</exception>
    public void SetKeepAlivePeriod(TimeSpan period)
    {
        RequireTcp(nameof(SetKeepAlivePeriod));
        ArgumentOutOfRangeException.ThrowIfLessThan(period, TimeSpan.Zero);
        _socket.SetKeepAlive(period, "set");
    }

    /// <summary>Shuts the reading side down (Go's <c>CloseRead</c>): later reads return 0.</summary>
    /// <exception cref="NetOperationException">The connection was closed, or the system refused.</exception>
    public void CloseRead() => _socket.Shutdown(SocketShutdown.Receive);

    /// <summary>
    /// Shuts the writing side down (Go's <c>CloseWrite</c>, a half-close): the peer reads the end of
    /// the stream, and this side can still read what the peer sends.
    /// </summary>
    /// <exception cref="NetOperationException">The connection was closed, or the system refused.</exception>
    public void CloseWrite() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>
    /// A <see cref="Stream"/> over the connection, for <c>StreamReader</c>, <c>PipeReader.Create</c>,
    /// <c>SslStream</c> (TLS, Go's <c>crypto/tls</c>), <c>CopyToAsync</c>; the same instance each
    /// time. Disposing it closes the connection.
    /// </summary>
    /// <returns>The connection's stream.</returns>
    public Stream AsStream() => _stream ??= new ConnStream(this);

    /// <summary>
    /// Closes the connection: calls blocked on it fail with the closed error, and so do later ones.
    /// Idempotent (Go's second <c>Close</c> returns an error; .NET's <c>Close</c> and <c>Dispose</c> do not throw).
    /// </summary>
    public void Close() => _socket.Close();

    /// <inheritdoc/>
    public void Dispose() => Close();

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Close();
        return default;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Network} {LocalAddr}->{RemoteAddr}";

    internal static NetworkKind KindOf(Socket socket) => (socket.AddressFamily, socket.SocketType) switch
    {
        (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6, SocketType.Stream) => NetworkKind.Tcp,
        (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6, SocketType.Dgram) => NetworkKind.Udp,
        (AddressFamily.Unix, SocketType.Stream) => NetworkKind.Unix,
        (AddressFamily.Unix, SocketType.Dgram) => NetworkKind.UnixDatagram,
        _ => throw new ArgumentException($"a {socket.AddressFamily} {socket.SocketType} socket is not one of Go's networks (TCP, UDP or Unix)", nameof(socket)),
    };

    private void RequireTcp(string method)
    {
        if (!_socket.Kind.IsTcp())
        {
            throw new InvalidOperationException($"{method} applies to TCP connections; this one is {Network}.");
        }
    }
}
