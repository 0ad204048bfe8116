// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;

using Goroutines.Testing;
using Goroutines.Tests.Testing;
using Goroutines.Workloads.Support;

namespace Goroutines.Workloads.Workloads;

/// <summary>
/// The schedule explorer on the bug catalogue (the testing issue's figures; not one of
/// W1–W14). For each bug: how many of <c>-plain</c> plain runs catch it (each in a bubble of
/// SyncTest, which detects deadlocks and leaks, scheduled as usual), the median number of seeds
/// PCT and the random walk need over <c>-explorations</c> independent explorations, whether a
/// replay of the found seed takes the same choices, and how many of <c>-seeds</c> seeds flag the
/// fixed program. Then seeds per second and nanoseconds per scheduling step, over the fixed
/// programs' explorations.
/// </summary>
internal static class ExploreWorkload
{
    public static void Run(WorkloadArguments args)
    {
        int plainRuns = args.Int("plain", 1_000);
        int explorations = args.Int("explorations", 20);
        int seeds = args.Int("seeds", 10_000);
        args.RejectUnknown();
        if (args.Runtime != RuntimeKind.Goroutines)
        {
            throw new ArgumentException("explore measures this runtime's schedule explorer; plain .NET has none");
        }

        RunAsync(plainRuns, explorations, seeds).GetAwaiter().GetResult();
    }

    private static async Task RunAsync(int plainRuns, int explorations, int seeds)
    {
        long fixedSeeds = 0, fixedSteps = 0;
        TimeSpan fixedTime = TimeSpan.Zero;
        foreach (CataloguedBug bug in BugCatalogue.All)
        {
            Figures.EmitInt($"{bug.Name}-plain-caught", await CountPlainFailuresAsync(bug.Buggy, plainRuns), $"of{plainRuns}");
            foreach (ExplorationStrategy strategy in new[] { ExplorationStrategy.Pct, ExplorationStrategy.RandomWalk })
            {
                var needed = new List<int>();
                ExplorationFailedException? first = null;
                for (int i = 0; i < explorations; i++)
                {
                    var options = new ExplorationOptions { Iterations = seeds, Strategy = strategy, FirstSeed = 1 + (i * 1_000_003L) };
                    try
                    {
                        await Explorer.ExploreAsync(bug.Buggy, options);
                    }
                    catch (ExplorationFailedException found)
                    {
                        needed.Add(found.SeedsTried);
                        first ??= found;
                    }
                }

                string name = $"{bug.Name}-{(strategy == ExplorationStrategy.Pct ? "pct" : "walk")}";
                Figures.EmitInt($"{name}-found", needed.Count, $"of{explorations}");
                Figures.EmitInt($"{name}-seeds-median", needed.Count == 0 ? -1 : Median(needed), "seeds");
                if (first is not null)
                {
                    Figures.EmitInt($"{name}-replays-same", await CountSameReplaysAsync(bug.Buggy, first, strategy, replays: 3), "of3");
                }
            }

            var clock = Stopwatch.StartNew();
            try
            {
                ExplorationSummary summary = await Explorer.ExploreAsync(bug.Fixed, new ExplorationOptions { Iterations = seeds });
                fixedSeeds += summary.SeedsTried;
                fixedSteps += summary.Steps;
                Figures.EmitInt($"{bug.Name}-fixed-flagged", 0, $"of{seeds}");
            }
            catch (ExplorationFailedException flagged)
            {
                Figures.EmitInt($"{bug.Name}-fixed-flagged", 1, $"of{seeds}");
                Console.Error.WriteLine(flagged.Message);
            }

            fixedTime += clock.Elapsed;
        }

        Figures.Emit("seeds-per-second", fixedSeeds / fixedTime.TotalSeconds, "seeds/s");
        Figures.Emit("step-cost", fixedTime.TotalNanoseconds / Math.Max(fixedSteps, 1), "ns/step");
    }

    private static async Task<int> CountPlainFailuresAsync(Func<Task> body, int runs)
    {
        int failures = 0;
        for (int i = 0; i < runs; i++)
        {
            try
            {
                await SyncTest.RunAsync(body);
            }
#pragma warning disable CA1031 // Any failure of a plain run counts as catching the bug.
            catch (Exception)
#pragma warning restore CA1031
            {
                failures++;
            }
        }

        return failures;
    }

    private static async Task<int> CountSameReplaysAsync(Func<Task> body, ExplorationFailedException found, ExplorationStrategy strategy, int replays)
    {
        int same = 0;
        for (int i = 0; i < replays; i++)
        {
            try
            {
                await Explorer.ReplayAsync(body, found.Seed, new ExplorationOptions { Strategy = strategy });
            }
            catch (ExplorationFailedException replayed) when (replayed.ScheduleFingerprint == found.ScheduleFingerprint)
            {
                same++;
            }
            catch (ExplorationFailedException)
            {
            }
        }

        return same;
    }

    private static int Median(List<int> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
