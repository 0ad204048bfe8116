// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Threading.Tasks;

using Goroutines.Workloads.Support;

namespace Goroutines.Workloads.Workloads;

/// <summary>
/// W12 yield: G goroutines each yield N times (Go's Gosched; Task.Yield on plain .NET).
/// Figure: ns per yield. Flags: -g, -n, -warmup.
/// </summary>
internal static class YieldWorkload
{
    public static void Run(WorkloadArguments args)
    {
        int goroutines = args.Int("g", 10_000);
        int yields = args.Int("n", 1_000);
        bool warmup = args.Bool("warmup", true);
        args.RejectUnknown();
        Action<int, int> pass = args.Runtime == RuntimeKind.Goroutines ? OnGoroutines : OnDotNet;
        Figures.Warmup(warmup, () => pass(Math.Max(goroutines / 100, 1), yields));
        pass(goroutines, yields);
    }

    private static void OnGoroutines(int goroutines, int yields) => Go.Main(async () =>
    {
        var done = new Countdown(goroutines);
        long start = Stopwatch.GetTimestamp();
        for (int j = 0; j < goroutines; j++)
        {
            Go.Run(async () =>
            {
                for (int i = 0; i < yields; i++)
                {
                    await Go.YieldAsync();
                }

                done.Signal();
            });
        }

        await done.Task;
        Report(Stopwatch.GetElapsedTime(start), (long)goroutines * yields);
    });

    private static void OnDotNet(int goroutines, int yields)
    {
        var done = new Countdown(goroutines);
        long start = Stopwatch.GetTimestamp();
        for (int j = 0; j < goroutines; j++)
        {
            Task.Run(async () =>
            {
                for (int i = 0; i < yields; i++)
                {
                    await Task.Yield();
                }

                done.Signal();
            });
        }

        done.Task.GetAwaiter().GetResult();
        Report(Stopwatch.GetElapsedTime(start), (long)goroutines * yields);
    }

    private static void Report(TimeSpan elapsed, long yields) =>
        Figures.Emit("yield.ns_per_yield", Figures.NanosecondsPer(elapsed, yields), "ns");
}
