// Licensed under the MIT License.

using System.Runtime.CompilerServices;

namespace Goroutines.Scheduling;

// SpawnSite: where a goroutine was spawned (Go's gopc), as the member, file and line the
// compiler passed to Go.Run. Every goroutine refers to one, for dumps and traces.
//
// Shared by the goroutines of one call site, through a small direct-mapped cache: one
// reference in the goroutine instead of two strings and a line (8 bytes less per goroutine,
// W2), at the price of a hash and three compares per spawn. The caller-info strings are
// literals, interned, so the compares are mostly reference checks. Two sites that map to one
// slot and spawn in turn replace each other, and each spawn then allocates its site: correct,
// only slower; 256 slots make that rare.
//
// Invariants:
// - A site never changes once published; the cache's racy slot writes publish whole objects.
internal sealed class SpawnSite
{
    private const int CacheSize = 256; // a power of two

    private static readonly SpawnSite?[] s_cache = new SpawnSite?[CacheSize];

    private SpawnSite(string? member, string? file, int line)
    {
        Member = member;
        File = file;
        Line = line;
    }

    /// <summary>The spawning member's name, or null when unknown.</summary>
    public string? Member { get; }

    /// <summary>The spawning call's source file, or null when unknown.</summary>
    public string? File { get; }

    /// <summary>The spawning call's line, or 0 when unknown.</summary>
    public int Line { get; }

    /// <summary>The site of a spawn from <paramref name="member"/> at <paramref name="file"/>:<paramref name="line"/>. Any thread.</summary>
    public static SpawnSite Of(string? member, string? file, int line)
    {
        int slot = (RuntimeHelpers.GetHashCode(file) ^ (line * -1640531535)) & (CacheSize - 1); // Fibonacci hashing spreads near lines
        SpawnSite? cached = s_cache[slot];
        if (cached is not null && cached.Line == line && cached.File == file && cached.Member == member)
        {
            return cached;
        }

        var site = new SpawnSite(member, file, line);
        s_cache[slot] = site;
        return site;
    }
}
