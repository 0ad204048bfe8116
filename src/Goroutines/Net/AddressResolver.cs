// Licensed under the MIT License.

using System;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace Goroutines.Net;

/// <summary>
/// Go's address syntax: <c>host:port</c>, <c>[ipv6]:port</c>, <c>:port</c> (every local address
/// to listen on, the local system to dial), host names through the system's resolver, and a
/// path for the Unix networks.
/// </summary>
/// <remarks>
/// Decision: ports are numbers only (Go also looks service names up); a name fails with
/// "unknown port". A listen on a host name takes its first IPv4 address, else its first
/// IPv6 one, as Go's favorite address family for "tcp".
/// </remarks>
internal static class AddressResolver
{
    /// <summary>The endpoints <paramref name="address"/> names on <paramref name="kind"/>, resolving host names without blocking the goroutine.</summary>
    /// <exception cref="ArgumentException">The address is malformed.</exception>
    /// <exception cref="NetOperationException">A host name could not be resolved.</exception>
    public static async ValueTask<EndPoint[]> ResolveAsync(NetworkKind kind, string address, string operation, bool listening, CancellationToken cancellationToken)
    {
        if (TryResolveWithoutLookup(kind, address, operation, listening, out EndPoint[]? endPoints, out string host, out int port))
        {
            return endPoints;
        }

        IPAddress[] found;
        try
        {
            found = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(true);
        }
        catch (SocketException e)
        {
            throw LookupFailed(kind, operation, host, e);
        }

        return Choose(kind, address, operation, host, port, found, listening);
    }

    /// <summary>The blocking form of <see cref="ResolveAsync"/>: a host name lookup blocks the calling thread.</summary>
    public static EndPoint[] Resolve(NetworkKind kind, string address, string operation, bool listening)
    {
        if (TryResolveWithoutLookup(kind, address, operation, listening, out EndPoint[]? endPoints, out string host, out int port))
        {
            return endPoints;
        }

        IPAddress[] found;
        try
        {
            using (Scheduling.BlockingRegion.Enter())
            {
                found = Dns.GetHostAddresses(host);
            }
        }
        catch (SocketException e)
        {
            throw LookupFailed(kind, operation, host, e);
        }

        return Choose(kind, address, operation, host, port, found, listening);
    }

    /// <summary>
    /// Splits <paramref name="address"/> into host and port as Go's <c>net.SplitHostPort</c>.
    /// </summary>
    /// <exception cref="ArgumentException">It has no port, too many colons, or a port out of range.</exception>
    public static (string Host, int Port) SplitHostPort(string address, string operation, NetworkKind kind)
    {
        string host;
        string portText;
        if (address.StartsWith('['))
        {
            int close = address.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw Malformed(kind, operation, address, "missing ']' in address");
            }

            if (close + 1 == address.Length)
            {
                throw Malformed(kind, operation, address, "missing port in address");
            }

            if (address[close + 1] != ':')
            {
                throw Malformed(kind, operation, address, "unexpected ']' in address");
            }

            host = address[1..close];
            portText = address[(close + 2)..];
            if (portText.Contains(':', StringComparison.Ordinal))
            {
                throw Malformed(kind, operation, address, "too many colons in address");
            }
        }
        else
        {
            int colon = address.LastIndexOf(':');
            if (colon < 0)
            {
                throw Malformed(kind, operation, address, "missing port in address");
            }

            host = address[..colon];
            if (host.Contains(':', StringComparison.Ordinal))
            {
                throw Malformed(kind, operation, address, "too many colons in address");
            }

            portText = address[(colon + 1)..];
        }

        // As Go's parsePort: an empty port is port 0 (":" and "host:" listen on any port); digits
        // out of range are an invalid port; anything else would be a service name, which is not looked up.
        if (portText.Length == 0)
        {
            return (host, 0);
        }

        if (!portText.AsSpan().ContainsAnyExceptInRange('0', '9'))
        {
            return int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port <= IPEndPoint.MaxPort
                ? (host, port)
                : throw Malformed(kind, operation, address, "invalid port");
        }

        throw Malformed(kind, operation, address, "unknown port");
    }

    private static bool TryResolveWithoutLookup(NetworkKind kind, string address, string operation, bool listening, out EndPoint[] endPoints, out string host, out int port)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (kind.IsUnix())
        {
            if (address.Length == 0)
            {
                throw Malformed(kind, operation, address, "missing path");
            }

            endPoints = [new UnixDomainSocketEndPoint(address)];
            host = address;
            port = 0;
            return true;
        }

        (host, port) = SplitHostPort(address, operation, kind);
        if (host.Length == 0)
        {
            // Listen: every local address (dual stack for "tcp"/"udp"); dial: the local system.
            bool v4 = kind is NetworkKind.Tcp4 or NetworkKind.Udp4;
            bool v6 = kind is NetworkKind.Tcp6 or NetworkKind.Udp6;
            IPAddress any = listening ? (v4 ? IPAddress.Any : IPAddress.IPv6Any) : (v6 ? IPAddress.IPv6Loopback : IPAddress.Loopback);
            endPoints = [new IPEndPoint(any, port)];
            return true;
        }

        if (IPAddress.TryParse(host, out IPAddress? literal))
        {
            if (!Fits(kind, literal))
            {
                throw Malformed(kind, operation, address, "address of the wrong family for the network");
            }

            endPoints = [new IPEndPoint(literal, port)];
            return true;
        }

        endPoints = [];
        return false;
    }

    private static EndPoint[] Choose(NetworkKind kind, string address, string operation, string host, int port, IPAddress[] found, bool listening)
    {
        IPEndPoint[] fitting = found.Where(a => Fits(kind, a)).Select(a => new IPEndPoint(a, port)).ToArray();
        if (fitting.Length == 0)
        {
            throw new NetOperationException(operation, kind.Name(), null, null, new SocketException((int)SocketError.HostNotFound, $"lookup {host}: no suitable address found"));
        }

        if (listening)
        {
            return [fitting.FirstOrDefault(e => e.AddressFamily == AddressFamily.InterNetwork) ?? fitting[0]];
        }

        return [.. fitting];
    }

    private static bool Fits(NetworkKind kind, IPAddress address) => kind switch
    {
        NetworkKind.Tcp4 or NetworkKind.Udp4 => address.AddressFamily == AddressFamily.InterNetwork,
        NetworkKind.Tcp6 or NetworkKind.Udp6 => address.AddressFamily == AddressFamily.InterNetworkV6 && !address.IsIPv4MappedToIPv6,
        _ => true,
    };

    private static NetOperationException LookupFailed(NetworkKind kind, string operation, string host, SocketException cause) =>
        new(operation, kind.Name(), null, null, new SocketException((int)cause.SocketErrorCode, $"lookup {host}: no such host"));

    private static ArgumentException Malformed(NetworkKind kind, string operation, string address, string problem) =>
        new($"{operation} {kind.Name()}: address {address}: {problem}", nameof(address));
}
