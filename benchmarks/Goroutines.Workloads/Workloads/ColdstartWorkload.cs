// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Sync;
using Goroutines.Workloads.Support;

namespace Goroutines.Workloads.Workloads;

/// <summary>
/// W14 coldstart: what a fresh process pays for its first concurrent work, with no warm-up.
/// Starts G goroutines that each add 1 to a counter, runs N round trips between two goroutines
/// over unbuffered channels, then N selects over two channels fed by two producers, and exits.
/// Figure: <c>coldstart.ms_in_process</c>, from the workload's first line; the figure that
/// matters is the whole process's wall time, measured from outside over many starts
/// (<c>benchmarks/coldstart.sh</c>). Flags: -g, -n.
/// </summary>
/// <remarks>
/// On plain .NET: <see cref="Task.Run(Action)"/> per goroutine and a <see cref="CountdownEvent"/>
/// for the WaitGroup; rendezvous channels (<c>Channel.CreateBounded(0)</c>); the select is a poll
/// of both readers, then <see cref="Task.WhenAny(Task[])"/> over their <c>WaitToReadAsync</c>.
/// </remarks>
internal static class ColdstartWorkload
{
    public static void Run(WorkloadArguments args)
    {
        int g = args.Int("g", 1_000);
        int n = args.Int("n", 1_000);
        args.RejectUnknown();
        long start = Stopwatch.GetTimestamp();
        long count = args.Runtime == RuntimeKind.Goroutines ? OnGoroutines(g, n) : OnDotNetAsync(g, n).GetAwaiter().GetResult();
        if (count != g)
        {
            throw new InvalidOperationException($"coldstart: {count} of {g} goroutines ran");
        }

        Figures.Emit("coldstart.ms_in_process", Stopwatch.GetElapsedTime(start).TotalMilliseconds, "ms");
    }

    private static long OnGoroutines(int g, int n)
    {
        long count = 0;
        Go.Main(async () =>
        {
            var wg = new WaitGroup();
            wg.Add(g);
            for (int i = 0; i < g; i++)
            {
                Go.Run(() =>
                {
                    Interlocked.Increment(ref count);
                    wg.Done();
                });
            }

            await wg.WaitAsync();

            var ping = new Chan<int>();
            var pong = new Chan<int>();
            Go.Run(async () =>
            {
                await foreach (int v in ping)
                {
                    await pong.SendAsync(v + 1);
                }

                pong.Close();
            });
            for (int i = 0; i < n; i++)
            {
                await ping.SendAsync(i);
                _ = await pong.ReceiveAsync();
            }

            ping.Close();

            var a = new Chan<int>();
            var b = new Chan<int>();
            foreach (Chan<int> c in (Chan<int>[])[a, b])
            {
                Go.Run(async (Chan<int> feed) =>
                {
                    for (int i = 0; i < n / 2; i++)
                    {
                        await feed.SendAsync(i);
                    }
                }, c);
            }

            var select = new Select();
            for (int got = 0; got < n / 2 * 2; got++)
            {
                await select.Receive(a).Receive(b).WaitAsync();
            }
        });
        return count;
    }

    private static async Task<long> OnDotNetAsync(int g, int n)
    {
        long count = 0;
        using (var wg = new CountdownEvent(g))
        {
            for (int i = 0; i < g; i++)
            {
                _ = Task.Run(() =>
                {
                    Interlocked.Increment(ref count);
                    wg.Signal();
                });
            }

            wg.Wait();
        }

        Channel<int> ping = Channel.CreateBounded<int>(0);
        Channel<int> pong = Channel.CreateBounded<int>(0);
        Task echo = Task.Run(async () =>
        {
            await foreach (int v in ping.Reader.ReadAllAsync())
            {
                await pong.Writer.WriteAsync(v + 1);
            }

            pong.Writer.Complete();
        });
        for (int i = 0; i < n; i++)
        {
            await ping.Writer.WriteAsync(i);
            _ = await pong.Reader.ReadAsync();
        }

        ping.Writer.Complete();
        await echo;

        ChannelReader<int>[] readers = [Feed(n / 2), Feed(n / 2)];
        var waits = new Task<bool>[readers.Length];
        for (int got = 0; got < n / 2 * 2;)
        {
            if (readers[0].TryRead(out _) || readers[1].TryRead(out _))
            {
                got++;
                continue;
            }

            for (int r = 0; r < readers.Length; r++)
            {
                waits[r] = readers[r].WaitToReadAsync().AsTask();
            }

            await Task.WhenAny(waits);
        }

        return count;
    }

    private static ChannelReader<int> Feed(int values)
    {
        Channel<int> channel = Channel.CreateBounded<int>(0);
        _ = Task.Run(async () =>
        {
            for (int i = 0; i < values; i++)
            {
                await channel.Writer.WriteAsync(i);
            }
        });
        return channel.Reader;
    }
}
