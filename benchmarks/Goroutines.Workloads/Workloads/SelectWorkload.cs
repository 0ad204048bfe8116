// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Threading.Channels;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Workloads.Support;

namespace Goroutines.Workloads.Workloads;

/// <summary>
/// W5 select: 4 producers each on its own unbuffered channel; one consumer selects over the 4
/// channels until it has N items (each producer sends N/4). Figure: ns per item. The consumer's
/// sum is checked. Flags: -n, -warmup.
/// </summary>
/// <remarks>
/// <para>
/// On this runtime, the producers are goroutines awaiting <see cref="Chan{T}.SendAsync(T)"/> on their
/// unbuffered <see cref="Chan{T}"/>; the main goroutine is the consumer, with one
/// <see cref="Select"/> reused for every round (<c>Receive</c> × 4, then <c>WaitAsync</c>), as the
/// Go reference's <c>select</c> statement in a loop.
/// </para>
/// <para>
/// On plain .NET, which has no select, the channels are rendezvous channels
/// (<c>Channel.CreateBounded(0)</c>, Go's unbuffered channel), the producers
/// <see cref="Task.Run(Func{Task})"/> async lambdas awaiting <see cref="ChannelWriter{T}.WriteAsync"/>,
/// and the consumer uses the usual idiom for waiting on several readers: try
/// <see cref="ChannelReader{T}.TryRead"/> on each (starting after the reader that last had an
/// item, so none is favoured, as Go's random choice), and when none has an item, await
/// <see cref="Task.WhenAny(Task[])"/> over the four <see cref="ChannelReader{T}.WaitToReadAsync"/>,
/// then try again. A rendezvous reader has an item while a writer waits on it. Waits that lose
/// the race stay registered on their channel until its next write completes them, as with any
/// <c>WhenAny</c> over <c>WaitToReadAsync</c>.
/// </para>
/// </remarks>
internal static class SelectWorkload
{
    private const int Producers = 4;

    public static void Run(WorkloadArguments args)
    {
        int n = args.Int("n", 4_000_000);
        bool warmup = args.Bool("warmup", true);
        args.RejectUnknown();
        Action<int> pass = args.Runtime == RuntimeKind.Goroutines ? OnGoroutines : OnDotNet;
        Figures.Warmup(warmup, () => pass(Math.Max(n / 100, Producers)));
        pass(n);
    }

    private static void OnGoroutines(int n) => Go.Main(async () =>
    {
        int per = n / Producers;
        long total = (long)per * Producers;
        Chan<long>[] chans = [new(), new(), new(), new()];
        long start = Stopwatch.GetTimestamp();
        for (int p = 0; p < Producers; p++)
        {
            Chan<long> c = chans[p];
            long first = (long)p * per;
            Go.Run(async () =>
            {
                for (long i = 0; i < per; i++)
                {
                    await c.SendAsync(first + i);
                }
            });
        }

        long sum = 0;
        (Chan<long> c0, Chan<long> c1, Chan<long> c2, Chan<long> c3) = (chans[0], chans[1], chans[2], chans[3]);
        var select = new Select();
        for (long got = 0; got < total; got++)
        {
            await select.Receive(c0).Receive(c1).Receive(c2).Receive(c3).WaitAsync();
            sum += select.Received<long>(); // every case receives a long
        }

        Report(Stopwatch.GetElapsedTime(start), total, sum);
    });

    private static void OnDotNet(int n)
    {
        int per = n / Producers;
        long total = (long)per * Producers;
        Channel<long>[] chans = [Channel.CreateBounded<long>(0), Channel.CreateBounded<long>(0), Channel.CreateBounded<long>(0), Channel.CreateBounded<long>(0)];
        long start = Stopwatch.GetTimestamp();
        for (int p = 0; p < Producers; p++)
        {
            ChannelWriter<long> writer = chans[p].Writer;
            long first = (long)p * per;
            Task.Run(async () =>
            {
                for (long i = 0; i < per; i++)
                {
                    await writer.WriteAsync(first + i);
                }
            });
        }

        long sum = ConsumeAsync([chans[0].Reader, chans[1].Reader, chans[2].Reader, chans[3].Reader], total).GetAwaiter().GetResult();
        Report(Stopwatch.GetElapsedTime(start), total, sum);
    }

    private static async Task<long> ConsumeAsync(ChannelReader<long>[] readers, long total)
    {
        var waits = new Task<bool>[readers.Length];
        long sum = 0;
        int next = 0;
        long got = 0;
        while (got < total)
        {
            bool received = false;
            for (int k = 0; k < readers.Length; k++)
            {
                int r = (next + k) % readers.Length;
                if (readers[r].TryRead(out long v))
                {
                    sum += v;
                    got++;
                    next = (r + 1) % readers.Length;
                    received = true;
                    break;
                }
            }

            if (!received)
            {
                for (int r = 0; r < readers.Length; r++)
                {
                    waits[r] = readers[r].WaitToReadAsync().AsTask();
                }

                await Task.WhenAny(waits);
            }
        }

        return sum;
    }

    private static void Report(TimeSpan elapsed, long total, long sum)
    {
        long want = total * (total - 1) / 2;
        if (sum != want)
        {
            throw new InvalidOperationException($"select: sum {sum} want {want}");
        }

        Figures.Emit("select.ns_per_item", Figures.NanosecondsPer(elapsed, total), "ns");
    }
}
