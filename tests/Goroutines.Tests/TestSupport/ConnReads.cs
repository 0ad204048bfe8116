// Licensed under the MIT License.

using System;
using System.Threading.Tasks;

using Goroutines.Net;

namespace Goroutines.Tests.TestSupport;

/// <summary>Reads for network tests.</summary>
public static class ConnReads
{
    /// <summary>Reads exactly <paramref name="count"/> bytes into a new array (Go's <c>io.ReadFull</c>).</summary>
    public static async Task<byte[]> ReadBytesAsync(this Conn conn, int count)
    {
        ArgumentNullException.ThrowIfNull(conn);
        byte[] buffer = new byte[count];
        await conn.ReadExactlyAsync(buffer);
        return buffer;
    }
}
