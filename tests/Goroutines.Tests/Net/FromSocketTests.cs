// Licensed under the MIT License.

using System;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;

using Goroutines.Net;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Net;

/// <summary>Sockets made elsewhere, taken over by the netpoller.</summary>
public sealed class FromSocketTests : RuntimeTest
{
    [Fact]
    public async Task FromSocket_ListenerAndConnectedSocket_EchoThroughTheNetpoller()
    {
        var listening = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listening.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listening.Listen(8);
        using Listener listener = Listener.FromSocket(listening);
        Assert.Equal(listening.LocalEndPoint, listener.Addr);

        var connected = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await connected.ConnectAsync(listener.Addr);
        using Conn client = Conn.FromSocket(connected);
        Assert.Equal(listener.Addr, client.RemoteAddr);

        await GoTest.RunAsync(async () =>
        {
            await using Conn server = await listener.AcceptAsync();
            await client.WriteAsync("ping"u8.ToArray());
            byte[] received = new byte[4];
            int read = 0;
            while (read < received.Length)
            {
                read += await server.ReadAsync(received.AsMemory(read));
            }

            Assert.Equal("ping"u8.ToArray(), received);
        });

        client.Close();
        Assert.Throws<ObjectDisposedException>(() => connected.Send(new byte[1])); // closing the connection disposed the socket
    }

    [Fact]
    public void FromSocket_RawSocketType_ThrowsArgumentException()
    {
        using var datagram = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        Assert.Throws<ArgumentException>(() => Listener.FromSocket(datagram));
    }
}
