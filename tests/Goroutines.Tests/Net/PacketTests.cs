// Licensed under the MIT License.

using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;

using Goroutines.Net;
using Goroutines.Scheduling;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Net;

/// <summary>
/// Datagrams on loopback: UDP echo between a <see cref="PacketConn"/> and a dialed
/// <see cref="Conn"/> with datagram boundaries kept, a read deadline, a close from another
/// goroutine, and a Unix datagram exchange between two bound sockets.
/// </summary>
public sealed class PacketTests : RuntimeTest
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);
    private static readonly string[] UnixMessages = ["over a path", "again"];

    [Fact]
    public async Task ReadFromAsync_EchoServer_RepliesToEachDatagramWithItsBoundariesKept()
    {
        string[] messages = ["a", "hello", new string('x', 1000), "", "last"];
        await GoTest.RunAsync(async () =>
        {
            using PacketConn server = Network.ListenPacket("udp", "127.0.0.1:0");
            Assert.Equal("udp", server.Network);
            Task<EndPoint?[]> served = GoTest.Start(() => EchoAsync(server, messages.Length));

            await using Conn client = await Network.DialAsync("udp", server.LocalAddr!.ToString()!);
            Assert.Equal("udp", client.Network);
            Assert.Equal(server.LocalAddr, client.RemoteAddr);
            byte[] buffer = new byte[2048];
            foreach (string message in messages)
            {
                await client.WriteAsync(Encoding.ASCII.GetBytes(message));
                int n = await client.ReadAsync(buffer);
                Assert.Equal(message, Encoding.ASCII.GetString(buffer, 0, n));
            }

            EndPoint?[] senders = await served.Within(what: "the echo server");
            Assert.All(senders, from => Assert.Equal(client.LocalAddr, from));
        });
    }

    [Fact]
    public async Task ReadAsync_TwoDatagramsQueued_ReturnsOneDatagramPerRead()
    {
        await GoTest.RunAsync(async () =>
        {
            using PacketConn server = Network.ListenPacket("udp", "127.0.0.1:0");
            await using Conn client = await Network.DialAsync("udp", server.LocalAddr!.ToString()!);

            await client.WriteAsync("first"u8.ToArray());
            await client.WriteAsync("second"u8.ToArray());
            byte[] buffer = new byte[64];
            (int first, EndPoint? firstFrom) = await server.ReadFromAsync(buffer);
            Assert.Equal("first", Encoding.ASCII.GetString(buffer, 0, first));
            (int second, EndPoint? secondFrom) = await server.ReadFromAsync(buffer);
            Assert.Equal("second", Encoding.ASCII.GetString(buffer, 0, second));
            Assert.Equal(client.LocalAddr, firstFrom);
            Assert.Equal(client.LocalAddr, secondFrom);
        });
    }

    [Fact]
    public async Task ReadAsync_DatagramLargerThanBuffer_TruncatesItAndNextReadGetsTheNextDatagram()
    {
        await GoTest.RunAsync(async () =>
        {
            using PacketConn server = Network.ListenPacket("udp", "127.0.0.1:0");
            await using Conn client = await Network.DialAsync("udp", server.LocalAddr!.ToString()!);

            await server.WriteToAsync("0123456789"u8.ToArray(), client.LocalAddr!);
            await server.WriteToAsync("next"u8.ToArray(), client.LocalAddr!);
            byte[] small = new byte[4];
            Assert.Equal(4, await client.ReadAsync(small));
            Assert.Equal("0123"u8.ToArray(), small);
            byte[] buffer = new byte[64];
            int n = await client.ReadAsync(buffer);
            Assert.Equal("next", Encoding.ASCII.GetString(buffer, 0, n));
        });
    }

    [Fact]
    public async Task ReadAsync_ZeroLengthOnADatagramConnection_ReturnsAtOnceAndConsumesNoDatagram()
    {
        await GoTest.RunAsync(async () =>
        {
            using PacketConn server = Network.ListenPacket("udp", "127.0.0.1:0");
            await using Conn client = await Network.DialAsync("udp", server.LocalAddr!.ToString()!);

            Assert.Equal(0, await client.ReadAsync(Memory<byte>.Empty).AsTask().Within(what: "a zero-length read with nothing queued"));
            await server.WriteToAsync("kept"u8.ToArray(), client.LocalAddr!);
            Assert.Equal(0, await client.ReadAsync(Memory<byte>.Empty));
            byte[] buffer = new byte[64];
            int n = await client.ReadAsync(buffer);
            Assert.Equal("kept", Encoding.ASCII.GetString(buffer, 0, n));
        });
    }

    [Fact]
    public async Task SetReadDeadline_PassesWhileReadFromBlocked_FailsWithTimeout()
    {
        using FakeRuntimeClock clock = FakeRuntimeClock.Install();
        using PacketConn conn = Network.ListenPacket("udp", "127.0.0.1:0");
        conn.SetReadDeadline(clock.GetUtcNow() + Second);
        Spawned reader = await Spawned.ParkedAsync(async () => await conn.ReadFromAsync(new byte[64]), WaitReason.IOWait);

        clock.Advance(Second - Tick);
        Assert.True(reader.IsParked(WaitReason.IOWait), $"Before its deadline the read must still wait: {reader.Describe()}.");
        clock.Advance(Tick);

        NetOperationException error = await Assert.ThrowsAsync<NetOperationException>(() => reader.Completion.Within(what: "the reader"));
        Assert.True(error.IsTimeout, error.Message);
        Assert.Equal($"read udp {conn.LocalAddr}: i/o timeout", error.Message);

        NetOperationException later = await Assert.ThrowsAsync<NetOperationException>(
            () => GoTest.RunAsync(async () => await conn.ReadFromAsync(new byte[64])));
        Assert.True(later.IsTimeout, later.Message);
    }

    [Fact]
    public async Task SetReadDeadline_OnDialedUdpConn_FailsBlockedReadWithTimeout()
    {
        using FakeRuntimeClock clock = FakeRuntimeClock.Install();
        using PacketConn server = Network.ListenPacket("udp", "127.0.0.1:0");
        using Conn client = await GoTest.RunAsync(async () => await Network.DialAsync("udp", server.LocalAddr!.ToString()!));
        client.SetReadDeadline(clock.GetUtcNow() + Second);
        Spawned reader = await Spawned.ParkedAsync(async () => await client.ReadAsync(new byte[64]), WaitReason.IOWait);

        clock.Advance(Second);

        NetOperationException error = await Assert.ThrowsAsync<NetOperationException>(() => reader.Completion.Within(what: "the reader"));
        Assert.True(error.IsTimeout, error.Message);
        Assert.StartsWith("read udp 127.0.0.1:", error.Message, StringComparison.Ordinal);
        Assert.EndsWith(": i/o timeout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Close_FromAnotherGoroutine_FailsBlockedReadFromWithClosedError()
    {
        using PacketConn conn = Network.ListenPacket("udp", "127.0.0.1:0");
        EndPoint local = conn.LocalAddr!;
        Spawned reader = await Spawned.ParkedAsync(async () => await conn.ReadFromAsync(new byte[64]), WaitReason.IOWait);

        await GoTest.RunAsync(() =>
        {
            conn.Close();
            return Task.CompletedTask;
        });

        NetOperationException error = await Assert.ThrowsAsync<NetOperationException>(() => reader.Completion.Within(what: "the reader"));
        Assert.True(error.IsClosed, error.Message);
        Assert.False(error.IsTimeout, error.Message);
        Assert.Equal($"read udp {local}: use of closed network connection", error.Message);

        NetOperationException later = await Assert.ThrowsAsync<NetOperationException>(
            () => GoTest.RunAsync(async () => await conn.WriteToAsync("x"u8.ToArray(), local)));
        Assert.True(later.IsClosed, later.Message);
    }

    [Fact]
    public async Task WriteToAsync_UnixgramBetweenTwoBoundSockets_DeliversAndRepliesToTheSendersPath()
    {
        string serverPath = Path.Combine(Path.GetTempPath(), $"goroutines-{Guid.NewGuid():N}.sock");
        string clientPath = Path.Combine(Path.GetTempPath(), $"goroutines-{Guid.NewGuid():N}.sock");
        try
        {
            await GoTest.RunAsync(async () =>
            {
                using PacketConn server = Network.ListenPacket("unixgram", serverPath);
                using PacketConn client = Network.ListenPacket("unixgram", clientPath);
                Assert.Equal("unixgram", server.Network);
                Task<EndPoint?[]> served = GoTest.Start(() => EchoAsync(server, UnixMessages.Length));

                byte[] buffer = new byte[64];
                foreach (string message in UnixMessages)
                {
                    Assert.Equal(message.Length, await client.WriteToAsync(Encoding.ASCII.GetBytes(message), server.LocalAddr!));
                    (int n, EndPoint? from) = await client.ReadFromAsync(buffer);
                    Assert.Equal(message, Encoding.ASCII.GetString(buffer, 0, n));
                    Assert.Equal(serverPath, Assert.IsType<UnixDomainSocketEndPoint>(from).ToString());
                }

                EndPoint?[] senders = await served.Within(what: "the echo server");
                Assert.All(senders, from => Assert.Equal(clientPath, Assert.IsType<UnixDomainSocketEndPoint>(from).ToString()));
            });
        }
        finally
        {
            File.Delete(serverPath);
            File.Delete(clientPath);
        }
    }

    /// <summary>Echoes <paramref name="datagrams"/> datagrams to their senders; returns the senders.</summary>
    private static async Task<EndPoint?[]> EchoAsync(PacketConn conn, int datagrams)
    {
        var senders = new EndPoint?[datagrams];
        byte[] buffer = new byte[2048];
        for (int i = 0; i < datagrams; i++)
        {
            (int n, EndPoint? from) = await conn.ReadFromAsync(buffer);
            Assert.NotNull(from);
            senders[i] = from;
            await conn.WriteToAsync(buffer.AsMemory(0, n), from);
        }

        return senders;
    }
}
