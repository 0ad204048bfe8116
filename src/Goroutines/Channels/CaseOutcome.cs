// Licensed under the MIT License.

namespace Goroutines.Channels;

/// <summary>What polling one channel operation found (select's pass over its cases).</summary>
internal enum CaseOutcome
{
    /// <summary>It would block: no partner, no buffered value or space.</summary>
    WouldBlock,

    /// <summary>It completed: a value was handed over or buffered.</summary>
    Completed,

    /// <summary>The channel is closed: a receive completes with ok == false; a send throws.</summary>
    Closed,
}
