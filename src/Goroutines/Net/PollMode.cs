// Licensed under the MIT License.

namespace Goroutines.Net;

/// <summary>A direction of a socket's readiness: Go's poll modes <c>'r'</c> and <c>'w'</c>.</summary>
internal enum PollMode : byte
{
    /// <summary>Readable, or acceptable for a listener.</summary>
    Read,

    /// <summary>Writable, or connected for a dial in progress.</summary>
    Write,
}
