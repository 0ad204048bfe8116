// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Threading.Channels;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Workloads.Support;

namespace Goroutines.Workloads.Workloads;

/// <summary>
/// W6 skynet: a div-ary tree of goroutines with N leaves; each leaf sends its number up on an
/// unbuffered channel, each parent sums its children and sends the sum up. Figures: ms, and the
/// sum (must be N(N-1)/2, else the run fails). Flags: -n (a power of -div), -div, -warmup.
/// </summary>
/// <remarks>
/// <para>
/// On this runtime, every node is a goroutine started as Go's <c>go skynet(rc, sub, size/div, div)</c>,
/// with its arguments (<see cref="Go.Run{T1, T2, T3, T4}(Func{T1, T2, T3, T4, Task}, T1, T2, T3, T4, string, string, int)"/>),
/// sending on its parent's unbuffered <see cref="Chan{T}"/> and receiving its children's sums on one
/// of its own, as the Go reference.
/// </para>
/// <para>
/// On plain .NET, every node is a <see cref="Task.Run(Func{Task})"/> async lambda and every
/// channel a rendezvous channel (<c>Channel.CreateBounded(0)</c>, Go's unbuffered channel):
/// a node awaits <see cref="ChannelWriter{T}.WriteAsync"/> on its parent's and
/// <see cref="ChannelReader{T}.ReadAsync"/> div times on its own.
/// </para>
/// <para>
/// The warm-up's size is the Go reference's N/100 rounded down to a power of div, so that its
/// sum checks for any -div; with the default -div 10 and N a power of 10 it is the same size.
/// </para>
/// </remarks>
internal static class SkynetWorkload
{
    public static void Run(WorkloadArguments args)
    {
        int n = args.Int("n", 1_000_000);
        int div = args.Int("div", 10);
        bool warmup = args.Bool("warmup", true);
        args.RejectUnknown();
        if (n < 1 || div < 2)
        {
            throw new ArgumentException("-n must be at least 1 and -div at least 2");
        }

        Action<int, int> pass = args.Runtime == RuntimeKind.Goroutines ? OnGoroutines : OnDotNet;
        Figures.Warmup(warmup, () => pass(PowerAtMost(Math.Max(n / 100, 1), div), div));
        pass(n, div);
    }

    // The largest power of div not above limit (1 at least).
    private static int PowerAtMost(int limit, int div)
    {
        int size = 1;
        while (size <= limit / div)
        {
            size *= div;
        }

        return size;
    }

    private static void OnGoroutines(int n, int div) => Go.Main(async () =>
    {
        var c = new Chan<long>();
        long start = Stopwatch.GetTimestamp();
        Go.Run(SkynetAsync, c.ToSendOnly(), 0L, (long)n, (long)div);
        long sum = await c.ReceiveAsync();
        Report(Stopwatch.GetElapsedTime(start), n, sum);
    });

    private static async Task SkynetAsync(SendOnlyChan<long> c, long num, long size, long div)
    {
        if (size == 1)
        {
            await c.SendAsync(num);
            return;
        }

        var rc = new Chan<long>();
        long sum = 0;
        for (long i = 0; i < div; i++)
        {
            long sub = num + (i * (size / div));
            Go.Run(SkynetAsync, rc.ToSendOnly(), sub, size / div, div);
        }

        for (long i = 0; i < div; i++)
        {
            sum += await rc.ReceiveAsync();
        }

        await c.SendAsync(sum);
    }

    private static void OnDotNet(int n, int div)
    {
        var c = Channel.CreateBounded<long>(0);
        long start = Stopwatch.GetTimestamp();
        Task.Run(() => SkynetAsync(c.Writer, 0, n, div));
        long sum = c.Reader.ReadAsync().AsTask().GetAwaiter().GetResult();
        Report(Stopwatch.GetElapsedTime(start), n, sum);
    }

    private static async Task SkynetAsync(ChannelWriter<long> c, long num, long size, long div)
    {
        if (size == 1)
        {
            await c.WriteAsync(num);
            return;
        }

        var rc = Channel.CreateBounded<long>(0);
        long sum = 0;
        for (long i = 0; i < div; i++)
        {
            long sub = num + (i * (size / div));
            _ = Task.Run(() => SkynetAsync(rc.Writer, sub, size / div, div));
        }

        for (long i = 0; i < div; i++)
        {
            sum += await rc.Reader.ReadAsync();
        }

        await c.WriteAsync(sum);
    }

    private static void Report(TimeSpan elapsed, long n, long sum)
    {
        long want = n * (n - 1) / 2;
        if (sum != want)
        {
            throw new InvalidOperationException($"skynet: sum {sum} want {want} (is -n a power of -div?)");
        }

        Figures.Emit("skynet.ms", elapsed.TotalMilliseconds, "ms");
        Figures.EmitInt("skynet.sum", sum, "-");
    }
}
