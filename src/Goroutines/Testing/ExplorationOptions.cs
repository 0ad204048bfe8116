// Licensed under the MIT License.

using System;

namespace Goroutines.Testing;

/// <summary>What <see cref="Explorer"/> tries, and for how long. A replay must use the options its seed was found with.</summary>
public sealed class ExplorationOptions
{
    /// <summary>How many seeds to try at most (default 1,000).</summary>
    public int Iterations { get; init; } = 1_000;

    /// <summary>Stop trying new seeds once this much time has passed (default: no limit but <see cref="Iterations"/>).</summary>
    public TimeSpan? TimeBudget { get; init; }

    /// <summary>The first seed; run i uses <c>FirstSeed + i</c> (default 1), so an exploration is repeatable.</summary>
    public long FirstSeed { get; init; } = 1;

    /// <summary>How choices are drawn (default <see cref="ExplorationStrategy.Pct"/>).</summary>
    public ExplorationStrategy Strategy { get; init; } = ExplorationStrategy.Pct;

    /// <summary>PCT's bug depth d: d − 1 priority change points per run (default 3).</summary>
    public int PctDepth { get; init; } = 3;

    /// <summary>PCT's k: how many scheduling steps the change points are drawn among (default 100).</summary>
    public int PctStepBound { get; init; } = 100;

    /// <summary>A run with more goroutine steps than this fails as a livelock (default 100,000).</summary>
    public int MaxSteps { get; init; } = 100_000;

    /// <summary>
    /// A run that takes longer than this fails as a hang (default 30 seconds): a step that never
    /// reaches an await, or a wait on something outside the bubble that never ends.
    /// </summary>
    public TimeSpan RunTimeout { get; init; } = TimeSpan.FromSeconds(30);

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Iterations, 1, nameof(Iterations));
        ArgumentOutOfRangeException.ThrowIfLessThan(PctDepth, 1, nameof(PctDepth));
        ArgumentOutOfRangeException.ThrowIfLessThan(PctStepBound, 1, nameof(PctStepBound));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSteps, 1, nameof(MaxSteps));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RunTimeout, TimeSpan.Zero, nameof(RunTimeout));
        if (!Enum.IsDefined(Strategy))
        {
            throw new ArgumentOutOfRangeException(nameof(Strategy), Strategy, "Use ExplorationStrategy.Pct or ExplorationStrategy.RandomWalk.");
        }
    }
}
