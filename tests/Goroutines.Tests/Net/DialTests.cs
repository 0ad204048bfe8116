// Licensed under the MIT License.

using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Contexts;
using Goroutines.Net;
using Goroutines.Scheduling;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Net;

/// <summary>
/// Dialing on loopback: a refused connection and a dial that cannot complete (a listener whose
/// accept queue is full) fail, time out, or are canceled with Go's errors; malformed addresses and
/// unknown networks are refused with Go's messages; host names resolve.
/// </summary>
public sealed class DialTests : RuntimeTest
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    [Fact]
    public async Task DialAsync_NobodyListening_FailsWithConnectionRefused()
    {
        int port = FreePort();

        NetOperationException error = await Assert.ThrowsAsync<NetOperationException>(
            () => GoTest.RunAsync(async () => (await Network.DialAsync("tcp", $"127.0.0.1:{port}")).Close()));

        Assert.Equal($"dial tcp 127.0.0.1:{port}: connect: connection refused", error.Message);
        SocketException cause = Assert.IsType<SocketException>(error.InnerException);
        Assert.Equal(SocketError.ConnectionRefused, cause.SocketErrorCode);
        Assert.False(error.IsTimeout, error.Message);
        Assert.False(error.IsClosed, error.Message);
        Assert.Equal("dial", error.Operation);
        Assert.Equal("tcp", error.Network);
    }

    [Fact]
    public async Task Dial_SynchronousFormNobodyListening_FailsWithConnectionRefused()
    {
        int port = FreePort();

        NetOperationException error = await Assert.ThrowsAsync<NetOperationException>(
            () => GoTest.RunAsync(() =>
            {
                Network.Dial("tcp", $"127.0.0.1:{port}").Close();
                return Task.CompletedTask;
            }));

        Assert.Equal($"dial tcp 127.0.0.1:{port}: connect: connection refused", error.Message);
        Assert.Equal(SocketError.ConnectionRefused, Assert.IsType<SocketException>(error.InnerException).SocketErrorCode);
    }

    [Fact]
    public async Task DialAsync_TimeoutPassesWhileConnectCannotComplete_FailsWithTimeout()
    {
        using FakeRuntimeClock clock = FakeRuntimeClock.Install();
        using FullAcceptQueue target = await FullAcceptQueue.CreateAsync();
        var dialer = new Dialer { Timeout = Second };
        Spawned dial = await Spawned.ParkedAsync(
            async () => (await dialer.DialAsync("tcp", target.Address)).Close(),
            WaitReason.IOWait);

        clock.Advance(Second - Tick);
        Assert.True(dial.IsParked(WaitReason.IOWait), $"Before its timeout the dial must still wait: {dial.Describe()}.");
        clock.Advance(Tick);

        NetOperationException error = await Assert.ThrowsAsync<NetOperationException>(() => dial.Completion.Within(what: "the dial"));
        Assert.True(error.IsTimeout, error.Message);
        Assert.StartsWith("dial tcp 127.0.0.1:", error.Message, StringComparison.Ordinal);
        Assert.Equal($"dial tcp {target.Address}: i/o timeout", error.Message);
    }

    [Fact]
    public async Task DialAsync_ContextCanceledWhileConnectCannotComplete_ThrowsContextCanceled()
    {
        using FullAcceptQueue target = await FullAcceptQueue.CreateAsync();
        var (ctx, cancel) = Context.WithCancel(Context.Background);
        Spawned dial = await Spawned.ParkedAsync(
            async () => (await new Dialer().DialAsync(ctx, "tcp", target.Address)).Close(),
            WaitReason.IOWait);

        cancel();

        ContextCanceledException error = await Assert.ThrowsAsync<ContextCanceledException>(() => dial.Completion.Within(what: "the dial"));
        Assert.Same(Context.Canceled, error.Err);
    }

    [Fact]
    public async Task DialAsync_TokenCanceledWhileConnectCannotComplete_ThrowsOperationCanceled()
    {
        using FullAcceptQueue target = await FullAcceptQueue.CreateAsync();
        using var cancellation = new CancellationTokenSource();
        Spawned dial = await Spawned.ParkedAsync(
            async () => (await new Dialer().DialAsync("tcp", target.Address, cancellation.Token)).Close(),
            WaitReason.IOWait);

        await cancellation.CancelAsync();

        OperationCanceledException error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dial.Completion.Within(what: "the dial"));
        Assert.Equal(cancellation.Token, error.CancellationToken);
    }

    [Theory]
    [InlineData("127.0.0.1", "missing port in address")]
    [InlineData("127.0.0.1:99999", "invalid port")]
    [InlineData("::1:80", "too many colons in address")]
    [InlineData("[::1]", "missing port in address")]
    public async Task DialAsync_MalformedAddress_ThrowsArgumentExceptionWithGoMessage(string address, string problem)
    {
        ArgumentException error = await Assert.ThrowsAsync<ArgumentException>(
            () => GoTest.RunAsync(async () => (await Network.DialAsync("tcp", address)).Close()));

        Assert.StartsWith("dial tcp: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1", "missing port in address")]
    [InlineData("1.2.3.4:99999", "invalid port")]
    [InlineData("::1:80", "too many colons in address")]
    [InlineData("[::1]", "missing port in address")]
    [InlineData("[::1:80", "missing ']' in address")]
    [InlineData("[::1]:80:90", "too many colons in address")]
    [InlineData("1.2.3.4:99999999999", "invalid port")]
    [InlineData("1.2.3.4:http", "unknown port")]
    public void SplitHostPort_MalformedAddress_ThrowsArgumentExceptionWithGoMessage(string address, string problem)
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => Network.SplitHostPort(address));

        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:", "127.0.0.1")]
    [InlineData("[::1]:", "::1")]
    [InlineData(":", "")]
    public void SplitHostPort_EmptyPort_IsPortZeroAsInGo(string address, string host)
    {
        Assert.Equal((host, 0), Network.SplitHostPort(address));
    }

    [Fact]
    public void Listen_EmptyPort_ListensOnAPortOfTheSystemsChoice()
    {
        using Listener listener = Network.Listen("tcp", "127.0.0.1:");

        Assert.NotEqual(0, ((IPEndPoint)listener.Addr).Port);
    }

    [Fact]
    public void Listen_MalformedAddress_ThrowsArgumentExceptionWithGoMessage()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => Network.Listen("tcp", "127.0.0.1"));

        Assert.StartsWith("listen tcp: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("missing port in address", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DialAsync_UnknownNetwork_ThrowsArgumentExceptionNamingIt()
    {
        ArgumentException error = await Assert.ThrowsAsync<ArgumentException>(
            () => GoTest.RunAsync(async () => (await Network.DialAsync("tcpx", "127.0.0.1:80")).Close()));

        Assert.Contains("unknown network tcpx", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("dial tcpx: unknown network tcpx", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Listen_UnknownNetwork_ThrowsArgumentExceptionNamingIt()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => Network.Listen("tcpx", "127.0.0.1:0"));

        Assert.Contains("unknown network tcpx", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Listen_DatagramNetwork_ThrowsArgumentException()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => Network.Listen("udp", "127.0.0.1:0"));

        Assert.StartsWith("listen udp: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ListenPacket_StreamNetwork_ThrowsArgumentException()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => Network.ListenPacket("tcp", "127.0.0.1:0"));

        Assert.StartsWith("listen tcp: ", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1", 80, "127.0.0.1:80")]
    [InlineData("::1", 443, "[::1]:443")]
    [InlineData("fe80::1%eth0", 53, "[fe80::1%eth0]:53")]
    [InlineData("localhost", 0, "localhost:0")]
    [InlineData("", 8080, ":8080")]
    [InlineData("", 65535, ":65535")]
    public void JoinHostPort_ThenSplitHostPort_RoundTrips(string host, int port, string joined)
    {
        Assert.Equal(joined, Network.JoinHostPort(host, port));
        Assert.Equal((host, port), Network.SplitHostPort(joined));
        Assert.Equal(joined, Network.JoinHostPort(Network.SplitHostPort(joined).Host, Network.SplitHostPort(joined).Port));
    }

    [Fact]
    public async Task Listen_Localhost_ListensOnLoopbackAndIsDialableByName()
    {
        await GoTest.RunAsync(async () =>
        {
            using Listener listener = Network.Listen("tcp", "localhost:0");
            IPEndPoint bound = Assert.IsType<IPEndPoint>(listener.Addr);
            Assert.True(IPAddress.IsLoopback(bound.Address), $"localhost resolved to {bound.Address}");
            Assert.NotEqual(0, bound.Port);

            Task<Conn> accepted = GoTest.Start(async () => await listener.AcceptAsync());
            await using Conn client = await Network.DialAsync("tcp", $"localhost:{bound.Port}");
            await using Conn server = await accepted.Within(what: "the accept");

            Assert.Equal(bound, client.RemoteAddr);
            Assert.Equal(client.LocalAddr, server.RemoteAddr);
            await client.WriteAsync("hi"u8.ToArray());
            byte[] buffer = new byte[2];
            int read = 0;
            while (read < buffer.Length)
            {
                int n = await server.ReadAsync(buffer.AsMemory(read));
                Assert.True(n > 0, "the stream ended early");
                read += n;
            }

            Assert.Equal("hi"u8.ToArray(), buffer);
        });
    }

    /// <summary>A loopback port nobody listens on: one the system gave a listener that is now closed.</summary>
    private static int FreePort()
    {
        using Listener listener = Network.Listen("tcp", "127.0.0.1:0");
        return ((IPEndPoint)listener.Addr).Port;
    }

    /// <summary>
    /// A plain listening socket on 127.0.0.1 with a backlog of 0 whose accept queue holds one
    /// connection nobody accepts: Linux drops the SYN of every later connect, so a dial to it parks
    /// until its timeout, deadline or cancellation. Disposing closes both sockets.
    /// </summary>
    private sealed class FullAcceptQueue : IDisposable
    {
        private readonly Socket _listener;
        private readonly Socket _queued;

        private FullAcceptQueue(Socket listener, Socket queued)
        {
            _listener = listener;
            _queued = queued;
            Address = listener.LocalEndPoint!.ToString()!;
        }

        /// <summary>The listener's address, <c>127.0.0.1:port</c>.</summary>
        public string Address { get; }

        public static async Task<FullAcceptQueue> CreateAsync()
        {
            // A plain socket, not ListenConfig: that asks for a backlog the kernel caps at somaxconn.
            var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var queued = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                listener.Listen(0);
                await queued.ConnectAsync(listener.LocalEndPoint!).Within(what: "the connection that fills the accept queue");

                // The listener reads readable once that connection is in its accept queue, which a
                // backlog of 0 then counts as full (Linux's sk_acceptq_is_full: queued > backlog).
                Assert.True(
                    listener.Poll(TestTimeouts.Default, SelectMode.SelectRead),
                    "The first connection never reached the listener's accept queue.");
                return new FullAcceptQueue(listener, queued);
            }
            catch
            {
                queued.Dispose();
                listener.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            _queued.Dispose();
            _listener.Dispose();
        }
    }
}
