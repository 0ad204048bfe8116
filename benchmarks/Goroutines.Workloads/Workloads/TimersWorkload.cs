// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Threading.Tasks;

using Goroutines.Sync;
using Goroutines.Time;
using Goroutines.Workloads.Support;

namespace Goroutines.Workloads.Workloads;

/// <summary>
/// W9 timers: N goroutines each sleep a pseudo-random 1..max ms (splitmix64 with a fixed seed,
/// the Go reference's sequence), then signal a wait group. Figures: wall and CPU milliseconds
/// (ideal wall: the longest sleep). Flags: -n, -max, -seed, -warmup.
/// </summary>
/// <remarks>
/// On this runtime: <see cref="Clock.SleepAsync(TimeSpan)"/> and a <see cref="WaitGroup"/>. On plain .NET:
/// <see cref="Task.Run(Func{Task})"/> tasks awaiting <see cref="Task.Delay(TimeSpan)"/>.
/// </remarks>
internal static class TimersWorkload
{
    public static void Run(WorkloadArguments args)
    {
        int goroutines = args.Int("n", 100_000);
        int maxMilliseconds = args.Int("max", 100);
        ulong seed = (ulong)args.Int("seed", 1);
        bool warmup = args.Bool("warmup", true);
        args.RejectUnknown();
        Action<TimeSpan[]> pass = args.Runtime == RuntimeKind.Goroutines ? OnGoroutines : OnDotNet;
        Figures.Warmup(warmup, () => pass(Durations(Math.Max(goroutines / 100, 1), maxMilliseconds, seed)));
        pass(Durations(goroutines, maxMilliseconds, seed));
    }

    private static TimeSpan[] Durations(int count, int maxMilliseconds, ulong seed)
    {
        var random = new SplitMix64(seed);
        var durations = new TimeSpan[count];
        for (int i = 0; i < count; i++)
        {
            durations[i] = TimeSpan.FromMilliseconds(1 + (double)(random.Next() % (ulong)maxMilliseconds));
        }

        return durations;
    }

    private static void OnGoroutines(TimeSpan[] durations) => Go.Main(async () =>
    {
        var group = new WaitGroup();
        group.Add(durations.Length);
        TimeSpan cpu = Figures.CpuTime();
        long start = Stopwatch.GetTimestamp();
        foreach (TimeSpan duration in durations)
        {
            Go.Run(async () =>
            {
                await Clock.SleepAsync(duration);
                group.Done();
            });
        }

        await group.WaitAsync();
        Report(Stopwatch.GetElapsedTime(start), Figures.CpuTime() - cpu);
    });

    private static void OnDotNet(TimeSpan[] durations)
    {
        var done = new Countdown(durations.Length);
        TimeSpan cpu = Figures.CpuTime();
        long start = Stopwatch.GetTimestamp();
        foreach (TimeSpan duration in durations)
        {
            Task.Run(async () =>
            {
                await Task.Delay(duration);
                done.Signal();
            });
        }

        done.Task.GetAwaiter().GetResult();
        Report(Stopwatch.GetElapsedTime(start), Figures.CpuTime() - cpu);
    }

    private static void Report(TimeSpan wall, TimeSpan cpu)
    {
        Figures.Emit("timers.wall_ms", wall.TotalMilliseconds, "ms");
        Figures.Emit("timers.cpu_ms", cpu.TotalMilliseconds, "ms");
    }

    // The Go reference's generator (splitmix64), so both draw the same durations.
    private struct SplitMix64(ulong state)
    {
        private ulong _state = state;

        public ulong Next()
        {
            _state += 0x9E3779B97F4A7C15;
            ulong z = _state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            return z ^ (z >> 31);
        }
    }
}
