// Licensed under the MIT License.

using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;

using Goroutines.Net;
using Goroutines.Scheduling;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Net;

/// <summary>
/// Zero-length reads. <see cref="Conn.ReadAsync"/> keeps Go's rule: it returns 0 at once and leaves
/// the socket's readiness alone, so the next read still sees data that arrived before it. The
/// connection's <see cref="Stream"/> keeps .NET's: a zero-length read waits until data came or the
/// stream ended, consuming nothing (SslStream makes one before every record it reads).
/// </summary>
public sealed class ZeroLengthReadTests : RuntimeTest
{
    [Fact]
    public async Task ReadAsync_ZeroLengthAfterDataArrivedOnADrainedSocket_NextReadGetsTheData()
    {
        // A short read tells the socket it is empty, so its next read parks before it calls. Data
        // arrives and the poller hands its edge to the socket; a zero-length read then must not
        // clear that edge, or the parked read waits for one that never comes.
        (Socket dialed, Socket accepted) = ConnectedSockets();
        using (dialed)
        using (accepted)
        {
            await GoTest.RunAsync(async () =>
            {
                await using Conn client = Conn.FromSocket(dialed);
                await using Conn server = Conn.FromSocket(accepted);
                await client.WriteAsync("abc"u8.ToArray());
                byte[] buffer = new byte[16];
                Assert.Equal(3, await server.ReadAsync(buffer));

                await client.WriteAsync("d"u8.ToArray());
                GoTest.SpinUntil(() => accepted.Available > 0, "the byte to reach the accepted socket");
                DeliverPendingEdges();

                ValueTask<int> empty = server.ReadAsync(Memory<byte>.Empty);
                Assert.True(empty.IsCompletedSuccessfully, "a zero-length Conn read waited");
                Assert.Equal(0, await empty);
                Assert.Equal("d"u8.ToArray(), await server.ReadBytesAsync(1).Within(what: "the read after the zero-length read"));
            });
        }
    }

    [Fact]
    public async Task StreamReadAsync_ZeroLengthOnAnIdleConnection_ParksUntilDataThenConsumesNothing()
    {
        using TcpPair pair = await TcpPair.OpenAsync();
        Stream stream = pair.Server.AsStream();
        Spawned<int> waiter = await Spawned.ParkedAsync(async () => await stream.ReadAsync(Memory<byte>.Empty), WaitReason.IOWait);

        await GoTest.RunAsync(async () => await pair.Client.WriteAsync("hi"u8.ToArray()));

        Assert.Equal(0, await waiter.Result.Within(what: "the zero-length read"));
        await GoTest.RunAsync(async () =>
        {
            byte[] buffer = new byte[2];
            await stream.ReadExactlyAsync(buffer);
            Assert.Equal("hi"u8.ToArray(), buffer);
        });
    }

    [Fact]
    public async Task StreamReadAsync_ZeroLengthWithDataQueuedOrAtTheEnd_ReturnsAtOnce()
    {
        using TcpPair pair = await TcpPair.OpenAsync();
        await GoTest.RunAsync(async () =>
        {
            Stream stream = pair.Server.AsStream();
            await pair.Client.WriteAsync("xyz"u8.ToArray());
            byte[] buffer = new byte[3];
            await stream.ReadExactlyAsync(buffer.AsMemory(0, 1));
            Assert.Equal(0, await stream.ReadAsync(Memory<byte>.Empty).AsTask().Within(what: "the zero-length read with data queued"));
            await stream.ReadExactlyAsync(buffer.AsMemory(1, 2));
            Assert.Equal("xyz"u8.ToArray(), buffer);

            pair.Client.CloseWrite();
            Assert.Equal(0, await stream.ReadAsync(Memory<byte>.Empty).AsTask().Within(what: "the zero-length read at the end"));
            Assert.Equal(0, await stream.ReadAsync(buffer));
        });
    }

    [Fact]
    public async Task StreamRead_ZeroLengthSynchronous_WaitsForDataThenConsumesNothing()
    {
        using TcpPair pair = await TcpPair.OpenAsync();
        Stream stream = pair.Server.AsStream();
        Spawned<int> waiter = await Spawned.StartAsync(() => Task.FromResult(stream.Read(Span<byte>.Empty)));
        await GoTest.RunAsync(async () => await pair.Client.WriteAsync("s"u8.ToArray()));

        Assert.Equal(0, await waiter.Result.Within(what: "the synchronous zero-length read"));
        await GoTest.RunAsync(async () => Assert.Equal("s"u8.ToArray(), await pair.Server.ReadBytesAsync(1)));
    }

    [Fact]
    public async Task StreamReadAsync_ZeroLengthWhenTheDeadlinePassesOrTheConnectionCloses_FailsAsAReadWould()
    {
        using TcpPair pair = await TcpPair.OpenAsync();
        Stream stream = pair.Server.AsStream();
        await GoTest.RunAsync(async () =>
        {
            pair.Server.SetReadDeadline(DateTimeOffset.UnixEpoch);
            NetOperationException timeout = await Assert.ThrowsAsync<NetOperationException>(async () => _ = await stream.ReadAsync(Memory<byte>.Empty));
            Assert.True(timeout.IsTimeout);
            pair.Server.SetReadDeadline(default);
        });

        Spawned<int> waiter = await Spawned.ParkedAsync(async () => await stream.ReadAsync(Memory<byte>.Empty), WaitReason.IOWait);
        pair.Server.Close();
        NetOperationException closed = await Assert.ThrowsAsync<NetOperationException>(() => waiter.Completion.Within(what: "the zero-length read"));
        Assert.Contains("use of closed network connection", closed.Message, StringComparison.Ordinal);
    }

    // Both ends of a loopback TCP connection as plain sockets, so the test can ask the accepted one
    // how many bytes are queued (Socket.Available).
    private static (Socket Dialed, Socket Accepted) ConnectedSockets()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var dialed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        dialed.Connect(listener.LocalEndPoint!);
        return (dialed, listener.Accept());
    }

    // Hands the edges epoll holds to their sockets now, as a machine's poll would: no goroutine
    // waits on I/O here, so no machine polls by itself. (.NET's engine has no edges to hand.)
    private static void DeliverPendingEdges()
    {
        if (NetSocket.UsesNetPoller)
        {
            while (Scheduler.Instance.NetPoller.Poll(0) > 0)
            {
            }
        }
    }
}
