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
        double[] lateness = new double[n]; // ms
        long start = Stopwatch.GetTimestamp();
        TimeSpan spawned = args.Runtime == RuntimeKind.Goroutines ? OnGoroutines(lateness, sleep, start) : OnDotNet(lateness, sleep, start);
        TimeSpan wall = Stopwatch.GetElapsedTime(start);

        Array.Sort(lateness);
        Figures.Emit("sleepers.lateness_p50_ms", Figures.Percentile(lateness, 50), "ms");
        Figures.Emit("sleepers.lateness_p99_ms", Figures.Percentile(lateness, 99), "ms");
        Figures.Emit("sleepers.lateness_max_ms", lateness[^1], "ms");
        Figures.Emit("sleepers.spawn_ms", spawned.TotalMilliseconds, "ms");
        Figures.Emit("sleepers.wall_ms", wall.TotalMilliseconds, "ms");
    }

    // Returns how long the spawn loop took from start.
    private static TimeSpan OnGoroutines(double[] lateness, TimeSpan sleep, long start)
    {
        TimeSpan spawned = default;
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
                    lateness[index] = (Stopwatch.GetElapsedTime(began) - sleep).TotalMilliseconds;
                    all.Done();
                });
            }

            spawned = Stopwatch.GetElapsedTime(start);
            await all.WaitAsync();
        });
        return spawned;
    }

    private static TimeSpan OnDotNet(double[] lateness, TimeSpan sleep, long start)
    {
        var all = new Countdown(lateness.Length);
        for (int i = 0; i < lateness.Length; i++)
        {
            int index = i;
            Task.Run(async () =>
            {
                long began = Stopwatch.GetTimestamp();
                await Task.Delay(sleep);
                lateness[index] = (Stopwatch.GetElapsedTime(began) - sleep).TotalMilliseconds;
                all.Signal();
            });
        }

        TimeSpan spawned = Stopwatch.GetElapsedTime(start);
        all.Task.GetAwaiter().GetResult();
        return spawned;
    }
}
