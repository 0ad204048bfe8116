// Licensed under the MIT License.

using System.IO;
using System.Linq;
using System.Threading.Tasks;

using Goroutines.Diagnostics;
using Goroutines.Net;
using Goroutines.Scheduling;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Net;

/// <summary>How a goroutine waiting on a socket shows in the runtime's diagnostics.</summary>
public sealed class NetDiagnosticsTests : RuntimeTest
{
    [Fact]
    public async Task Capture_GoroutineBlockedInRead_ShowsIOWaitAndTheAwaitingFrame()
    {
        using Listener listener = Network.Listen("tcp", "127.0.0.1:0");
        await using Conn client = await GoTest.RunAsync(async () => await Network.DialAsync("tcp", listener.Addr.ToString()!));
        await using Conn server = await GoTest.RunAsync(async () => await listener.AcceptAsync());
        Spawned reader = await Spawned.ParkedAsync(() => ReadOnceAsync(server), WaitReason.IOWait);

        GoroutineInfo parked = GoroutineDump.Capture().Goroutines.Single(g => g.Id == reader.Id);
        Assert.Equal("IO wait", parked.WaitReason);
        Assert.Contains(parked.Frames, f => f.Function.Contains(nameof(ReadOnceAsync), System.StringComparison.Ordinal));
        var text = new StringWriter();
        GoroutineDump.Capture().WriteTo(text);
        Assert.Contains($"goroutine {reader.Id} [IO wait]:", text.ToString(), System.StringComparison.Ordinal);
        Assert.True(Go.ReadStatistics().IOWaiting >= 1, "the statistics do not count the reader");

        await client.WriteAsync(new byte[] { 7 });
        await reader.Completion.Within(what: "the reader");
    }

    private static async Task ReadOnceAsync(Conn conn) => await conn.ReadAsync(new byte[1]);
}
