// Licensed under the MIT License.

using System;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Goroutines.Net;

/// <summary>
/// The causes of failed system calls: a <see cref="SocketException"/> whose message reads as
/// Go's <c>os.SyscallError</c> (<c>connect: connection refused</c>) and whose
/// <see cref="SocketException.SocketErrorCode"/> is .NET's name for the errno.
/// </summary>
internal static class SystemErrors
{
    /// <summary>The cause for <paramref name="errno"/> returned by the system call <paramref name="call"/>.</summary>
    public static SocketException Of(string call, int errno) => new((int)ToSocketError(errno), $"{call}: {Describe(errno)}");

    /// <summary>
    /// The cause for a failure of .NET's socket engine in the call Go would name: Go's text for
    /// the errors Go programs meet (a refused or reset connection, a broken pipe, an address in
    /// use, an unreachable network or host), the system's text otherwise.
    /// </summary>
    public static SocketException Of(string call, SocketException failure) => new((int)failure.SocketErrorCode, $"{call}: {Describe(failure)}");

    private static string Describe(SocketException failure) => failure.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.ConnectionReset => "connection reset by peer",
        SocketError.ConnectionAborted => "software caused connection abort",
        SocketError.Shutdown => "broken pipe",
        SocketError.AddressAlreadyInUse => "address already in use",
        SocketError.AddressNotAvailable => "cannot assign requested address",
        SocketError.NetworkUnreachable => "network is unreachable",
        SocketError.HostUnreachable => "no route to host",
        SocketError.TimedOut => "connection timed out",
        SocketError.AccessDenied => "permission denied",
        SocketError.TooManyOpenSockets => "too many open files",
        SocketError.MessageSize => "message too long",
        _ => failure.Message.Length > 0
            ? string.Concat(char.ToLowerInvariant(failure.Message[0]).ToString(), failure.Message.AsSpan(1))
            : failure.SocketErrorCode.ToString(),
    };

    /// <summary>The errno's text as Go prints it: the C library's, lower-cased first letter.</summary>
    private static string Describe(int errno)
    {
        string text = Marshal.GetPInvokeErrorMessage(errno);
        return text.Length > 0 ? string.Concat(char.ToLowerInvariant(text[0]).ToString(), text.AsSpan(1)) : $"errno {errno}";
    }

    private static SocketError ToSocketError(int errno) => errno switch
    {
        1 or 13 => SocketError.AccessDenied, // EPERM, EACCES
        4 => SocketError.Interrupted, // EINTR
        11 => SocketError.WouldBlock, // EAGAIN
        22 => SocketError.InvalidArgument, // EINVAL
        24 or 23 => SocketError.TooManyOpenSockets, // EMFILE, ENFILE
        32 => SocketError.Shutdown, // EPIPE
        90 => SocketError.MessageSize, // EMSGSIZE
        97 => SocketError.AddressFamilyNotSupported, // EAFNOSUPPORT
        98 => SocketError.AddressAlreadyInUse, // EADDRINUSE
        99 => SocketError.AddressNotAvailable, // EADDRNOTAVAIL
        100 => SocketError.NetworkDown, // ENETDOWN
        101 => SocketError.NetworkUnreachable, // ENETUNREACH
        103 => SocketError.ConnectionAborted, // ECONNABORTED
        104 => SocketError.ConnectionReset, // ECONNRESET
        105 => SocketError.NoBufferSpaceAvailable, // ENOBUFS
        106 => SocketError.IsConnected, // EISCONN
        107 => SocketError.NotConnected, // ENOTCONN
        110 => SocketError.TimedOut, // ETIMEDOUT
        111 => SocketError.ConnectionRefused, // ECONNREFUSED
        113 => SocketError.HostUnreachable, // EHOSTUNREACH
        2 => SocketError.AddressNotAvailable, // ENOENT: a Unix socket's path
        _ => SocketError.SocketError,
    };
}
