// Licensed under the MIT License.

namespace Goroutines.Net;

/// <summary>Why an I/O attempt may not go on: Go's <c>netpollcheckerr</c> results.</summary>
internal enum PollError : byte
{
    /// <summary>It may go on.</summary>
    None,

    /// <summary>The socket is being closed: "use of closed network connection".</summary>
    Closing,

    /// <summary>The direction's deadline passed: "i/o timeout".</summary>
    Timeout,
}
