// Licensed under the MIT License.

using System;
using System.Net.Sockets;

namespace Goroutines.Net;

/// <summary>
/// Runs a <see cref="Dialer.Control"/> or <see cref="ListenConfig.Control"/> hook (Go's
/// <c>Control func(network, address string, c syscall.RawConn) error</c>) on a new socket before
/// it binds or connects: the hook gets a <see cref="Socket"/> view of it, for
/// <see cref="Socket.SetSocketOption(SocketOptionLevel, SocketOptionName, int)"/> and
/// <see cref="Socket.SetRawSocketOption"/>. The view does not own the descriptor.
/// </summary>
internal static class SocketControl
{
    /// <summary>Calls <paramref name="control"/>, if any, with a view of <paramref name="socket"/>.</summary>
    public static void Run(Action<string, string, Socket>? control, NetSocket socket, string network, string address)
    {
        if (control is null)
        {
            return;
        }

        bool added = false;
        socket.Handle.DangerousAddRef(ref added);
        try
        {
            using var view = new Socket(new SafeSocketHandle(socket.Handle.DangerousGetHandle(), ownsHandle: false));
            control(network, address, view);
        }
        finally
        {
            if (added)
            {
                socket.Handle.DangerousRelease();
            }
        }
    }
}
