// Licensed under the MIT License.

using System.Runtime.InteropServices;

namespace Goroutines.Internal;

/// <summary>
/// An <see cref="int"/> alone on its cache line: 64 bytes of padding on either side (64, the
/// line size of current x64 and arm64 cores; 128 in all, so that the adjacent-line prefetcher
/// does not pair it with a neighbour either). For counters that many threads read on hot paths
/// while another writes them, so that neighbouring fields written elsewhere do not make every
/// read a cache miss (false sharing).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct PaddedInt32
{
    /// <summary>The value; use with <see cref="System.Threading.Volatile"/> or <see cref="System.Threading.Interlocked"/>.</summary>
    [FieldOffset(64)]
    public int Value;
}
