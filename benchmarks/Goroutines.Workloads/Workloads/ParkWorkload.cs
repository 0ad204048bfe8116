// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Workloads.Support;

namespace Goroutines.Workloads.Workloads;

/// <summary>
/// W2 park: start N goroutines that each block receiving from one shared unbuffered channel;
/// once all are parked, measure RSS growth per goroutine (VmRSS after a full collection, before
/// vs. after); then close the channel and time until all have exited. Figures: bytes per parked
/// goroutine, ns per wake, peak RSS. Flags: -n, -warmup.
/// </summary>
/// <remarks>
/// <para>
/// On this runtime, the main goroutine spawns N goroutines with <see cref="Go.Run(Func{Task}, string, string, int)"/>
/// that each await <see cref="Chan{T}.ReceiveAsync()"/> on one unbuffered <see cref="Chan{T}"/>,
/// then closes it, as the Go reference.
/// </para>
/// <para>
/// On plain .NET, N <see cref="Task.Run(Func{Task})"/> async lambdas each await
/// <see cref="ChannelReader{T}.WaitToReadAsync"/> on one rendezvous channel
/// (<c>Channel.CreateBounded(0)</c>, Go's unbuffered channel), and <see cref="ChannelWriter{T}.Complete"/>
/// closes it. <c>WaitToReadAsync</c> rather than <c>ReadAsync</c>: a receive on a closed Go channel
/// returns at once, as <c>WaitToReadAsync</c> returns false on a completed channel, whereas
/// <c>ReadAsync</c> throws <see cref="System.Threading.Channels.ChannelClosedException"/>, which would
/// make each wake the cost of an exception. Both park one waiter per task in the channel.
/// </para>
/// <para>
/// As the Go reference, the parked count is polled every millisecond and 50 ms more are allowed
/// for the last ones to block before RSS is read.
/// </para>
/// </remarks>
internal static class ParkWorkload
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
        var ch = new Chan<bool>();
        long parked = 0;
        var done = new Countdown(n);

        Figures.FullCollect();
        long rss0 = Figures.ProcStatusKiB("VmRSS");

        for (int i = 0; i < n; i++)
        {
            Go.Run(async () =>
            {
                Interlocked.Increment(ref parked);
                await ch.ReceiveAsync();
                done.Signal();
            });
        }

        while (Interlocked.Read(ref parked) < n)
        {
            await Task.Delay(1);
        }

        // The last few may have counted themselves but not blocked yet.
        await Task.Delay(50);
        Figures.FullCollect();
        long rss1 = Figures.ProcStatusKiB("VmRSS");

        long start = Stopwatch.GetTimestamp();
        ch.Close();
        await done.Task;
        Report(Stopwatch.GetElapsedTime(start), n, rss0, rss1);
    });

    private static void OnDotNet(int n)
    {
        var ch = Channel.CreateBounded<bool>(0);
        ChannelReader<bool> reader = ch.Reader;
        long parked = 0;
        var done = new Countdown(n);

        Figures.FullCollect();
        long rss0 = Figures.ProcStatusKiB("VmRSS");

        for (int i = 0; i < n; i++)
        {
            Task.Run(async () =>
            {
                Interlocked.Increment(ref parked);
                await reader.WaitToReadAsync();
                done.Signal();
            });
        }

        while (Interlocked.Read(ref parked) < n)
        {
            Thread.Sleep(1);
        }

        // The last few may have counted themselves but not blocked yet.
        Thread.Sleep(50);
        Figures.FullCollect();
        long rss1 = Figures.ProcStatusKiB("VmRSS");

        long start = Stopwatch.GetTimestamp();
        ch.Writer.Complete();
        done.Task.GetAwaiter().GetResult();
        Report(Stopwatch.GetElapsedTime(start), n, rss0, rss1);
    }

    private static void Report(TimeSpan elapsed, int n, long rss0KiB, long rss1KiB)
    {
        Figures.Emit("park.bytes_per_parked", (rss1KiB - rss0KiB) * 1024.0 / n, "B");
        Figures.Emit("park.ns_per_wake", Figures.NanosecondsPer(elapsed, n), "ns");
        Figures.Emit("park.peak_rss", Figures.ProcStatusKiB("VmHWM") / 1024.0, "MiB");
    }
}
