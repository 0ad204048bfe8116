// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Diagnostics;
using Goroutines.Stress.Scenarios;

namespace Goroutines.Stress;

/// <summary>A round's outcome: what its scenario moved, how long it took, and what broke, if anything.</summary>
internal sealed record RoundResult(long Moved, TimeSpan Elapsed, string? Failure);

/// <summary>
/// One round of a run: a scenario, the seed of its choices, and the processors it runs on
/// (a fixed GOMAXPROCS, or 0 for changes at random while it runs).
/// </summary>
internal sealed record StressRound(int Number, string Scenario, Func<Random, Task<long>> Body, int Seed, int Procs)
{
    private static readonly (string Name, Func<Random, Task<long>> Body)[] s_scenarios =
    [
        ("channel delivery", ChannelDelivery.RunAsync),
        ("close storm", CloseStorm.RunAsync),
        ("select storm", SelectStorm.RunAsync),
        ("sync primitives", SyncPrimitives.RunAsync),
        ("context tree", ContextTree.RunAsync),
        ("timer race", TimerRace.RunAsync),
    ];

    private static readonly int[] s_procs = [1, 2, 8, 0];

    /// <summary>Draws round <paramref name="number"/> from the run's <paramref name="sequence"/>.</summary>
    public static StressRound Draw(Random sequence, int number)
    {
        (string name, Func<Random, Task<long>> body) = s_scenarios[sequence.Next(s_scenarios.Length)];
        return new StressRound(number, name, body, sequence.Next(), s_procs[sequence.Next(s_procs.Length)]);
    }

    /// <summary>
    /// Runs the round under Go.Main, with a watchdog that prints the goroutine dump and ends the
    /// process if it has not finished after <paramref name="stallAfter"/>.
    /// </summary>
    public RoundResult Run(TimeSpan stallAfter)
    {
        using var watchdog = new Timer(_ => Stalled(stallAfter), null, stallAfter, Timeout.InfiniteTimeSpan);
        using var flipper = Procs == 0 ? new ProcsFlipper(Seed) : null;
        if (Procs != 0)
        {
            Go.SetMaxProcs(Procs);
        }

        long moved = 0;
        string? failure = null;
        var clock = Stopwatch.StartNew();
        Go.Main(async () =>
        {
            try
            {
                moved = await Body(new Random(Seed));
            }
            catch (StressFailure e)
            {
                failure = e.Message;
            }
        });
        return new RoundResult(moved, clock.Elapsed, failure);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"round {Number}: {Scenario}, seed {Seed}, {(Procs == 0 ? "GOMAXPROCS changing" : $"GOMAXPROCS {Procs}")}";

    private void Stalled(TimeSpan stallAfter)
    {
        Console.WriteLine();
        Console.WriteLine($"stress: STALLED: {this} did not finish within {stallAfter.TotalSeconds:F0} s. Goroutines:");
        GoroutineDump.Capture().WriteTo(Console.Out);
        Console.Out.Flush();
        Environment.Exit(1);
    }
}
