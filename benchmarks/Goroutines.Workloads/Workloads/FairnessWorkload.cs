// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Time;
using Goroutines.Workloads.Support;

namespace Goroutines.Workloads.Workloads;

/// <summary>
/// W10 fairness: P goroutines (P = GOMAXPROCS, or the CPU count on plain .NET) spin in tight
/// loops with no calls; another sleeps 1 ms S times and records how late each wake-up is.
/// Figures: p50, p99 and max lateness. Flags: -samples, -spinners (0 = P, -1 = none), -sleep.
/// No warm-up, as the Go reference.
/// </summary>
/// <remarks>
/// The sleep is <see cref="Clock.SleepAsync(TimeSpan)"/> on this runtime and an awaited
/// <see cref="Task.Delay(TimeSpan)"/> task on plain .NET.
/// </remarks>
internal static class FairnessWorkload
{
    // One padded slot per spinner, as the Go reference (64 spinners at most).
    private static readonly long[] s_spinSink = new long[64 * 8];

    public static void Run(WorkloadArguments args)
    {
        int samples = args.Int("samples", 200);
        int spinners = args.Int("spinners", 0);
        TimeSpan sleep = args.Duration("sleep", TimeSpan.FromMilliseconds(1));
        args.RejectUnknown();
        if (args.Runtime == RuntimeKind.Goroutines)
        {
            Go.Main(async () => await Measure(SpinnerCount(spinners, Go.MaxProcs), samples, sleep, static body => Go.Run(body), Clock.SleepAsync));
        }
        else
        {
            Measure(SpinnerCount(spinners, Environment.ProcessorCount), samples, sleep, static body => Task.Run(body), static d => new ValueTask(Task.Delay(d))).GetAwaiter().GetResult();
        }
    }

    private static int SpinnerCount(int requested, int processors) => requested switch
    {
        0 => Math.Min(processors, 64),
        < 0 => 0,
        _ => Math.Min(requested, 64),
    };

    private static async Task Measure(int spinners, int samples, TimeSpan sleep, Action<Action> start, Func<TimeSpan, ValueTask> sleepFor)
    {
        int started = 0;
        for (int i = 0; i < spinners; i++)
        {
            int slot = i * 8;
            start(() =>
            {
                Interlocked.Increment(ref started);
                while (true)
                {
                    s_spinSink[slot]++;
                }
            });
        }

        while (Volatile.Read(ref started) < spinners)
        {
            await sleepFor(TimeSpan.FromMilliseconds(1));
        }

        double[] late = new double[samples];
        for (int i = 0; i < samples; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            await sleepFor(sleep);
            late[i] = (Stopwatch.GetElapsedTime(t0) - sleep).TotalMilliseconds;
        }

        Array.Sort(late);
        Figures.Emit("fairness.late_p50", Figures.Percentile(late, 50), "ms");
        Figures.Emit("fairness.late_p99", Figures.Percentile(late, 99), "ms");
        Figures.Emit("fairness.late_max", late[^1], "ms");
    }
}
