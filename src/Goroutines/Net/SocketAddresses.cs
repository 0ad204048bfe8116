// Licensed under the MIT License.

using System;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Goroutines.Net;

/// <summary>
/// Conversions between endpoints and the kernel's <c>sockaddr</c> bytes. Encoding uses
/// <see cref="EndPoint.Serialize"/>, whose buffer is the platform's native <c>sockaddr</c>;
/// decoding reads the few fields directly, allocating only the endpoint.
/// </summary>
internal static class SocketAddresses
{
    /// <summary>Room for any address the runtime decodes (sizeof(struct sockaddr_storage)).</summary>
    public const int MaxSize = 128;

    /// <summary>The native bytes of <paramref name="endPoint"/>.</summary>
    public static SocketAddress Encode(EndPoint endPoint) => endPoint.Serialize();

    /// <summary>
    /// The endpoint of a native address, IPv4-mapped IPv6 addresses as IPv4 (as Go reports
    /// them); null for an unnamed Unix socket or an empty address.
    /// </summary>
    public static EndPoint? Decode(ReadOnlySpan<byte> address)
    {
        if (address.Length < 2)
        {
            return null;
        }

        int family = BinaryPrimitives.ReadUInt16LittleEndian(address);
        switch (family)
        {
            case LinuxSockets.AF_INET when address.Length >= 8:
                return new IPEndPoint(new IPAddress(address.Slice(4, 4)), BinaryPrimitives.ReadUInt16BigEndian(address[2..]));
            case LinuxSockets.AF_INET6 when address.Length >= 28:
                var ip = new IPAddress(address.Slice(8, 16), BinaryPrimitives.ReadUInt32LittleEndian(address[24..]));
                return new IPEndPoint(ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip, BinaryPrimitives.ReadUInt16BigEndian(address[2..]));
            case LinuxSockets.AF_UNIX:
                ReadOnlySpan<byte> path = address[2..];
                int end = path.IndexOf((byte)0);
                if (end >= 0 && path.Length > 0 && path[0] != 0)
                {
                    path = path[..end];
                }

                return path.IsEmpty ? null : new UnixDomainSocketEndPoint(Encoding.UTF8.GetString(path));
            default:
                return null;
        }
    }

    /// <summary>The kernel's address family of <paramref name="endPoint"/>.</summary>
    public static int NativeFamily(EndPoint endPoint) => endPoint.AddressFamily switch
    {
        AddressFamily.InterNetwork => LinuxSockets.AF_INET,
        AddressFamily.InterNetworkV6 => LinuxSockets.AF_INET6,
        AddressFamily.Unix => LinuxSockets.AF_UNIX,
        _ => throw new ArgumentException($"address family {endPoint.AddressFamily} is not supported", nameof(endPoint)),
    };
}
