// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Sync;
using Goroutines.Workloads.Support;

using Mutex = Goroutines.Sync.Mutex;

namespace Goroutines.Workloads.Workloads;

/// <summary>
/// W8 mutex: G goroutines each take a shared mutex and increment a counter N times. Figure: ns
/// per lock/unlock. Flags: -g, -n, -warmup.
/// </summary>
/// <remarks>
/// On this runtime: <see cref="Mutex.LockAsync()"/> and <see cref="Mutex.Unlock"/>, waited for with a
/// <see cref="WaitGroup"/>, as the Go reference. On plain .NET: the async idiom, a
/// <see cref="SemaphoreSlim"/> of one permit awaited by <see cref="Task.Run(Func{Task})"/> tasks (a
/// C# <c>lock</c> cannot be held across an await, so it is not the comparable idiom; the issue
/// quotes it for reference).
/// </remarks>
internal static class MutexWorkload
{
    public static void Run(WorkloadArguments args)
    {
        int goroutines = args.Int("g", 8);
        int increments = args.Int("n", 1_000_000);
        bool warmup = args.Bool("warmup", true);
        args.RejectUnknown();
        Action<int, int> pass = args.Runtime == RuntimeKind.Goroutines ? OnGoroutines : OnDotNet;
        Figures.Warmup(warmup, () => pass(goroutines, Math.Max(increments / 100, 1)));
        pass(goroutines, increments);
    }

    private static void OnGoroutines(int goroutines, int increments) => Go.Main(async () =>
    {
        var mu = new Mutex();
        var group = new WaitGroup();
        long counter = 0;
        long start = Stopwatch.GetTimestamp();
        for (int j = 0; j < goroutines; j++)
        {
            group.Go(async () =>
            {
                for (int i = 0; i < increments; i++)
                {
                    await mu.LockAsync();
                    counter++;
                    mu.Unlock();
                }
            });
        }

        await group.WaitAsync();
        Report(Stopwatch.GetElapsedTime(start), counter, goroutines, increments);
    });

    private static void OnDotNet(int goroutines, int increments)
    {
        using var mu = new SemaphoreSlim(1, 1);
        long counter = 0;
        var done = new Countdown(goroutines);
        long start = Stopwatch.GetTimestamp();
        for (int j = 0; j < goroutines; j++)
        {
            Task.Run(async () =>
            {
                for (int i = 0; i < increments; i++)
                {
                    await mu.WaitAsync();
                    counter++;
                    mu.Release();
                }

                done.Signal();
            });
        }

        done.Task.GetAwaiter().GetResult();
        Report(Stopwatch.GetElapsedTime(start), counter, goroutines, increments);
    }

    private static void Report(TimeSpan elapsed, long counter, int goroutines, int increments)
    {
        long expected = (long)goroutines * increments;
        if (counter != expected)
        {
            throw new InvalidOperationException($"mutex: counter {counter} want {expected}");
        }

        Figures.Emit("mutex.ns_per_lock_unlock", Figures.NanosecondsPer(elapsed, expected), "ns");
    }
}
