// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Workloads.Support;

namespace Goroutines.Workloads.Workloads;

/// <summary>
/// W1 spawn: start N goroutines; each adds 1 to an atomic counter and signals a wait group;
/// main waits. Figures: ns per goroutine, peak RSS. Flags: -n, -warmup.
/// </summary>
internal static class SpawnWorkload
{
    public static void Run(WorkloadArguments args)
    {
        int n = args.Int("n", 1_000_000);
        bool warmup = args.Bool("warmup", true);
        args.RejectUnknown();
        Action<int> pass = args.Runtime == RuntimeKind.Goroutines ? OnGoroutines : OnDotNet;
        Figures.Warmup(warmup, () => pass(Math.Max(n / 100, 1)));
        pass(n);
    }

    private static void OnGoroutines(int n) => Go.Main(async () =>
    {
        long counter = 0;
        var done = new Countdown(n);
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < n; i++)
        {
            Go.Run(() =>
            {
                Interlocked.Increment(ref counter);
                done.Signal();
            });
        }

        await done.Task;
        Report(Stopwatch.GetElapsedTime(start), n, Interlocked.Read(ref counter));
    });

    private static void OnDotNet(int n)
    {
        long counter = 0;
        var done = new Countdown(n);
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < n; i++)
        {
            Task.Run(() =>
            {
                Interlocked.Increment(ref counter);
                done.Signal();
            });
        }

        done.Task.GetAwaiter().GetResult();
        Report(Stopwatch.GetElapsedTime(start), n, Interlocked.Read(ref counter));
    }

    private static void Report(TimeSpan elapsed, int n, long counter)
    {
        if (counter != n)
        {
            throw new InvalidOperationException($"spawn: counter {counter} != {n}");
        }

        Figures.FullCollect();
        Figures.Emit("spawn.ns_per_goroutine", Figures.NanosecondsPer(elapsed, n), "ns");
        Figures.Emit("spawn.peak_rss", Figures.ProcStatusKiB("VmHWM") / 1024.0, "MiB");
    }
}
