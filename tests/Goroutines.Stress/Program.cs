// Licensed under the MIT License.

using System;
using System.Diagnostics;

namespace Goroutines.Stress;

// Goroutines.Stress: seeded, randomized stress of the runtime. A run draws a sequence of
// rounds from its seed; each round is one scenario (channels, closes, selects, the sync
// primitives, context trees, timers), its own seed for every choice the scenario makes
// (sizes, mixes, which forms of each operation), and how the processors are set
// (GOMAXPROCS 1, 2 or 8, or changed at random while the round runs). Each scenario
// checks what must hold whatever the interleaving (every value delivered once and in
// each producer's order, conservation of what selects sent and received, mutual
// exclusion, Go's cancel guarantee, timers that fire as often as they were armed and
// not stopped) and fails the run if it does not.
//
// The seed replays every choice the program makes, not the interleaving the OS threads
// happen to take: run it again with --seed (and --round for one round) to rerun the same
// rounds, as many times as it takes. A round that does not finish is a stall: a watchdog
// prints the goroutine dump and fails the run. A panic in a goroutine ends the run with
// Go's report; a deadlock with Go's fatal error (every round runs under Go.Main).
internal static class Program
{
    public static int Main(string[] args)
    {
        StressOptions options;
        try
        {
            options = StressOptions.Parse(args);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
        {
            Console.Error.WriteLine($"stress: {e.Message}");
            return 64;
        }

        Console.WriteLine($"stress: seed {options.Seed} (rerun with --seed {options.Seed}), {(options.OnlyRound is { } only ? $"round {only} only" : $"for {options.Duration}")}");
        var sequence = new Random(options.Seed);
        var clock = Stopwatch.StartNew();
        long moved = 0;
        int rounds = 0;
        for (int number = 0; ; number++)
        {
            // Drawn for every round, run or not, so that --round finds the same round again.
            StressRound round = StressRound.Draw(sequence, number);
            if (options.OnlyRound is { } wanted)
            {
                if (number < wanted)
                {
                    continue;
                }

                if (number > wanted)
                {
                    break;
                }
            }
            else if (clock.Elapsed >= options.Duration)
            {
                break;
            }

            Console.Write($"{round}: ");
            Console.Out.Flush();
            RoundResult result = round.Run(options.StallAfter);
            Console.WriteLine($"{result.Moved:N0} moved in {result.Elapsed.TotalMilliseconds:F0} ms");
            if (result.Failure is { } failure)
            {
                Console.WriteLine($"stress: FAILED in round {number} (seed {options.Seed}, rerun with --seed {options.Seed} --round {number}): {failure}");
                return 1;
            }

            moved += result.Moved;
            rounds++;
        }

        Console.WriteLine($"stress: passed, {rounds} rounds, {moved:N0} values and operations in {clock.Elapsed.TotalSeconds:F0} s, seed {options.Seed}");
        return 0;
    }
}
