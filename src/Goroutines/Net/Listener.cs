// Licensed under the MIT License.

using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace Goroutines.Net;

/// <summary>
/// A stream listener: Go's <c>net.Listener</c> (<c>*TCPListener</c>, <c>*UnixListener</c>). A
/// goroutine blocked in <see cref="AcceptAsync"/> is parked in the netpoller, holding no thread.
/// </summary>
/// <remarks>
/// <see cref="Close"/> from another goroutine fails a blocked accept with
/// <see cref="NetOperationException.IsClosed"/> (<c>use of closed network connection</c>), the
/// usual way to stop an accept loop. Accepted TCP connections get Go's options: no Nagle delay,
/// and keep-alive as <see cref="ListenConfig.KeepAlive"/> says.
/// </remarks>
public sealed class Listener : IDisposable, IAsyncDisposable
{
    private readonly NetSocket _socket;
    private readonly TimeSpan _keepAlive;
    private readonly string? _unlinkOnClose;

    internal Listener(NetSocket socket, TimeSpan keepAlive, string? unlinkOnClose)
    {
        _socket = socket;
        _keepAlive = keepAlive;
        _unlinkOnClose = unlinkOnClose;
    }

    /// <summary>The socket underneath (its engine: the runtime's netpoller or .NET's).</summary>
    internal NetSocket Socket => _socket;

    /// <summary>The address it listens on (Go's <c>Addr</c>), with the port the system chose for port 0.</summary>
    public EndPoint Addr => _socket.LocalAddress ?? throw new InvalidOperationException("The listener has no address (it was closed before its address was read).");

    /// <summary>The network: <c>tcp</c>, <c>tcp4</c>, <c>tcp6</c> or <c>unix</c>.</summary>
    public string Network => _socket.Kind.Name();

    /// <summary>
    /// Takes over a listening <see cref="Socket"/> (made non-blocking and registered with the
    /// netpoller); closing the listener disposes it.
    /// </summary>
    /// <param name="socket">A bound, listening stream socket of the IPv4, IPv6 or Unix family.</param>
    /// <returns>The listener.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="socket"/> is null.</exception>
    /// <exception cref="ArgumentException">The socket is not a stream socket of those families.</exception>
    public static Listener FromSocket(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        NetworkKind kind = Conn.KindOf(socket);
        if (!kind.IsStream())
        {
            throw new ArgumentException("A listener takes a stream socket; wrap a datagram socket with PacketConn.FromSocket.", nameof(socket));
        }

        return new Listener(NetSocket.Wrap(socket, kind, "listen"), TimeSpan.Zero, unlinkOnClose: null);
    }

    /// <summary>Waits for the next connection, parking the goroutine until one arrives.</summary>
    /// <param name="cancellationToken">Cancels the wait (the accept then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The accepted connection.</returns>
    /// <exception cref="NetOperationException">The listener was closed, its deadline passed, or the system refused (descriptor limit).</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<Conn> AcceptAsync(CancellationToken cancellationToken = default) =>
        Configure(await _socket.AcceptAsync(cancellationToken).ConfigureAwait(true));

    /// <summary>The blocking form of <see cref="AcceptAsync"/>; prefer that one in goroutines.</summary>
    /// <returns>The accepted connection.</returns>
    /// <exception cref="NetOperationException">The listener was closed, its deadline passed, or the system refused.</exception>
    public Conn Accept() => Configure(_socket.Accept());

    /// <summary>Sets the deadline of accepts (Go's <c>TCPListener.SetDeadline</c>); <c>default</c> clears it.</summary>
    /// <param name="deadline">When a blocked accept and later ones start failing with a timeout.</param>
    public void SetDeadline(DateTimeOffset deadline) => _socket.SetDeadline(deadline, reads: true, writes: false);

    /// <summary>
    /// Stops listening: a blocked accept fails with the closed error, and so do later ones. A Unix
    /// listener made by <see cref="Network.Listen"/> removes its socket file, as Go's. Idempotent.
    /// </summary>
    public void Close()
    {
        bool wasOpen = !_socket.IsClosed;
        _socket.Close();
        if (wasOpen && _unlinkOnClose is not null)
        {
            try
            {
                File.Delete(_unlinkOnClose);
            }
            catch (IOException)
            {
                // Gone already, or replaced: nothing of ours to remove.
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose() => Close();

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Close();
        return default;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Network} listener on {_socket.LocalAddress}";

    private Conn Configure(NetSocket accepted)
    {
        if (accepted.Kind.IsTcp())
        {
            try
            {
                accepted.ConfigureTcp(_keepAlive, "accept");
            }
            catch
            {
                accepted.Close();
                throw;
            }
        }

        return new Conn(accepted);
    }
}
