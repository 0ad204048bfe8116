// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Workloads.Support;

namespace Goroutines.Workloads.Workloads;

/// <summary>
/// W3 pingpong: two goroutines bounce a value over two unbuffered channels, N round trips; run
/// once per GOMAXPROCS value of -procs (default <c>1,all</c>, all = the CPU count). Figure: ns per
/// round trip, named <c>pingpong.procs1</c> or <c>pingpong.procsall{P}</c>. Flags: -n, -procs, -warmup.
/// </summary>
/// <remarks>
/// <para>
/// On this runtime, each -procs value is set with <see cref="Go.SetMaxProcs"/> for its pass and
/// restored after; the main goroutine sends on <c>ping</c> and receives on <c>pong</c>, an echo
/// goroutine does the reverse and closes <c>done</c> when it is through, as the Go reference.
/// </para>
/// <para>
/// On plain .NET, the two channels are rendezvous channels (<c>Channel.CreateBounded(0)</c>, Go's
/// unbuffered channel), the echo side is a <see cref="Task.Run(Func{Task})"/> async lambda whose
/// task the main side awaits in place of <c>done</c>. The thread pool has no GOMAXPROCS: it cannot
/// be held to one thread (<see cref="System.Threading.ThreadPool.SetMaxThreads"/> refuses fewer
/// threads than CPUs), so every -procs value runs the same unrestricted pass, under the same
/// label as on the other runtimes.
/// </para>
/// </remarks>
internal static class PingpongWorkload
{
    public static void Run(WorkloadArguments args)
    {
        int n = args.Int("n", 1_000_000);
        string procs = args.String("procs", "1,all");
        bool warmup = args.Bool("warmup", true);
        args.RejectUnknown();
        bool onGoroutines = args.Runtime == RuntimeKind.Goroutines;
        foreach (string p in procs.Split(','))
        {
            int np = onGoroutines ? Go.NumCPU : Environment.ProcessorCount;
            if (p != "all")
            {
                if (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out np) || np < 1)
                {
                    throw new ArgumentException($"bad -procs value '{p}'");
                }
            }

            string label = p == "all" ? string.Create(CultureInfo.InvariantCulture, $"procsall{np}") : "procs" + p;
            if (onGoroutines)
            {
                int old = Go.SetMaxProcs(np);
                Figures.Warmup(warmup, () => OnGoroutines(Math.Max(n / 100, 1), label));
                OnGoroutines(n, label);
                Go.SetMaxProcs(old);
            }
            else
            {
                Figures.Warmup(warmup, () => OnDotNet(Math.Max(n / 100, 1), label).GetAwaiter().GetResult());
                OnDotNet(n, label).GetAwaiter().GetResult();
            }
        }
    }

    private static void OnGoroutines(int n, string label) => Go.Main(async () =>
    {
        var ping = new Chan<int>();
        var pong = new Chan<int>();
        var done = new Chan<bool>();
        Go.Run(async () =>
        {
            for (int i = 0; i < n; i++)
            {
                int v = await ping.ReceiveAsync();
                await pong.SendAsync(v + 1);
            }

            done.Close();
        });

        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < n; i++)
        {
            await ping.SendAsync(i);
            int v = await pong.ReceiveAsync();
            Check(v, i);
        }

        await done.ReceiveAsync();
        Report(Stopwatch.GetElapsedTime(start), n, label);
    });

    private static async Task OnDotNet(int n, string label)
    {
        var ping = Channel.CreateBounded<int>(0);
        var pong = Channel.CreateBounded<int>(0);
        Task echo = Task.Run(async () =>
        {
            for (int i = 0; i < n; i++)
            {
                int v = await ping.Reader.ReadAsync();
                await pong.Writer.WriteAsync(v + 1);
            }
        });

        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < n; i++)
        {
            await ping.Writer.WriteAsync(i);
            int v = await pong.Reader.ReadAsync();
            Check(v, i);
        }

        await echo;
        Report(Stopwatch.GetElapsedTime(start), n, label);
    }

    private static void Check(int v, int i)
    {
        if (v != i + 1)
        {
            throw new InvalidOperationException($"pingpong: got {v} want {i + 1}");
        }
    }

    private static void Report(TimeSpan elapsed, int n, string label) =>
        Figures.Emit("pingpong." + label + ".ns_per_roundtrip", Figures.NanosecondsPer(elapsed, n), "ns");
}
