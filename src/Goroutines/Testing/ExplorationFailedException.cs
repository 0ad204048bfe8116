// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Text;

namespace Goroutines.Testing;

/// <summary>
/// Thrown by <see cref="Explorer"/> when a seed's run fails: the seed to replay, the failure (the
/// inner exception), the dump of the bubble's goroutines, and whether a replay took the same path.
/// </summary>
public sealed class ExplorationFailedException : Exception
{
    internal ExplorationFailedException(
        long seed, ExplorationStrategy strategy, int seedsTried, Exception failure, string? dump, IReadOnlyList<ulong> record, int foreignReadies, int? replayDivergence)
        : base(Describe(seed, strategy, seedsTried, failure, dump, record.Count, foreignReadies, replayDivergence), failure)
    {
        Seed = seed;
        Strategy = strategy;
        SeedsTried = seedsTried;
        Dump = dump ?? string.Empty;
        Choices = record.Count;
        ForeignReadies = foreignReadies;
        ReplayDiverged = replayDivergence >= 0;
        ScheduleFingerprint = Fingerprint(record);
    }

    /// <summary>The seed whose run failed: pass it to <see cref="Explorer.ReplayAsync"/> with the same options.</summary>
    public long Seed { get; }

    /// <summary>The strategy the seed was drawn for.</summary>
    public ExplorationStrategy Strategy { get; }

    /// <summary>How many seeds ran, the failing one included.</summary>
    public int SeedsTried { get; }

    /// <summary>The goroutines of the bubble when the run failed, as a goroutine dump.</summary>
    public string Dump { get; }

    /// <summary>How many scheduling choices the failing run made.</summary>
    public int Choices { get; }

    /// <summary>
    /// A hash of every choice of the failing run (kind, options, pick): equal for two runs that took
    /// the same interleaving.
    /// </summary>
    public ulong ScheduleFingerprint { get; }

    /// <summary>Readies that came from outside the bubble (foreign awaits completing on other threads): the place replay may diverge.</summary>
    public int ForeignReadies { get; }

    /// <summary>Whether the explorer's replay of the seed made different choices than the failing run.</summary>
    public bool ReplayDiverged { get; }

    private static ulong Fingerprint(IReadOnlyList<ulong> record)
    {
        ulong hash = 14695981039346656037UL; // FNV-1a over the choices
        foreach (ulong choice in record)
        {
            hash = (hash ^ choice) * 1099511628211UL;
        }

        return hash;
    }

    private static string Describe(long seed, ExplorationStrategy strategy, int seedsTried, Exception failure, string? dump, int choices, int foreignReadies, int? replayDivergence)
    {
        var text = new StringBuilder();
        text.Append($"Seed {seed} ({strategy}) fails, found after {seedsTried} seed(s): {failure.GetType().Name}: {failure.Message}\n");
        text.Append($"Replay it with Explorer.ReplayAsync(body, {seed}, options) and the same options.\n");
        if (replayDivergence is >= 0)
        {
            text.Append($"A replay of the seed diverged at choice {replayDivergence} of {choices}: {foreignReadies} ready(ies) came from outside the bubble (a .NET task completing on another thread), which the explorer does not control.\n");
        }
        else
        {
            if (replayDivergence is not null)
            {
                text.Append($"A replay of the seed took the same {choices} choices.\n");
            }

            if (foreignReadies > 0)
            {
                text.Append($"{foreignReadies} ready(ies) came from outside the bubble (a .NET task completing on another thread): a replay may diverge there.\n");
            }
        }

        if (!string.IsNullOrEmpty(dump))
        {
            text.Append("Goroutines of the bubble when the run failed:\n").Append(dump);
        }

        return text.ToString();
    }
}
