// Licensed under the MIT License.

using System;

namespace Goroutines.Testing;

/// <summary>What an exploration that found no failure tried.</summary>
public sealed class ExplorationSummary
{
    internal ExplorationSummary(int seedsTried, long steps, TimeSpan elapsed)
    {
        SeedsTried = seedsTried;
        Steps = steps;
        Elapsed = elapsed;
    }

    /// <summary>How many seeds ran, each to the end without a failure.</summary>
    public int SeedsTried { get; }

    /// <summary>Scheduling steps taken over all runs (dispatches and safe points).</summary>
    public long Steps { get; }

    /// <summary>The exploration's wall time.</summary>
    public TimeSpan Elapsed { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{SeedsTried} seeds, {Steps} steps, no failure in {Elapsed.TotalMilliseconds:F0} ms";
}
