// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Runtime;
using System.Threading;

namespace Goroutines.Workloads.Support;

/// <summary>
/// Printing figures as the Go reference programs do (<c>name value unit</c>, one per line) and
/// the measurements they share: RSS from /proc/self/status, CPU time, percentiles.
/// </summary>
internal static class Figures
{
    /// <summary>While true (the warm-up pass), figures are not printed.</summary>
    public static bool Quiet { get; set; }

    /// <summary>Prints a figure with one decimal, as Go's <c>emit</c>.</summary>
    public static void Emit(string name, double value, string unit)
    {
        if (!Quiet)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name} {value:F1} {unit}"));
        }
    }

    /// <summary>Prints an integer figure, as Go's <c>emitInt</c>.</summary>
    public static void EmitInt(string name, long value, string unit)
    {
        if (!Quiet)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name} {value} {unit}"));
        }
    }

    /// <summary>
    /// The warm-up: runs the reduced <paramref name="pass"/> with figures suppressed, when enabled,
    /// again and again until the JIT is quiet: at least <see cref="WarmupTime"/> has passed and the
    /// passes of the last <see cref="WarmupQuietTime"/> compiled no method (a tier-up is a
    /// compilation too). It stops after <see cref="WarmupLimit"/> even if the JIT never settles.
    /// </summary>
    /// <remarks>
    /// The Go reference runs its reduced pass once: Go compiles ahead of time. .NET's tiered JIT
    /// first runs unoptimized code, then instrumented code, and optimizes a method only after it
    /// was called 30 times in each tier and 100 ms passed without new methods being compiled, in
    /// bursts a few hundred milliseconds apart. A fixed time is too short for workloads whose
    /// passes are slow: after one second of W13's passes (each opens, echoes and closes
    /// connections) the JIT went on tiering up for three more, and the measured pass ran partly in
    /// the instrumented tier, a third slower. The same rule applies to both .NET runtimes measured
    /// here; the first call is W14's subject, not these workloads'.
    /// </remarks>
    public static void Warmup(bool enabled, Action pass)
    {
        if (!enabled)
        {
            return;
        }

        Quiet = true;
        long start = Stopwatch.GetTimestamp();
        long lastCompilation = start;
        while (true)
        {
            long methods = JitInfo.GetCompiledMethodCount();
            pass();
            if (JitInfo.GetCompiledMethodCount() != methods)
            {
                lastCompilation = Stopwatch.GetTimestamp();
            }

            TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
            bool settled = elapsed >= WarmupTime && Stopwatch.GetElapsedTime(lastCompilation) >= WarmupQuietTime;
            if (settled || elapsed >= WarmupLimit)
            {
                break;
            }
        }

        Quiet = false;
    }

    /// <summary>The shortest warm-up: 1 s, to cover tiered compilation's delays with margin.</summary>
    public static TimeSpan WarmupTime { get; } = TimeSpan.FromSeconds(1);

    /// <summary>How long the JIT must have compiled nothing for the warm-up to end: 0.5 s, twice the longest gap seen between its bursts.</summary>
    public static TimeSpan WarmupQuietTime { get; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest warm-up: 15 s, after which the measured pass runs whatever the JIT is doing.</summary>
    public static TimeSpan WarmupLimit { get; } = TimeSpan.FromSeconds(15);

    /// <summary>Nanoseconds per operation.</summary>
    public static double NanosecondsPer(TimeSpan elapsed, long operations) => elapsed.TotalNanoseconds / operations;

    /// <summary>A field of /proc/self/status in KiB (VmRSS, VmHWM), after a full collection where asked.</summary>
    public static long ProcStatusKiB(string field)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"field {field} not found in /proc/self/status");
    }

    /// <summary>Forces a full, compacting collection, as Go's <c>runtime.GC()</c> before reading RSS.</summary>
    public static void FullCollect()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    /// <summary>User plus system CPU time of the process so far.</summary>
    public static TimeSpan CpuTime() => Process.GetCurrentProcess().TotalProcessorTime;

    /// <summary>Nearest-rank percentile of an ascending-sorted array, as the Go reference computes it.</summary>
    public static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return 0;
        }

        int rank = (int)((p / 100 * sorted.Length) + 0.999999) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}

/// <summary>
/// Counts down completions and signals once when the last one arrives: the workloads' stand-in
/// for a WaitGroup whose Add happens up front. Awaiting it suspends the waiter without a thread.
/// </summary>
internal sealed class Countdown(int count)
{
    private readonly System.Threading.Tasks.TaskCompletionSource _done = new(System.Threading.Tasks.TaskCreationOptions.RunContinuationsAsynchronously);
    private int _remaining = count;

    /// <summary>Completes when <see cref="Signal"/> has been called <c>count</c> times.</summary>
    public System.Threading.Tasks.Task Task => _done.Task;

    /// <summary>One completion.</summary>
    public void Signal()
    {
        if (Interlocked.Decrement(ref _remaining) == 0)
        {
            _done.SetResult();
        }
    }
}
