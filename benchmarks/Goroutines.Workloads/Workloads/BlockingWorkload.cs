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
/// Blocking calls outside a region (the hardening issue's figure; not one of W1–W14): N
/// goroutines each call <c>Thread.Sleep</c> for -sleep, with no blocking region, while one
/// more goroutine sleeps 1 ms on the runtime's clock over and over until they are all done.
/// Figures: the 1 ms sleeper's lateness (p50, p99, max, in ms), the wall time of the whole,
/// the threads the runtime made (it keeps them: the peak), and the hand-offs of blocked calls. Flags: -n, -sleep.
/// </summary>
/// <remarks>
/// Goroutines only. The Go counterpart calls <c>syscall.Nanosleep</c> (a system call Go
/// hands off after 20 µs) where this calls <c>Thread.Sleep</c>.
/// </remarks>
internal static class BlockingWorkload
{
    public static void Run(WorkloadArguments args)
    {
        int n = args.Int("n", 10_000);
        TimeSpan sleep = args.Duration("sleep", TimeSpan.FromSeconds(1));
        args.RejectUnknown();
        if (args.Runtime != RuntimeKind.Goroutines)
        {
            throw new ArgumentException("blocking measures this runtime's hand-off of blocked threads");
        }

        Go.Main(async () =>
        {
            RuntimeStatistics before = Go.ReadStatistics();
            var sleepers = new WaitGroup();
            sleepers.Add(n);
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < n; i++)
            {
                Go.Run(() =>
                {
                    Thread.Sleep(sleep);
                    sleepers.Done();
                });
            }

            var lateness = new System.Collections.Generic.List<double>();
            bool done = false;
            var measured = new WaitGroup();
            measured.Add(1);
            Go.Run(async () =>
            {
                while (!Volatile.Read(ref done))
                {
                    long before = Stopwatch.GetTimestamp();
                    await Clock.SleepAsync(TimeSpan.FromMilliseconds(1));
                    lateness.Add(Stopwatch.GetElapsedTime(before).TotalMilliseconds - 1);
                }

                measured.Done();
            });

            await sleepers.WaitAsync();
            TimeSpan wall = Stopwatch.GetElapsedTime(start);
            Volatile.Write(ref done, true);
            await measured.WaitAsync();

            double[] sorted = [.. lateness];
            Array.Sort(sorted);
            RuntimeStatistics after = Go.ReadStatistics();
            Figures.Emit("blocking.sleeper_p50_ms", Figures.Percentile(sorted, 50), "ms");
            Figures.Emit("blocking.sleeper_p99_ms", Figures.Percentile(sorted, 99), "ms");
            Figures.Emit("blocking.sleeper_max_ms", sorted[^1], "ms");
            Figures.EmitInt("blocking.sleeper_wakes", sorted.Length, "wakes");
            Figures.Emit("blocking.wall_ms", wall.TotalMilliseconds, "ms");
            Figures.EmitInt("blocking.threads", after.Threads, "threads"); // machines are kept once made: the peak
            Figures.EmitInt("blocking.blocked_call_handoffs", after.BlockedCallHandoffs - before.BlockedCallHandoffs, "handoffs");
        });
    }
}
