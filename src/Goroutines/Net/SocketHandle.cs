// Licensed under the MIT License.

using Microsoft.Win32.SafeHandles;

namespace Goroutines.Net;

/// <summary>
/// A socket descriptor the runtime created (socket, accept4), closed when released. Its release
/// also frees the socket's slot in the netpoller's table, so a connection dropped without a
/// close costs neither a descriptor nor a slot once its finalizer runs (Go: netFD's finalizer).
/// </summary>
internal sealed class SocketHandle : SafeHandleMinusOneIsInvalid
{
    private PollDescriptor? _descriptor;

    public SocketHandle(int descriptor)
        : base(ownsHandle: true)
    {
        SetHandle(descriptor);
    }

    /// <summary>The descriptor's registration, released with it.</summary>
    public void Attach(PollDescriptor descriptor) => _descriptor = descriptor;

    /// <inheritdoc/>
    protected override bool ReleaseHandle()
    {
        _descriptor?.ReleaseRegistration();
        return LinuxSockets.Close((int)handle) == 0;
    }
}
