// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Diagnostics;
using Goroutines.Workloads.Support;

namespace Goroutines.Workloads.Workloads;

/// <summary>
/// Diagnostics at scale (the figures of the diagnostics issue; not one of W1–W12): park N
/// goroutines two async frames deep on one channel, then time a goroutine dump's capture, its
/// full text (Go's debug=2), its grouped text (debug=1), and one pass of the leak finder, which
/// forces a full collection. Figures in ms. Flags: -n, -warmup.
/// </summary>
/// <remarks>
/// Goroutines only: plain .NET has no live dump of its tasks (SOS's dumpasync reads a
/// memory dump). The Go counterpart is <c>pprof.Lookup("goroutine").WriteTo(w, 2)</c>.
/// </remarks>
internal static class DumpWorkload
{
    public static void Run(WorkloadArguments args)
    {
        int n = args.Int("n", 100_000);
        bool warmup = args.Bool("warmup", true);
        args.RejectUnknown();
        if (args.Runtime != RuntimeKind.Goroutines)
        {
            throw new ArgumentException("dump measures this runtime's goroutine dump; plain .NET has no live dump of its tasks");
        }

        Go.Main(async () =>
        {
            var channel = new Chan<int>();
            var parked = new Sync.WaitGroup();
            for (int i = 0; i < n; i++)
            {
                parked.Add(1);
                Go.Run(() => OuterAsync(channel, parked));
            }

            await parked.WaitAsync();
            await Task.Run(() => Measure(n, warmup)); // off the processors: the leak pass blocks its thread
            channel.Close();
        });
    }

    private static void Measure(int n, bool warmup)
    {
        if (warmup)
        {
            // Every measured step once, so that none of them is timed with its JIT compilation.
            GoroutineDump first = GoroutineDump.Capture();
            first.WriteTo(TextWriter.Null);
            first.WriteTo(TextWriter.Null, GoroutineDumpFormat.Grouped);
            _ = GoroutineLeaks.FindLeaked();
        }

        long start = Stopwatch.GetTimestamp();
        GoroutineDump dump = GoroutineDump.Capture();
        TimeSpan capture = Stopwatch.GetElapsedTime(start);
        if (dump.Goroutines.Count < n)
        {
            throw new InvalidOperationException($"dump: {dump.Goroutines.Count} goroutines, expected at least {n}");
        }

        start = Stopwatch.GetTimestamp();
        var full = new StringWriter();
        dump.WriteTo(full);
        TimeSpan fullText = Stopwatch.GetElapsedTime(start);

        start = Stopwatch.GetTimestamp();
        var grouped = new StringWriter();
        dump.WriteTo(grouped, GoroutineDumpFormat.Grouped);
        TimeSpan groupedText = Stopwatch.GetElapsedTime(start);

        start = Stopwatch.GetTimestamp();
        int leaked = GoroutineLeaks.FindLeaked().Count;
        TimeSpan leakPass = Stopwatch.GetElapsedTime(start);
        if (leaked != 0)
        {
            throw new InvalidOperationException($"dump: the leak finder reported {leaked} goroutines the channel can still wake");
        }

        Figures.Emit("dump.capture", capture.TotalMilliseconds, "ms");
        Figures.Emit("dump.full_text", fullText.TotalMilliseconds, "ms");
        Figures.Emit("dump.total", (capture + fullText).TotalMilliseconds, "ms");
        Figures.Emit("dump.grouped_text", groupedText.TotalMilliseconds, "ms");
        Figures.Emit("dump.leak_pass", leakPass.TotalMilliseconds, "ms");
    }

    private static async Task OuterAsync(Chan<int> channel, Sync.WaitGroup parked) => await InnerAsync(channel, parked);

    private static async Task InnerAsync(Chan<int> channel, Sync.WaitGroup parked)
    {
        parked.Done();
        await channel.ReceiveWithOkAsync();
    }
}
