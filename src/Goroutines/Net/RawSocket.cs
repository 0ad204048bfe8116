// Licensed under the MIT License.

using System;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Goroutines.Net;

/// <summary>
/// A new socket as a <see cref="Dialer.Control"/> or <see cref="ListenConfig.Control"/> hook sees
/// it (Go's <c>syscall.RawConn</c>): its handle, and its options by level and name, for the
/// options the configuration does not name. Valid only during the hook.
/// </summary>
public readonly struct RawSocket : IEquatable<RawSocket>
{
    private readonly NetSocket _socket;

    internal RawSocket(NetSocket socket)
    {
        _socket = socket;
    }

    /// <summary>The socket's handle (a file descriptor on Unix); owned by the runtime: do not close it.</summary>
    public SafeHandle Handle => _socket.Handle;

    /// <summary>Compares two views by their socket.</summary>
    /// <param name="left">The first view.</param>
    /// <param name="right">The second view.</param>
    /// <returns>Whether both are of the same socket.</returns>
    public static bool operator ==(RawSocket left, RawSocket right) => left.Equals(right);

    /// <summary>Compares two views by their socket.</summary>
    /// <param name="left">The first view.</param>
    /// <param name="right">The second view.</param>
    /// <returns>Whether they are of different sockets.</returns>
    public static bool operator !=(RawSocket left, RawSocket right) => !left.Equals(right);

    /// <summary>Sets an integer option (<c>setsockopt</c>).</summary>
    /// <param name="level">The option's level, as the system numbers it (for example 0 for IPPROTO_IP).</param>
    /// <param name="name">The option's name, as the system numbers it.</param>
    /// <param name="value">The value.</param>
    /// <exception cref="SocketException">The system refused the option.</exception>
    public void SetOption(int level, int name, int value) => _socket.SetRawOption(level, name, value);

    /// <summary>Reads an integer option (<c>getsockopt</c>).</summary>
    /// <param name="level">The option's level, as the system numbers it.</param>
    /// <param name="name">The option's name, as the system numbers it.</param>
    /// <returns>The option's value.</returns>
    /// <exception cref="SocketException">The system refused.</exception>
    public int GetOption(int level, int name) => _socket.GetRawOption(level, name);

    /// <inheritdoc/>
    public bool Equals(RawSocket other) => ReferenceEquals(_socket, other._socket);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is RawSocket other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _socket?.GetHashCode() ?? 0;
}
