// Licensed under the MIT License.

using System;
using System.Threading.Tasks;

using Goroutines.Net;

namespace Goroutines.Tests.TestSupport;

/// <summary>A listener on 127.0.0.1 and both ends of one connection through it; disposing closes all three.</summary>
internal sealed class TcpPair : IDisposable
{
    private TcpPair(Listener listener, Conn client, Conn server)
    {
        Listener = listener;
        Client = client;
        Server = server;
    }

    public Listener Listener { get; }

    /// <summary>The dialed end.</summary>
    public Conn Client { get; }

    /// <summary>The accepted end.</summary>
    public Conn Server { get; }

    public static async Task<TcpPair> OpenAsync()
    {
        Listener listener = Network.Listen("tcp", "127.0.0.1:0");
        try
        {
            Task<Conn> accepted = GoTest.Start(async () => await listener.AcceptAsync());
            Conn client = await GoTest.RunAsync(async () => await Network.DialAsync("tcp", listener.Addr.ToString()!));
            Conn server = await accepted.Within(what: "the accept");
            return new TcpPair(listener, client, server);
        }
        catch
        {
            listener.Close();
            throw;
        }
    }

    public void Dispose()
    {
        Client.Close();
        Server.Close();
        Listener.Close();
    }
}
