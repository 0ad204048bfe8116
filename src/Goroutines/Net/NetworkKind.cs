// Licensed under the MIT License.

using System;

namespace Goroutines.Net;

/// <summary>The networks Go's <c>net</c> names, and what each means for a socket.</summary>
internal enum NetworkKind : byte
{
    /// <summary>"tcp": IPv4 or IPv6.</summary>
    Tcp,

    /// <summary>"tcp4".</summary>
    Tcp4,

    /// <summary>"tcp6".</summary>
    Tcp6,

    /// <summary>"udp": IPv4 or IPv6.</summary>
    Udp,

    /// <summary>"udp4".</summary>
    Udp4,

    /// <summary>"udp6".</summary>
    Udp6,

    /// <summary>"unix": a stream socket at a path.</summary>
    Unix,

    /// <summary>"unixgram": a datagram socket at a path.</summary>
    UnixDatagram,
}

/// <summary>Parsing and properties of <see cref="NetworkKind"/>.</summary>
internal static class NetworkKinds
{
    /// <summary>Parses Go's network name; <paramref name="operation"/> names the call in the error.</summary>
    /// <exception cref="ArgumentException">The network is not one Go's <c>net</c> knows.</exception>
    public static NetworkKind Parse(string network, string operation)
    {
        ArgumentNullException.ThrowIfNull(network);
        return network switch
        {
            "tcp" => NetworkKind.Tcp,
            "tcp4" => NetworkKind.Tcp4,
            "tcp6" => NetworkKind.Tcp6,
            "udp" => NetworkKind.Udp,
            "udp4" => NetworkKind.Udp4,
            "udp6" => NetworkKind.Udp6,
            "unix" => NetworkKind.Unix,
            "unixgram" => NetworkKind.UnixDatagram,
            _ => throw new ArgumentException($"{operation} {network}: unknown network {network} (use tcp, tcp4, tcp6, udp, udp4, udp6, unix or unixgram)", nameof(network)),
        };
    }

    /// <summary>Go's name of the network.</summary>
    public static string Name(this NetworkKind kind) => kind switch
    {
        NetworkKind.Tcp => "tcp",
        NetworkKind.Tcp4 => "tcp4",
        NetworkKind.Tcp6 => "tcp6",
        NetworkKind.Udp => "udp",
        NetworkKind.Udp4 => "udp4",
        NetworkKind.Udp6 => "udp6",
        NetworkKind.Unix => "unix",
        _ => "unixgram",
    };

    /// <summary>Whether sockets of the network carry a byte stream (TCP, Unix streams).</summary>
    public static bool IsStream(this NetworkKind kind) => kind is NetworkKind.Tcp or NetworkKind.Tcp4 or NetworkKind.Tcp6 or NetworkKind.Unix;

    /// <summary>Whether the network is TCP.</summary>
    public static bool IsTcp(this NetworkKind kind) => kind is NetworkKind.Tcp or NetworkKind.Tcp4 or NetworkKind.Tcp6;

    /// <summary>Whether the network is a Unix socket's.</summary>
    public static bool IsUnix(this NetworkKind kind) => kind is NetworkKind.Unix or NetworkKind.UnixDatagram;
}
