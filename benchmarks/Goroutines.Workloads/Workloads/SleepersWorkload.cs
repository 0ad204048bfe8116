// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Sync;
using Goroutines.Time;
using Goroutines.Workloads.Support;

namespace Goroutines.Workloads.Workloads;

/// <summary>
/// Many sleepers (the hardening issue's figure; not one of W1–W14): the main goroutine spawns N
/// goroutines in one loop; each notes when its first step began, sleeps -sleep, and records how
/// late it woke. Figures: lateness p50, p99 and max (ms), the spawn loop's and the whole run's
/// wall time (ms). Flags: -n, -sleep. The Go counterpart is <c>benchmarks/go/sleepers</c>.
/// </summary>
/// <remarks>
/// On plain .NET: a <see cref="Task.Run(Func{Task})"/> per sleeper awaiting
/// <see cref="Task.Delay(TimeSpan)"/>, and a <see cref="Countdown"/>. No warm-up: as Go's, the
/// program runs once; a million sleepers are their own warm-up.
/// </remarks>
internal static class SleepersWorkload
{
    public static void Run(WorkloadArguments args)
    {
        int n = args.Int("n", 1_000_000);
        TimeSpan sleep = args.Duration("sleep", TimeSpan.FromSeconds(1));
        args.RejectUnknown();
        long[] lateness = new long[n];
        long start = Stopwatch.GetTimestamp();
        long spawned = args.Runtime == RuntimeKind.Goroutines ? OnGoroutines(lateness, sleep) : OnDotNet(lateness, sleep);
        long end = Stopwatch.GetTimestamp();

        Array.Sort(lateness);
        Figures.Emit("sleepers.lateness_p50_ms", Milliseconds(lateness[n / 2]), "ms");
        Figures.Emit("sleepers.lateness_p99_ms", Milliseconds(lateness[(int)(n * 99L / 100)]), "ms");
        Figures.Emit("sleepers.lateness_max_ms", Milliseconds(lateness[^1]), "ms");
        Figures.Emit("sleepers.spawn_ms", Milliseconds(spawned - start), "ms");
        Figures.Emit("sleepers.wall_ms", Milliseconds(end - start), "ms");
    }

    // Returns when the spawn loop ended (Stopwatch ticks).
    private static long OnGoroutines(long[] lateness, TimeSpan sleep)
    {
        long spawned = 0;
        Go.Main(async () =>
        {
            var all = new WaitGroup();
            all.Add(lateness.Length);
            for (int i = 0; i < lateness.Length; i++)
            {
                int index = i;
                Go.Run(async () =>
                {
                    long began = Stopwatch.GetTimestamp();
                    await Clock.SleepAsync(sleep);
                    lateness[index] = LateBy(began, sleep);
                    all.Done();
                });
            }

            spawned = Stopwatch.GetTimestamp();
            await all.WaitAsync();
        });
        return spawned;
    }

    private static long OnDotNet(long[] lateness, TimeSpan sleep)
    {
        var all = new Countdown(lateness.Length);
        for (int i = 0; i < lateness.Length; i++)
        {
            int index = i;
            Task.Run(async () =>
            {
                long began = Stopwatch.GetTimestamp();
                await Task.Delay(sleep);
                lateness[index] = LateBy(began, sleep);
                all.Signal();
            });
        }

        long spawned = Stopwatch.GetTimestamp();
        all.Task.GetAwaiter().GetResult();
        return spawned;
    }

    private static long LateBy(long began, TimeSpan sleep) => Stopwatch.GetTimestamp() - began - (long)(sleep.TotalSeconds * Stopwatch.Frequency);

    private static double Milliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
