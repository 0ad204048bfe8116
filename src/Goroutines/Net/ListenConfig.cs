// Licensed under the MIT License.

using System;
using System.Net;
using System.Net.Sockets;

namespace Goroutines.Net;

/// <summary>Options for listening, Go's <c>net.ListenConfig</c>.</summary>
public sealed class ListenConfig
{
    /// <summary>
    /// Keep-alive period of accepted TCP connections: zero (the default) for Go's 15 seconds,
    /// negative to turn keep-alive off.
    /// </summary>
    public TimeSpan KeepAlive { get; set; }

    /// <summary>
    /// Called with the network, the address and a view of each new socket before it binds (Go's
    /// <c>Control</c>), to set options the configuration does not name. An exception fails the listen.
    /// </summary>
    public Action<string, string, RawSocket>? Control { get; set; }

    /// <summary>
    /// Listens for streams on <paramref name="address"/> (Go's <c>Listen</c>): <c>tcp</c>,
    /// <c>tcp4</c>, <c>tcp6</c> with <c>host:port</c> (<c>":0"</c>: every address, a port the system
    /// picks; <c>"tcp"</c> on an empty or unspecified host listens on IPv4 and IPv6 at once), or
    /// <c>unix</c> with a path.
    /// </summary>
    /// <param name="network">The network.</param>
    /// <param name="address">Where to listen.</param>
    /// <returns>The listener.</returns>
    /// <exception cref="ArgumentException">An unknown or datagram network, or a malformed address.</exception>
    /// <exception cref="NetOperationException">The system refused (address in use, permission).</exception>
    public Listener Listen(string network, string address)
    {
        NetworkKind kind = NetworkKinds.Parse(network, "listen");
        if (!kind.IsStream())
        {
            throw new ArgumentException($"listen {network}: {network} is a datagram network; use ListenPacket", nameof(network));
        }

        EndPoint endPoint = AddressResolver.Resolve(kind, address, "listen", listening: true)[0];
        NetSocket socket = Open(kind, endPoint, network, address, reuseAddress: kind.IsTcp());
        try
        {
            socket.Listen(endPoint);
        }
        catch
        {
            socket.Close();
            throw;
        }

        return new Listener(socket, KeepAlive, kind == NetworkKind.Unix ? address : null);
    }

    /// <summary>
    /// Opens a datagram socket on <paramref name="address"/> (Go's <c>ListenPacket</c>): <c>udp</c>,
    /// <c>udp4</c>, <c>udp6</c> with <c>host:port</c>, or <c>unixgram</c> with a path.
    /// </summary>
    /// <param name="network">The network.</param>
    /// <param name="address">The local address.</param>
    /// <returns>The packet connection.</returns>
    /// <exception cref="ArgumentException">An unknown or stream network, or a malformed address.</exception>
    /// <exception cref="NetOperationException">The system refused (address in use, permission).</exception>
    public PacketConn ListenPacket(string network, string address)
    {
        NetworkKind kind = NetworkKinds.Parse(network, "listen");
        if (kind.IsStream())
        {
            throw new ArgumentException($"listen {network}: {network} is a stream network; use Listen", nameof(network));
        }

        EndPoint endPoint = AddressResolver.Resolve(kind, address, "listen", listening: true)[0];
        return new PacketConn(Open(kind, endPoint, network, address, reuseAddress: false));
    }

    // A socket bound to endPoint, with SO_REUSEADDR for TCP listeners and dual stack for "tcp"/"udp" on IPv6.
    private NetSocket Open(NetworkKind kind, EndPoint endPoint, string network, string address, bool reuseAddress)
    {
        NetSocket socket = NetSocket.Create(kind, endPoint.AddressFamily, "listen", endPoint);
        try
        {
            if (reuseAddress)
            {
                socket.SetReuseAddress("listen");
            }

            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.SetIPv6Only(kind is NetworkKind.Tcp6 or NetworkKind.Udp6, "listen");
            }

            Control?.Invoke(network, address, new RawSocket(socket));
            socket.Bind(endPoint, "listen");
            return socket;
        }
        catch
        {
            socket.Close();
            throw;
        }
    }
}
