// Licensed under the MIT License.

using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Tasks;

using Goroutines.Net;
using Goroutines.Scheduling;
using Goroutines.Sync;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Net;

/// <summary>
/// What every stream network must do, run against TCP over IPv4 and IPv6 loopback and a Unix
/// socket: echo, half-close, the synchronous forms, a close from another goroutine, and the
/// addresses and errors in Go's shape.
/// </summary>
public abstract class StreamContractTests : RuntimeTest
{
    /// <summary>The network under test.</summary>
    protected abstract string NetworkName { get; }

    /// <summary>An address to listen on, on loopback only.</summary>
    protected abstract string ListenAddress();

    /// <summary>The address a client dials to reach <paramref name="listener"/>.</summary>
    protected virtual string DialAddress(Listener listener) => listener.Addr.ToString()!;

    [Fact]
    public async Task ReadAsync_EchoServerWithGoroutinePerConnection_EchoesEveryMessage()
    {
        await GoTest.RunAsync(async () =>
        {
            using Listener listener = Network.Listen(NetworkName, ListenAddress());
            var served = new WaitGroup();
            served.Go(() => ServeEchoAsync(listener, connections: 3));

            for (int c = 0; c < 3; c++)
            {
                await using Conn conn = await Network.DialAsync(NetworkName, DialAddress(listener));
                for (int m = 0; m < 10; m++)
                {
                    byte[] message = Encoding.ASCII.GetBytes($"conn {c} message {m}");
                    await conn.WriteAsync(message);
                    Assert.Equal(message, await conn.ReadBytesAsync(message.Length));
                }
            }

            await served.WaitAsync();
        });
    }

    [Fact]
    public async Task Read_SynchronousForms_EchoAcrossGoroutines()
    {
        await GoTest.RunAsync(async () =>
        {
            using Listener listener = Network.Listen(NetworkName, ListenAddress());
            var served = new WaitGroup();
            served.Go(() =>
            {
                using Conn server = listener.Accept();
                byte[] buffer = new byte[64];
                int n;
                while ((n = server.Read(buffer)) > 0)
                {
                    server.Write(buffer.AsSpan(0, n));
                }
            });

            using (Conn conn = Network.Dial(NetworkName, DialAddress(listener)))
            {
                conn.Write("ping"u8);
                byte[] reply = new byte[4];
                int read = 0;
                while (read < reply.Length)
                {
                    read += conn.Read(reply.AsSpan(read));
                }

                Assert.Equal("ping"u8.ToArray(), reply);
            }

            await served.WaitAsync();
        });
    }

    [Fact]
    public async Task ReadAsync_EmptyBufferAfterAShortRead_ReturnsZeroAtOnce()
    {
        await GoTest.RunAsync(async () =>
        {
            using Listener listener = Network.Listen(NetworkName, ListenAddress());
            Task<Conn> accepted = GoTest.Start(async () => await listener.AcceptAsync());
            await using Conn client = await Network.DialAsync(NetworkName, DialAddress(listener));
            await using Conn server = await accepted.Within(what: "the accept");
            await client.WriteAsync("abc"u8.ToArray());

            byte[] buffer = new byte[16];
            Assert.Equal(3, await server.ReadAsync(buffer)); // a short read: the socket is empty now
            ValueTask<int> empty = server.ReadAsync(Memory<byte>.Empty);
            Assert.True(empty.IsCompletedSuccessfully, "a zero-length read waited");
            Assert.Equal(0, await empty);

            await client.WriteAsync("d"u8.ToArray());
            Assert.Equal("d"u8.ToArray(), await server.ReadBytesAsync(1)); // and the next read still gets the data
        });
    }

