// Licensed under the MIT License.

using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace Goroutines.Net;

/// <summary>
/// A datagram socket that is not connected: Go's <c>net.PacketConn</c> (<c>*UDPConn</c> from
/// <c>ListenPacket</c>). Each read returns one datagram and its sender; each write sends one.
/// A goroutine blocked in one of its calls is parked in the netpoller.
/// </summary>
/// <remarks>Deadlines and <see cref="Close"/> behave as <see cref="Conn"/>'s.</remarks>
public sealed class PacketConn : IDisposable, IAsyncDisposable
{
    private readonly NetSocket _socket;

    internal PacketConn(NetSocket socket)
    {
        _socket = socket;
    }

    /// <summary>The local address, with the port the system chose for port 0.</summary>
    public EndPoint? LocalAddr => _socket.LocalAddress;

    /// <summary>The network: <c>udp</c>, <c>udp4</c>, <c>udp6</c> or <c>unixgram</c>.</summary>
    public string Network => _socket.Kind.Name();

    /// <summary>Takes over a bound datagram <see cref="Socket"/>; closing this disposes it.</summary>
    /// <param name="socket">A datagram socket of the IPv4, IPv6 or Unix family.</param>
    /// <returns>The packet connection.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="socket"/> is null.</exception>
    /// <exception cref="ArgumentException">The socket is not a datagram socket of those families.</exception>
    public static PacketConn FromSocket(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        NetworkKind kind = Conn.KindOf(socket);
        if (kind.IsStream())
        {
            throw new ArgumentException("A packet connection takes a datagram socket; wrap a stream socket with Conn.FromSocket.", nameof(socket));
        }

        return new PacketConn(NetSocket.Wrap(socket, kind, "listen"));
    }

    /// <summary>
    /// Receives one datagram into <paramref name="buffer"/> (truncated to it), parking the goroutine
    /// until one arrives (Go's <c>ReadFrom</c>).
    /// </summary>
    /// <param name="buffer">Where to put the datagram.</param>
    /// <param name="cancellationToken">Cancels the wait (then <see cref="OperationCanceledException"/>).</param>
    /// <returns>The datagram's length in the buffer, and its sender (null for an unnamed Unix socket).</returns>
    /// <exception cref="NetOperationException">The read failed, its deadline passed, or the socket was closed.</exception>
    public ValueTask<(int Count, EndPoint? From)> ReadFromAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _socket.ReceiveFromAsync(buffer, cancellationToken);

    /// <summary>The blocking form of <see cref="ReadFromAsync"/>.</summary>
    /// <param name="buffer">Where to put the datagram.</param>
    /// <returns>The datagram's length in the buffer, and its sender.</returns>
    /// <exception cref="NetOperationException">The read failed, its deadline passed, or the socket was closed.</exception>
    public (int Count, EndPoint? From) ReadFrom(Span<byte> buffer) => _socket.ReceiveFrom(buffer);

    /// <summary>Sends <paramref name="buffer"/> as one datagram to <paramref name="to"/> (Go's <c>WriteTo</c>).</summary>
    /// <param name="buffer">The datagram.</param>
    /// <param name="to">Its destination.</param>
    /// <param name="cancellationToken">Cancels a wait for room (then <see cref="OperationCanceledException"/>).</param>
    /// <returns>The number of bytes sent: all of them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="to"/> is null.</exception>
    /// <exception cref="NetOperationException">The send failed, its deadline passed, or the socket was closed.</exception>
    public ValueTask<int> WriteToAsync(ReadOnlyMemory<byte> buffer, EndPoint to, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(to);
        return _socket.SendToAsync(buffer, to, cancellationToken);
    }

    /// <summary>The blocking form of <see cref="WriteToAsync"/>.</summary>
    /// <param name="buffer">The datagram.</param>
    /// <param name="to">Its destination.</param>
    /// <returns>The number of bytes sent.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="to"/> is null.</exception>
    /// <exception cref="NetOperationException">The send failed, its deadline passed, or the socket was closed.</exception>
    public int WriteTo(ReadOnlySpan<byte> buffer, EndPoint to)
    {
        ArgumentNullException.ThrowIfNull(to);
        return _socket.SendTo(buffer, to);
    }

    /// <summary>Sets both directions' deadlines; <c>default</c> clears them.</summary>
    /// <param name="deadline">When blocked and later calls start failing with a timeout.</param>
    public void SetDeadline(DateTimeOffset deadline) => _socket.SetDeadline(deadline, reads: true, writes: true);

    /// <summary>Sets the deadline of reads; <c>default</c> clears it.</summary>
    /// <param name="deadline">When a blocked read and later ones start failing with a timeout.</param>
    public void SetReadDeadline(DateTimeOffset deadline) => _socket.SetDeadline(deadline, reads: true, writes: false);

    /// <summary>Sets the deadline of writes; <c>default</c> clears it.</summary>
    /// <param name="deadline">When a blocked write and later ones start failing with a timeout.</param>
    public void SetWriteDeadline(DateTimeOffset deadline) => _socket.SetDeadline(deadline, reads: false, writes: true);

    /// <summary>Closes the socket: blocked calls fail with the closed error, and so do later ones. Idempotent.</summary>
    public void Close() => _socket.Close();

    /// <inheritdoc/>
    public void Dispose() => Close();

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Close();
        return default;
    }
}
