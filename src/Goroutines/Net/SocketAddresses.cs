// Licensed under the MIT License.

using System;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Goroutines.Net;

/// <summary>
/// Conversions between endpoints and the kernel's <c>sockaddr</c> bytes, written and read field
/// by field for IP (no allocation but the decoded endpoint); other endpoints through
/// <see cref="EndPoint.Serialize"/>, whose buffer is the platform's native <c>sockaddr</c>.
/// </summary>
internal static class SocketAddresses
{
    /// <summary>Room for any address the runtime decodes (sizeof(struct sockaddr_storage)).</summary>
    public const int MaxSize = 128;

    /// <summary>
    /// Writes the native bytes of <paramref name="endPoint"/> into <paramref name="destination"/>
    /// (at least <see cref="MaxSize"/> bytes) and returns their length; an IP endpoint without
    /// allocating.
    /// </summary>
    public static int Write(EndPoint endPoint, Span<byte> destination)
    {
        if (endPoint is IPEndPoint ip)
        {
            destination[..28].Clear();
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)ip.Port);
            if (ip.AddressFamily == AddressFamily.InterNetwork)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(destination, LinuxSockets.AF_INET);
                ip.Address.TryWriteBytes(destination.Slice(4, 4), out _);
                return 16;
            }

            BinaryPrimitives.WriteUInt16LittleEndian(destination, LinuxSockets.AF_INET6);
            ip.Address.TryWriteBytes(destination.Slice(8, 16), out _);
            BinaryPrimitives.WriteUInt32LittleEndian(destination[24..], (uint)ip.Address.ScopeId);
            return 28;
        }

        SocketAddress native = endPoint.Serialize();
        native.Buffer.Span[..native.Size].CopyTo(destination);
        return native.Size;
    }

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

    /// <summary>The kernel's number for <paramref name="family"/>.</summary>
    public static int NativeFamily(AddressFamily family) => family switch
    {
        AddressFamily.InterNetwork => LinuxSockets.AF_INET,
        AddressFamily.InterNetworkV6 => LinuxSockets.AF_INET6,
        AddressFamily.Unix => LinuxSockets.AF_UNIX,
        _ => throw new ArgumentException($"address family {family} is not supported", nameof(family)),
    };
}
