// Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Tasks;

namespace Goroutines.Net;

/// <summary>
/// Go's <c>net</c> package on the runtime's netpoller: listening, dialing and datagrams for
/// goroutines. A goroutine blocked on a socket is parked (wait reason <c>IO wait</c>) and holds
/// no OS thread, so a server can keep one goroutine per connection for tens of thousands of
/// connections on a few threads.
/// </summary>
/// <remarks>
/// On Linux the netpoller is the runtime's own: epoll, edge-triggered, polled by the scheduler as
/// Go's is. Elsewhere (or with the environment variable <c>GOROUTINES_NETPOLLER=off</c>) the same
/// calls run on .NET's socket engine, with the same deadlines, errors and close semantics.
/// </remarks>
public static class Network
{
    /// <summary>Listens for streams (Go's <c>net.Listen</c>); see <see cref="ListenConfig.Listen"/>.</summary>
    /// <param name="network"><c>tcp</c>, <c>tcp4</c>, <c>tcp6</c> or <c>unix</c>.</param>
    /// <param name="address"><c>host:port</c> (<c>"127.0.0.1:8080"</c>, <c>"[::1]:0"</c>, <c>":0"</c>, <c>"localhost:80"</c>) or a path.</param>
    /// <returns>The listener.</returns>
    /// <exception cref="ArgumentException">An unknown or datagram network, or a malformed address.</exception>
    /// <exception cref="NetOperationException">The system refused (address in use, permission).</exception>
    public static Listener Listen(string network, string address) => new ListenConfig().Listen(network, address);

    /// <summary>Opens a datagram socket (Go's <c>net.ListenPacket</c>); see <see cref="ListenConfig.ListenPacket"/>.</summary>
    /// <param name="network"><c>udp</c>, <c>udp4</c>, <c>udp6</c> or <c>unixgram</c>.</param>
    /// <param name="address"><c>host:port</c> or a path.</param>
    /// <returns>The packet connection.</returns>
    /// <exception cref="ArgumentException">An unknown or stream network, or a malformed address.</exception>
    /// <exception cref="NetOperationException">The system refused.</exception>
    public static PacketConn ListenPacket(string network, string address) => new ListenConfig().ListenPacket(network, address);

    /// <summary>Connects (Go's <c>net.Dial</c>), parking the goroutine; see <see cref="Dialer.DialAsync(string, string, CancellationToken)"/>.</summary>
    /// <param name="network"><c>tcp</c>, <c>tcp4</c>, <c>tcp6</c>, <c>udp</c>, <c>udp4</c>, <c>udp6</c>, <c>unix</c> or <c>unixgram</c>.</param>
    /// <param name="address"><c>host:port</c> or a path.</param>
    /// <param name="cancellationToken">Cancels the dial.</param>
    /// <returns>The connection.</returns>
    /// <exception cref="ArgumentException">An unknown network or a malformed address.</exception>
    /// <exception cref="NetOperationException">The connection failed.</exception>
    public static ValueTask<Conn> DialAsync(string network, string address, CancellationToken cancellationToken = default) =>
        new Dialer().DialAsync(network, address, cancellationToken);

    /// <summary>Connects, failing with a timeout after <paramref name="timeout"/> (Go's <c>net.DialTimeout</c>).</summary>
    /// <param name="network">The network.</param>
    /// <param name="address"><c>host:port</c> or a path.</param>
    /// <param name="timeout">The longest the dial may take.</param>
    /// <returns>The connection.</returns>
    /// <exception cref="ArgumentException">An unknown network or a malformed address.</exception>
    /// <exception cref="NetOperationException">The connection failed, or the timeout passed.</exception>
    public static ValueTask<Conn> DialTimeoutAsync(string network, string address, TimeSpan timeout) =>
        new Dialer { Timeout = timeout }.DialAsync(network, address);

    /// <summary>The blocking form of <see cref="DialAsync"/>; prefer that one in goroutines.</summary>
    /// <param name="network">The network.</param>
    /// <param name="address"><c>host:port</c> or a path.</param>
    /// <returns>The connection.</returns>
    /// <exception cref="ArgumentException">An unknown network or a malformed address.</exception>
    /// <exception cref="NetOperationException">The connection failed.</exception>
    public static Conn Dial(string network, string address) => new Dialer().Dial(network, address);

    /// <summary>Splits <c>host:port</c>, <c>[host]:port</c> (Go's <c>net.SplitHostPort</c>).</summary>
    /// <param name="hostPort">The address.</param>
    /// <returns>The host (without brackets) and the port.</returns>
    /// <exception cref="ArgumentException">No port, too many colons, or a port that is not a number in range.</exception>
    public static (string Host, int Port) SplitHostPort(string hostPort)
    {
        ArgumentNullException.ThrowIfNull(hostPort);
        return AddressResolver.SplitHostPort(hostPort, "split", NetworkKind.Tcp);
    }

    /// <summary>Joins a host and a port, bracketing an IPv6 host (Go's <c>net.JoinHostPort</c>).</summary>
    /// <param name="host">The host name or address.</param>
    /// <param name="port">The port.</param>
    /// <returns><c>host:port</c>, or <c>[host]:port</c> when the host has a colon.</returns>
    public static string JoinHostPort(string host, int port)
    {
        ArgumentNullException.ThrowIfNull(host);
        return host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";
    }
}
