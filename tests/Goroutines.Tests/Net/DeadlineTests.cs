// Licensed under the MIT License.

using System;
using System.Threading.Tasks;

using Goroutines.Net;
using Goroutines.Scheduling;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Net;

/// <summary>
/// Go's deadline rules on a TCP connection over IPv4 loopback: a deadline that passes fails the
/// blocked call and every later one of its direction with <c>i/o timeout</c>; one extended or
/// cleared while a call is blocked lets it go on; the two directions' deadlines are apart. Time is
/// a fake clock, so a deadline passes exactly when the test advances it.
/// </summary>
public sealed class DeadlineTests : RuntimeTest
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    // Far more than loopback's send and receive buffers hold together, so a write of it to a peer
    // that never reads parks in the netpoller once the buffers are full.
    private const int MoreThanTheSocketBuffersHold = 64 << 20;

    [Fact]
    public async Task SetReadDeadline_PassesWhileReadBlocked_FailsReadWithTimeout()
    {
        using FakeRuntimeClock clock = FakeRuntimeClock.Install();
        using TcpPair pair = await TcpPair.OpenAsync();
        pair.Server.SetReadDeadline(clock.GetUtcNow() + Second);
        Spawned reader = await Spawned.ParkedAsync(async () => await pair.Server.ReadAsync(new byte[8]), WaitReason.IOWait);

        clock.Advance(Second - Tick);
        Assert.True(reader.IsParked(WaitReason.IOWait), $"Before its deadline the read must still wait: {reader.Describe()}.");
        clock.Advance(Tick);

        NetOperationException error = await Assert.ThrowsAsync<NetOperationException>(() => reader.Completion.Within(what: "the reader"));
        Assert.True(error.IsTimeout, error.Message);
        Assert.False(error.IsClosed, error.Message);
        Assert.IsType<TimeoutException>(error.InnerException);
        Assert.StartsWith("read tcp 127.0.0.1:", error.Message, StringComparison.Ordinal);
        Assert.EndsWith(": i/o timeout", error.Message, StringComparison.Ordinal);
        Assert.Equal($"read tcp {pair.Server.LocalAddr}->{pair.Server.RemoteAddr}: i/o timeout", error.Message);
    }

    [Fact]
    public async Task SetReadDeadline_Passed_EveryLaterReadFailsAtOnceEvenWithDataWaiting()
    {
        using FakeRuntimeClock clock = FakeRuntimeClock.Install();
        using TcpPair pair = await TcpPair.OpenAsync();
        pair.Server.SetReadDeadline(clock.GetUtcNow() + Second);
        Spawned reader = await Spawned.ParkedAsync(async () => await pair.Server.ReadAsync(new byte[8]), WaitReason.IOWait);
        clock.Advance(Second);
        NetOperationException first = await Assert.ThrowsAsync<NetOperationException>(() => reader.Completion.Within(what: "the reader"));

        // No data: the read would block, and the clock no longer moves; it must fail at once.
        NetOperationException second = await Assert.ThrowsAsync<NetOperationException>(
            () => GoTest.RunAsync(async () => await pair.Server.ReadAsync(new byte[8])));
        Assert.True(second.IsTimeout, second.Message);
        Assert.Equal(first.Message, second.Message);

        // Data waiting: as Go, the expired deadline still wins over it.
        await GoTest.RunAsync(async () => await pair.Client.WriteAsync("data"u8.ToArray()));
        NetOperationException third = await Assert.ThrowsAsync<NetOperationException>(
            () => GoTest.RunAsync(async () => await pair.Server.ReadAsync(new byte[8])));
        Assert.True(third.IsTimeout, third.Message);
        Assert.Equal(first.Message, third.Message);
    }

    [Fact]
    public async Task SetReadDeadline_ExtendedWhileReadBlocked_ReadGoesOnAndReturnsTheData()
    {
        using FakeRuntimeClock clock = FakeRuntimeClock.Install();
        using TcpPair pair = await TcpPair.OpenAsync();
        byte[] buffer = new byte[16];
        pair.Server.SetReadDeadline(clock.GetUtcNow() + Second);
        Spawned<int> reader = await Spawned.ParkedAsync(async () => await pair.Server.ReadAsync(buffer), WaitReason.IOWait);

        pair.Server.SetReadDeadline(clock.GetUtcNow() + (3 * Second));
        clock.Advance(2 * Second);
        Assert.True(reader.IsParked(WaitReason.IOWait), $"Past the old deadline, before the new one, the read must still wait: {reader.Describe()}.");

        await GoTest.RunAsync(async () => await pair.Client.WriteAsync("hello"u8.ToArray()));
        int read = await reader.Result.Within(what: "the reader");
        Assert.Equal("hello"u8.ToArray(), buffer.AsSpan(0, read).ToArray());
    }

    [Fact]
    public async Task SetReadDeadline_ClearedWhileReadBlocked_ReadNeverTimesOutAndReturnsTheData()
    {
        using FakeRuntimeClock clock = FakeRuntimeClock.Install();
        using TcpPair pair = await TcpPair.OpenAsync();
        byte[] buffer = new byte[16];
        pair.Server.SetReadDeadline(clock.GetUtcNow() + Second);
        Spawned<int> reader = await Spawned.ParkedAsync(async () => await pair.Server.ReadAsync(buffer), WaitReason.IOWait);

        pair.Server.SetReadDeadline(default);
        clock.Advance(TimeSpan.FromDays(1));
        Assert.True(reader.IsParked(WaitReason.IOWait), $"With its deadline cleared the read must wait for data: {reader.Describe()}.");

        await GoTest.RunAsync(async () => await pair.Client.WriteAsync("still here"u8.ToArray()));
        int read = await reader.Result.Within(what: "the reader");
        Assert.Equal("still here"u8.ToArray(), buffer.AsSpan(0, read).ToArray());
    }

    [Fact]
    public async Task SetReadDeadline_AlreadyPast_NextReadFailsAtOnceWithoutBlocking()
    {
        using FakeRuntimeClock clock = FakeRuntimeClock.Install();
        using TcpPair pair = await TcpPair.OpenAsync();
        pair.Client.SetReadDeadline(clock.GetUtcNow() - Second);

        // Nothing to read and a clock that does not move: only the expired deadline can end the read.
        NetOperationException error = await Assert.ThrowsAsync<NetOperationException>(
            () => GoTest.RunAsync(async () => await pair.Client.ReadAsync(new byte[8])));
        Assert.True(error.IsTimeout, error.Message);
        Assert.Equal($"read tcp {pair.Client.LocalAddr}->{pair.Client.RemoteAddr}: i/o timeout", error.Message);
    }

    [Fact]
    public async Task SetReadDeadline_Expired_WritesStillSucceed()
    {
        using FakeRuntimeClock clock = FakeRuntimeClock.Install();
        using TcpPair pair = await TcpPair.OpenAsync();
        pair.Server.SetReadDeadline(clock.GetUtcNow() + Second);
        Spawned reader = await Spawned.ParkedAsync(async () => await pair.Server.ReadAsync(new byte[8]), WaitReason.IOWait);
        clock.Advance(Second);
        NetOperationException error = await Assert.ThrowsAsync<NetOperationException>(() => reader.Completion.Within(what: "the reader"));
        Assert.True(error.IsTimeout, error.Message);

        await GoTest.RunAsync(async () => await pair.Server.WriteAsync("reply"u8.ToArray()));
        byte[] received = await GoTest.RunAsync(() => pair.Client.ReadBytesAsync(5));
        Assert.Equal("reply"u8.ToArray(), received);
    }

    [Fact]
    public async Task SetWriteDeadline_Expired_WriteFailsButBlockedReadStillGetsData()
    {
        using FakeRuntimeClock clock = FakeRuntimeClock.Install();
        using TcpPair pair = await TcpPair.OpenAsync();
        pair.Server.SetWriteDeadline(clock.GetUtcNow() - Second);

        NetOperationException error = await Assert.ThrowsAsync<NetOperationException>(
            () => GoTest.RunAsync(async () => await pair.Server.WriteAsync("lost"u8.ToArray())));
        Assert.True(error.IsTimeout, error.Message);
        Assert.Equal($"write tcp {pair.Server.LocalAddr}->{pair.Server.RemoteAddr}: i/o timeout", error.Message);

        byte[] buffer = new byte[16];
        Spawned<int> reader = await Spawned.ParkedAsync(async () => await pair.Server.ReadAsync(buffer), WaitReason.IOWait);
        clock.Advance(TimeSpan.FromDays(1));
        Assert.True(reader.IsParked(WaitReason.IOWait), $"The write deadline must not touch the read: {reader.Describe()}.");
        await GoTest.RunAsync(async () => await pair.Client.WriteAsync("ping"u8.ToArray()));
        int read = await reader.Result.Within(what: "the reader");
        Assert.Equal("ping"u8.ToArray(), buffer.AsSpan(0, read).ToArray());
    }

    [Fact]
    public async Task SetWriteDeadline_PassesWhileWriteBlockedOnFullBuffers_FailsWriteWithTimeout()
    {
        using FakeRuntimeClock clock = FakeRuntimeClock.Install();
        using TcpPair pair = await TcpPair.OpenAsync();
        pair.Server.SetWriteDeadline(clock.GetUtcNow() + Second);

        // The client never reads: the buffers fill and the write parks in the netpoller.
        Spawned writer = await Spawned.ParkedAsync(
            async () => await pair.Server.WriteAsync(new byte[MoreThanTheSocketBuffersHold]),
            WaitReason.IOWait);
        clock.Advance(Second);

        NetOperationException error = await Assert.ThrowsAsync<NetOperationException>(() => writer.Completion.Within(what: "the writer"));
        Assert.True(error.IsTimeout, error.Message);
        Assert.StartsWith("write tcp ", error.Message, StringComparison.Ordinal);
        Assert.Equal($"write tcp {pair.Server.LocalAddr}->{pair.Server.RemoteAddr}: i/o timeout", error.Message);
    }

    [Fact]
    public async Task SetDeadline_PassesWhileReadAndWriteBlocked_FailsBothWithTimeout()
    {
        using FakeRuntimeClock clock = FakeRuntimeClock.Install();
        using TcpPair pair = await TcpPair.OpenAsync();
        pair.Server.SetDeadline(clock.GetUtcNow() + Second);
        Spawned reader = await Spawned.ParkedAsync(async () => await pair.Server.ReadAsync(new byte[8]), WaitReason.IOWait);
        Spawned writer = await Spawned.ParkedAsync(
            async () => await pair.Server.WriteAsync(new byte[MoreThanTheSocketBuffersHold]),
            WaitReason.IOWait);

        clock.Advance(Second);

        NetOperationException readError = await Assert.ThrowsAsync<NetOperationException>(() => reader.Completion.Within(what: "the reader"));
        NetOperationException writeError = await Assert.ThrowsAsync<NetOperationException>(() => writer.Completion.Within(what: "the writer"));
        Assert.True(readError.IsTimeout, readError.Message);
        Assert.True(writeError.IsTimeout, writeError.Message);
        Assert.StartsWith("read tcp 127.0.0.1:", readError.Message, StringComparison.Ordinal);
        Assert.StartsWith("write tcp 127.0.0.1:", writeError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetDeadline_ClearedAfterExpiry_ReadsAndWritesWorkAgain()
    {
        using FakeRuntimeClock clock = FakeRuntimeClock.Install();
        using TcpPair pair = await TcpPair.OpenAsync();
        pair.Server.SetDeadline(clock.GetUtcNow() - Second);
        NetOperationException readError = await Assert.ThrowsAsync<NetOperationException>(
            () => GoTest.RunAsync(async () => await pair.Server.ReadAsync(new byte[8])));
        NetOperationException writeError = await Assert.ThrowsAsync<NetOperationException>(
            () => GoTest.RunAsync(async () => await pair.Server.WriteAsync("x"u8.ToArray())));
        Assert.True(readError.IsTimeout, readError.Message);
        Assert.True(writeError.IsTimeout, writeError.Message);

        pair.Server.SetDeadline(default);

        await GoTest.RunAsync(async () =>
        {
            await pair.Client.WriteAsync("ping"u8.ToArray());
            Assert.Equal("ping"u8.ToArray(), await pair.Server.ReadBytesAsync(4));
            await pair.Server.WriteAsync("pong"u8.ToArray());
            Assert.Equal("pong"u8.ToArray(), await pair.Client.ReadBytesAsync(4));
        });
    }

    [Fact]
    public async Task ListenerSetDeadline_PassesWhileAcceptBlocked_FailsAcceptWithTimeout()
    {
        using FakeRuntimeClock clock = FakeRuntimeClock.Install();
        using Listener listener = Network.Listen("tcp", "127.0.0.1:0");
        listener.SetDeadline(clock.GetUtcNow() + Second);
        Spawned acceptor = await Spawned.ParkedAsync(async () => (await listener.AcceptAsync()).Close(), WaitReason.IOWait);

        clock.Advance(Second - Tick);
        Assert.True(acceptor.IsParked(WaitReason.IOWait), $"Before its deadline the accept must still wait: {acceptor.Describe()}.");
        clock.Advance(Tick);

        NetOperationException error = await Assert.ThrowsAsync<NetOperationException>(() => acceptor.Completion.Within(what: "the acceptor"));
        Assert.True(error.IsTimeout, error.Message);
        Assert.StartsWith("accept tcp 127.0.0.1:", error.Message, StringComparison.Ordinal);
        Assert.Equal($"accept tcp {listener.Addr}: i/o timeout", error.Message);
    }

    [Fact]
    public async Task ListenerSetDeadline_ClearedAfterExpiry_AcceptsAgain()
    {
        using FakeRuntimeClock clock = FakeRuntimeClock.Install();
        using Listener listener = Network.Listen("tcp", "127.0.0.1:0");
        listener.SetDeadline(clock.GetUtcNow() - Second);
        NetOperationException error = await Assert.ThrowsAsync<NetOperationException>(
            () => GoTest.RunAsync(async () => (await listener.AcceptAsync()).Close()));
        Assert.True(error.IsTimeout, error.Message);

        listener.SetDeadline(default);
        Task<Conn> accepted = GoTest.Start(async () => await listener.AcceptAsync());
        await using Conn client = await GoTest.RunAsync(async () => await Network.DialAsync("tcp", listener.Addr.ToString()!));
        await using Conn server = await accepted.Within(what: "the accept");
        Assert.Equal(client.LocalAddr, server.RemoteAddr);
    }
}
