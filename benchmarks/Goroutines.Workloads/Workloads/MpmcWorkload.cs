// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Threading.Channels;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Workloads.Support;

namespace Goroutines.Workloads.Workloads;

/// <summary>
/// W4 mpmc: P producers and C consumers (4 and 4) over one buffered channel of capacity 1024,
/// N items in all (each producer sends N/P). Figure: ns per item. The consumers' sum is checked.
/// Flags: -n, -producers, -consumers, -cap, -warmup.
/// </summary>
/// <remarks>
/// <para>
/// On this runtime, consumers range over a buffered <see cref="Chan{T}"/> with <c>await foreach</c>
/// (Go's <c>for v := range ch</c>), producers await <see cref="Chan{T}.SendAsync(T)"/>; the main
/// goroutine waits for the producers, closes the channel and waits for the consumers, as the Go
/// reference.
/// </para>
/// <para>
/// On plain .NET, the channel is <c>Channel.CreateBounded(cap)</c>, producers and consumers are
/// <see cref="Task.Run(Func{Task})"/> async lambdas; producers await
/// <see cref="ChannelWriter{T}.WriteAsync"/>, consumers drain with the loop the
/// System.Threading.Channels documentation gives for throughput, <c>while (await WaitToReadAsync())
/// while (TryRead(out v))</c> (what <c>ReadAllAsync</c> does, without its enumerator);
/// <see cref="ChannelWriter{T}.Complete"/> closes the channel.
/// </para>
/// </remarks>
internal static class MpmcWorkload
{
    public static void Run(WorkloadArguments args)
    {
        int n = args.Int("n", 10_000_000);
        int producers = args.Int("producers", 4);
        int consumers = args.Int("consumers", 4);
        int capacity = args.Int("cap", 1024);
        bool warmup = args.Bool("warmup", true);
        args.RejectUnknown();
        if (producers < 1 || consumers < 1 || capacity < 0)
        {
            throw new ArgumentException("-producers and -consumers must be at least 1, -cap at least 0");
        }

        Action<int, int, int, int> pass = args.Runtime == RuntimeKind.Goroutines ? OnGoroutines : OnDotNet;
        Figures.Warmup(warmup, () => pass(Math.Max(n / 100, producers), producers, consumers, capacity));
        pass(n, producers, consumers, capacity);
    }

    private static void OnGoroutines(int n, int producers, int consumers, int capacity) => Go.Main(async () =>
    {
        var ch = new Chan<long>(capacity);
        int per = n / producers;
        long total = (long)per * producers;
        long[] sums = new long[consumers * 8]; // padded per consumer
        var producing = new Countdown(producers);
        var consuming = new Countdown(consumers);
        long start = Stopwatch.GetTimestamp();
        for (int c = 0; c < consumers; c++)
        {
            int slot = c * 8;
            Go.Run(async () =>
            {
                long s = 0;
                await foreach (long v in ch)
                {
                    s += v;
                }

                sums[slot] = s;
                consuming.Signal();
            });
        }

        for (int p = 0; p < producers; p++)
        {
            long first = (long)p * per;
            Go.Run(async () =>
            {
                for (long i = 0; i < per; i++)
                {
                    await ch.SendAsync(first + i);
                }

                producing.Signal();
            });
        }

        await producing.Task;
        ch.Close();
        await consuming.Task;
        Report(Stopwatch.GetElapsedTime(start), total, sums);
    });

    private static void OnDotNet(int n, int producers, int consumers, int capacity)
    {
        var ch = Channel.CreateBounded<long>(capacity);
        ChannelReader<long> reader = ch.Reader;
        ChannelWriter<long> writer = ch.Writer;
        int per = n / producers;
        long total = (long)per * producers;
        long[] sums = new long[consumers * 8]; // padded per consumer
        var producing = new Countdown(producers);
        var consuming = new Countdown(consumers);
        long start = Stopwatch.GetTimestamp();
        for (int c = 0; c < consumers; c++)
        {
            int slot = c * 8;
            Task.Run(async () =>
            {
                long s = 0;
                while (await reader.WaitToReadAsync())
                {
                    while (reader.TryRead(out long v))
                    {
                        s += v;
                    }
                }

                sums[slot] = s;
                consuming.Signal();
            });
        }

        for (int p = 0; p < producers; p++)
        {
            long first = (long)p * per;
            Task.Run(async () =>
            {
                for (long i = 0; i < per; i++)
                {
                    await writer.WriteAsync(first + i);
                }

                producing.Signal();
            });
        }

        producing.Task.GetAwaiter().GetResult();
        writer.Complete();
        consuming.Task.GetAwaiter().GetResult();
        Report(Stopwatch.GetElapsedTime(start), total, sums);
    }

    private static void Report(TimeSpan elapsed, long total, long[] sums)
    {
        long sum = 0;
        for (int i = 0; i < sums.Length; i += 8)
        {
            sum += sums[i];
        }

        long want = total * (total - 1) / 2;
        if (sum != want)
        {
            throw new InvalidOperationException($"mpmc: sum {sum} want {want}");
        }

        Figures.Emit("mpmc.ns_per_item", Figures.NanosecondsPer(elapsed, total), "ns");
    }
}
