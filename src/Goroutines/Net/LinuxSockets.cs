// Licensed under the MIT License.

using System;
using System.Runtime.InteropServices;

namespace Goroutines.Net;

/// <summary>
/// The Linux system calls the netpoller and the sockets use, and their constants (the values of
/// the Linux ABI, the same on x86-64 and arm64). Every socket is non-blocking, so none of these
/// calls sleeps in the kernel except <see cref="EpollWait"/> with a timeout.
/// </summary>
/// <remarks>
/// Calls on a socket take its <see cref="SafeHandle"/>: the marshaller adds a reference for the
/// call's duration, so a concurrent close cannot release the descriptor (and the kernel reuse its
/// number) while a call is using it, the role of Go's fdMutex.
/// </remarks>
internal static unsafe partial class LinuxSockets
{
    // Address families and socket types.
    public const int AF_UNIX = 1;
    public const int AF_INET = 2;
    public const int AF_INET6 = 10;
    public const int SOCK_STREAM = 1;
    public const int SOCK_DGRAM = 2;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;

    // Option levels and names.
    public const int SOL_SOCKET = 1;
    public const int SO_REUSEADDR = 2;
    public const int SO_ERROR = 4;
    public const int SO_BROADCAST = 6;
    public const int SO_KEEPALIVE = 9;
    public const int IPPROTO_IP = 0;
    public const int IPPROTO_TCP = 6;
    public const int IPPROTO_IPV6 = 41;
    public const int TCP_NODELAY = 1;
    public const int TCP_KEEPIDLE = 4;
    public const int TCP_KEEPINTVL = 5;
    public const int TCP_INQ = 36;
    public const int IPV6_V6ONLY = 26;

    // shutdown(2), send(2).
    public const int SHUT_RD = 0;
    public const int SHUT_WR = 1;
    public const int MSG_PEEK = 0x2;
    public const int MSG_NOSIGNAL = 0x4000;

    // errno values.
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int EALREADY = 114;
    public const int EINPROGRESS = 115;
    public const int EISCONN = 106;
    public const int ENOTCONN = 107;

    // epoll(7).
    public const uint EPOLLIN = 0x1;
    public const uint EPOLLOUT = 0x4;
    public const uint EPOLLERR = 0x8;
    public const uint EPOLLHUP = 0x10;
    public const uint EPOLLRDHUP = 0x2000;
    public const uint EPOLLET = 1u << 31;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int EPOLL_CLOEXEC = 0x80000;

    /// <summary>
    /// The size of a <c>struct epoll_event</c>: packed to 12 bytes on x86 and x86-64 (the kernel
    /// declares it <c>__attribute__((packed))</c> there), naturally aligned to 16 elsewhere.
    /// </summary>
    public static readonly int EpollEventSize =
        RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86 ? 12 : 16;

    /// <summary>The byte offset of the event's 64-bit data in a <c>struct epoll_event</c>.</summary>
    public static readonly int EpollDataOffset = EpollEventSize == 12 ? 4 : 8;

    // getrlimit(2).
    public const int RLIMIT_NOFILE = 7;

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    public static partial int GetResourceLimit(int resource, out ResourceLimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    public static partial int SetResourceLimit(int resource, in ResourceLimit limit);

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(SafeHandle socket, byte* address, int length);

    [LibraryImport("libc", EntryPoint = "listen", SetLastError = true)]
    public static partial int Listen(SafeHandle socket, int backlog);

    [LibraryImport("libc", EntryPoint = "accept4", SetLastError = true)]
    public static partial int Accept4(SafeHandle socket, byte* address, int* length, int flags);

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(SafeHandle socket, byte* address, int length);

    // The data path: a message costs a send and a receive on each end, and on a non-blocking
    // socket neither ever sleeps (at worst it runs loopback's receive path, microseconds), so they
    // run without the GC transition, whose frame setup and thread lookup showed in W11's profile.
    // The price: a garbage collection waits for a call in flight. No SetLastError either (its
    // stub stores the error in a thread-static): callers read errno with
    // Marshal.GetLastSystemError() right after a failure; nothing in between changes it.

    [LibraryImport("libc", EntryPoint = "recv")]
    [SuppressGCTransition]
    public static partial nint Receive(SafeHandle socket, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "recvmsg")]
    [SuppressGCTransition]
    public static partial nint ReceiveMessage(SafeHandle socket, MessageHeader* message, int flags);

    [LibraryImport("libc", EntryPoint = "send")]
    [SuppressGCTransition]
    public static partial nint Send(SafeHandle socket, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "recvfrom", SetLastError = true)]
    public static partial nint ReceiveFrom(SafeHandle socket, byte* buffer, nint length, int flags, byte* address, int* addressLength);

    [LibraryImport("libc", EntryPoint = "sendto", SetLastError = true)]
    public static partial nint SendTo(SafeHandle socket, byte* buffer, nint length, int flags, byte* address, int addressLength);

    [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(SafeHandle socket, int how);

    [LibraryImport("libc", EntryPoint = "getsockname", SetLastError = true)]
    public static partial int GetSocketName(SafeHandle socket, byte* address, int* length);

    [LibraryImport("libc", EntryPoint = "getpeername", SetLastError = true)]
    public static partial int GetPeerName(SafeHandle socket, byte* address, int* length);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSocketOption(SafeHandle socket, int level, int name, int* value, int length);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSocketOption(SafeHandle socket, int level, int name, int* value, int* length);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int descriptor);

    // eventfd(2).
    public const int EFD_CLOEXEC = 0x80000;
    public const int EFD_NONBLOCK = 0x800;

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initialValue, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint ReadDescriptor(int descriptor, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint WriteDescriptor(int descriptor, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollControl(int epoll, int operation, int descriptor, byte* epollEvent);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epoll, byte* events, int maxEvents, int timeoutMilliseconds);

    /// <summary>Sets an integer socket option; returns 0 or the errno.</summary>
    public static int SetIntOption(SafeHandle socket, int level, int name, int value) =>
        SetSocketOption(socket, level, name, &value, sizeof(int)) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Reads an integer socket option; returns 0 or the errno.</summary>
    public static int GetIntOption(SafeHandle socket, int level, int name, out int value)
    {
        int result;
        int length = sizeof(int);
        int errno = GetSocketOption(socket, level, name, &result, &length) == 0 ? 0 : Marshal.GetLastPInvokeError();
        value = result;
        return errno;
    }

    /// <summary>A <c>struct rlimit</c>: the soft and the hard limit.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ResourceLimit
    {
        /// <summary>The soft limit, the one in force.</summary>
        public ulong Current;

        /// <summary>The hard limit, the ceiling of the soft one.</summary>
        public ulong Maximum;
    }

    /// <summary>A <c>struct iovec</c>: one buffer of a vectored call.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IOVector
    {
        /// <summary>The buffer.</summary>
        public byte* Base;

        /// <summary>Its length.</summary>
        public nuint Length;
    }

    /// <summary>A <c>struct msghdr</c>, for <see cref="ReceiveMessage"/>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MessageHeader
    {
        /// <summary>The peer's address buffer (unused here).</summary>
        public byte* Name;

        /// <summary>Its length.</summary>
        public int NameLength;

        /// <summary>The data buffers.</summary>
        public IOVector* Vectors;

        /// <summary>How many.</summary>
        public nuint VectorCount;

        /// <summary>The ancillary data (control messages) buffer.</summary>
        public byte* Control;

        /// <summary>Its length; the kernel sets it to what it wrote.</summary>
        public nuint ControlLength;

        /// <summary>Flags the kernel returns.</summary>
        public int Flags;
    }
}