    [Fact]
    public async Task CloseWrite_HalfClose_PeerReadsEndAndStillReplies()
    {
        await GoTest.RunAsync(async () =>
        {
            using Listener listener = Network.Listen(NetworkName, ListenAddress());
            var served = new WaitGroup();
            served.Go(async () =>
            {
                await using Conn server = await listener.AcceptAsync();
                var received = new MemoryStream();
                byte[] buffer = new byte[16];
                int n;
                while ((n = await server.ReadAsync(buffer)) > 0)
                {
                    received.Write(buffer, 0, n);
                }

                // The client's end of stream arrived; its reading side is still open.
                await server.WriteAsync(Encoding.ASCII.GetBytes($"got {received.Length} bytes"));
            });

            await using Conn conn = await Network.DialAsync(NetworkName, DialAddress(listener));
            await conn.WriteAsync(new byte[100]);
            conn.CloseWrite();
            var reply = new MemoryStream();
            byte[] chunk = new byte[16];
            int read;
            while ((read = await conn.ReadAsync(chunk)) > 0)
            {
                reply.Write(chunk, 0, read);
            }

            Assert.Equal("got 100 bytes", Encoding.ASCII.GetString(reply.ToArray()));
            await served.WaitAsync();
        });
    }

    [Fact]
    public async Task CloseWrite_AfterWriteDeadlinePassed_StillSendsTheEnd()
    {
        // Go's shutdown ignores deadlines: SetDeadline(past) to stop a transfer, then CloseWrite.
        await GoTest.RunAsync(async () =>
        {
            (Listener listener, Conn conn, Conn server) = await ConnectAsync();
            using (listener)
            await using (conn)
            await using (server)
            {
                conn.SetWriteDeadline(DateTimeOffset.UnixEpoch);
                conn.CloseWrite();

                Assert.Equal(0, await server.ReadAsync(new byte[1]).AsTask().Within(what: "the peer's read of the end"));
            }
        });
    }

    [Fact]
    public async Task CloseRead_AfterReadDeadlinePassed_ShutsTheReadingSide()
    {
        await GoTest.RunAsync(async () =>
        {
            (Listener listener, Conn conn, Conn server) = await ConnectAsync();
            using (listener)
            await using (conn)
            await using (server)
            {
                conn.SetReadDeadline(DateTimeOffset.UnixEpoch);
                conn.CloseRead();

                conn.SetReadDeadline(default);
                Assert.Equal(0, await conn.ReadAsync(new byte[1]).AsTask().Within(what: "a read after the reading side was shut"));
            }
        });
    }

    // A listener and both ends of one connection through it, on the network under test. On a goroutine.
    private async Task<(Listener Listener, Conn Client, Conn Server)> ConnectAsync()
    {
        Listener listener = Network.Listen(NetworkName, ListenAddress());
        Task<Conn> accepted = GoTest.Start(async () => await listener.AcceptAsync());
        Conn client = await Network.DialAsync(NetworkName, DialAddress(listener));
        return (listener, client, await accepted.Within(what: "the accept"));
    }

