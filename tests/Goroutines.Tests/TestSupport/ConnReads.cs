// Licensed under the MIT License.

using System;
using System.Threading.Tasks;

using Goroutines.Net;

using Xunit;

namespace Goroutines.Tests.TestSupport;

/// <summary>Reads for network tests.</summary>
public static class ConnReads
{
    /// <summary>Reads exactly <paramref name="count"/> bytes (Go's <c>io.ReadFull</c>); fails the test if the stream ends first.</summary>
    public static async Task<byte[]> ReadExactlyAsync(this Conn conn, int count)
    {
        ArgumentNullException.ThrowIfNull(conn);
        byte[] buffer = new byte[count];
        int read = 0;
        while (read < count)
        {
            int n = await conn.ReadAsync(buffer.AsMemory(read));
            Assert.True(n > 0, $"the stream ended after {read} of {count} bytes");
            read += n;
        }

        return buffer;
    }
}
