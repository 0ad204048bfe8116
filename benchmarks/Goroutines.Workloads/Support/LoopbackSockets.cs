// Licensed under the MIT License.

using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace Goroutines.Workloads.Support;

/// <summary>
/// What the network workloads (W11 echo, W13 conns) share when they run over .NET's
/// <see cref="Socket"/>: the listener on 127.0.0.1, a whole-buffer send, and which exceptions
/// stand for Go's network errors.
/// </summary>
internal static class LoopbackSockets
{
    /// <summary>
    /// A TCP listener on 127.0.0.1 at a port the kernel picks, as Go's <c>net.Listen("tcp",
    /// "127.0.0.1:0")</c>; on failure, ends the run with <c>{workload}: listen: {error}</c>.
    /// </summary>
    /// <remarks>
    /// The backlog is <see cref="Socket.Listen()"/>'s default, which the kernel caps at
    /// net.core.somaxconn: the backlog Go asks for. Accepted sockets inherit keep-alive off.
    /// </remarks>
    public static Socket Listen(string workload)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen();
            return listener;
        }
        catch (SocketException ex)
        {
            listener.Dispose();
            Failure.Exit($"{workload}: listen: {ex.Message}");
            throw;
        }
    }

    /// <summary>Sends all of <paramref name="data"/>, as Go's <c>Conn.Write</c> does.</summary>
    /// <remarks>
    /// On Unix one <see cref="Socket.SendAsync(ReadOnlyMemory{byte}, SocketFlags, CancellationToken)"/>
    /// already sends everything on a stream socket; the loop keeps the guarantee where it does not.
    /// A send that completes at once, the usual case, completes this without allocating.
    /// </remarks>
    public static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        while (!data.IsEmpty)
        {
            int sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken);
            data = data[sent..];
        }
    }

    /// <summary>
    /// Whether <paramref name="exception"/> is how a socket call reports what Go returns as a
    /// network error: a failed call, a socket closed under it, a deadline passed.
    /// </summary>
    public static bool IsNetworkError(Exception exception) =>
        exception is SocketException or ObjectDisposedException or OperationCanceledException;

    /// <summary>
    /// Whether <paramref name="exception"/>, thrown by an accept, means the listener was closed
    /// (Go's <c>net.ErrClosed</c>): a pending accept is aborted, a later one finds it disposed.
    /// </summary>
    public static bool IsListenerClosed(Exception exception) =>
        exception is ObjectDisposedException or SocketException { SocketErrorCode: SocketError.OperationAborted or SocketError.Interrupted };
}