    [Fact]
    public async Task Close_FromAnotherGoroutine_FailsBlockedReadWithClosedError()
    {
        using Listener listener = Network.Listen(NetworkName, ListenAddress());
        Conn? server = null;
        Task<Conn> accepted = GoTest.Start(async () => await listener.AcceptAsync());
        await using Conn client = await GoTest.RunAsync(async () => await Network.DialAsync(NetworkName, DialAddress(listener)));
        server = await accepted.Within(what: "the accept");

        Spawned reader = await Spawned.ParkedAsync(async () => await server.ReadAsync(new byte[8]), WaitReason.IOWait);
        server.Close();

        NetOperationException error = await Assert.ThrowsAsync<NetOperationException>(() => reader.Completion.Within(what: "the reader"));
        Assert.True(error.IsClosed, error.Message);
        Assert.StartsWith($"read {NetworkName} ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith(": use of closed network connection", error.Message, StringComparison.Ordinal);

        NetOperationException later = await Assert.ThrowsAsync<NetOperationException>(() => GoTest.RunAsync(async () => await server.ReadAsync(new byte[8])));
        Assert.True(later.IsClosed, later.Message);
    }

    [Fact]
    public async Task Close_FromAnotherGoroutine_FailsBlockedAcceptWithClosedError()
    {
        Listener listener = Network.Listen(NetworkName, ListenAddress());
        Spawned acceptor = await Spawned.ParkedAsync(async () => await listener.AcceptAsync(), WaitReason.IOWait);
        listener.Close();

        NetOperationException error = await Assert.ThrowsAsync<NetOperationException>(() => acceptor.Completion.Within(what: "the acceptor"));
        Assert.True(error.IsClosed, error.Message);
        Assert.StartsWith($"accept {NetworkName} ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith(": use of closed network connection", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AsStream_StreamReaderAndCopyToAsync_WorkOverTheConnection()
    {
        await GoTest.RunAsync(async () =>
        {
            using Listener listener = Network.Listen(NetworkName, ListenAddress());
            var served = new WaitGroup();
            served.Go(async () =>
            {
                await using Conn server = await listener.AcceptAsync();
                Stream stream = server.AsStream();
                var copy = new MemoryStream();
                await stream.CopyToAsync(copy);
                await server.WriteAsync(Encoding.UTF8.GetBytes($"{copy.Length}\n"));
            });

            await using Conn conn = await Network.DialAsync(NetworkName, DialAddress(listener));
            Stream client = conn.AsStream();
            await client.WriteAsync(new byte[10_000]);
            conn.CloseWrite();
            using var reader = new StreamReader(client, leaveOpen: true);
            Assert.Equal("10000", await reader.ReadLineAsync());
            await served.WaitAsync();
        });
    }

    /// <summary>Accepts <paramref name="connections"/> connections, each served by its own goroutine that echoes until the end of stream.</summary>
    protected static async Task ServeEchoAsync(Listener listener, int connections)
    {
        var handlers = new WaitGroup();
        for (int i = 0; i < connections; i++)
        {
            Conn conn = await listener.AcceptAsync();
            handlers.Go(async () =>
            {
                await using (conn)
                {
                    byte[] buffer = new byte[256];
                    int n;
                    while ((n = await conn.ReadAsync(buffer)) > 0)
                    {
                        await conn.WriteAsync(buffer.AsMemory(0, n));
                    }
                }
            });
        }

        await handlers.WaitAsync();
    }

}

public sealed partial class TcpStreamTests : StreamContractTests
{
    // SIOCOUTQ: the bytes a socket sent that its peer has not acknowledged yet.
    private const nuint UnacknowledgedBytesRequest = 0x5411;

    protected override string NetworkName => "tcp";

    protected override string ListenAddress() => "127.0.0.1:0";

    [Fact]
    public async Task ReadAsync_UrgentByteInTheStream_NextReadGetsTheDataQueuedAfterIt()
    {
        // recv stops at TCP's urgent mark: the first read is short with data still queued, and no
        // edge will come for it. A read that parked first, taking the short read for an empty
        // queue, would wait forever (here, until its deadline).
        using Listener listener = Network.Listen("tcp", "127.0.0.1:0");
        using var dialed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await GoTest.RunAsync(async () =>
        {
            dialed.Connect(listener.Addr);
            await using Conn server = await listener.AcceptAsync();

            dialed.Send("ab"u8);
            dialed.Send("c"u8, SocketFlags.OutOfBand);
            dialed.Send("de"u8);
            GoTest.SpinUntil(() => UnacknowledgedBytes(dialed) == 0, "the peer to queue all five bytes");
            while (Scheduler.Instance.NetPoller.Poll(0) > 0)
            {
                // Hand every edge to the socket now, as a machine's poll would: no more will come.
            }

            byte[] buffer = new byte[16];
            int first = await server.ReadAsync(buffer);
            Assert.Equal("ab", Encoding.ASCII.GetString(buffer, 0, first));
            server.SetReadDeadline(DateTimeOffset.UtcNow + TestTimeouts.Default);
            int second = await server.ReadAsync(buffer);
            Assert.Equal("de", Encoding.ASCII.GetString(buffer, 0, second));
        });
    }

    private static int UnacknowledgedBytes(Socket socket) =>
        IoControl(socket.SafeHandle, UnacknowledgedBytesRequest, out int value) == 0 ? value : throw new SocketException(Marshal.GetLastPInvokeError());

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int IoControl(SafeHandle descriptor, nuint request, out int value);
}

public sealed class Tcp6StreamTests : StreamContractTests
{
    protected override string NetworkName => "tcp6";

    protected override string ListenAddress() => "[::1]:0";
}

public sealed class UnixStreamTests : StreamContractTests
{
    protected override string NetworkName => "unix";

    protected override string ListenAddress() => Path.Combine(Path.GetTempPath(), $"goroutines-{Guid.NewGuid():N}.sock");
}
