// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Diagnostics;
using Goroutines.Scheduling;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Diagnostics;

public sealed class SchedulerTraceTests : RuntimeTest
{
    // Go's schedtrace summary line, with GOMAXPROCS 2: two local queue lengths in the brackets.
    private const string SummaryTwoProcessors =
        @"^SCHED (?<ms>\d+)ms: gomaxprocs=2 idleprocs=[0-2] threads=(?<threads>\d+) spinningthreads=\d+ needspinning=0 idlethreads=\d+ runqueue=\d+ \[\d+ \d+\]\n$";

    [Fact]
    public void WriteSchedulerTrace_TwoProcessors_WritesGoSummaryLine()
    {
        Settings.SetMaxProcs(2);
        using var writer = new StringWriter(CultureInfo.InvariantCulture);

        Go.WriteSchedulerTrace(writer);

        Match line = Regex.Match(writer.ToString(), SummaryTwoProcessors);
        Assert.True(line.Success, writer.ToString());
        Assert.True(int.Parse(line.Groups["threads"].Value, CultureInfo.InvariantCulture) >= 1, "sysmon is a thread");
    }

    [Fact]
    public async Task WriteSchedulerTrace_Detailed_ListsProcessorsMachinesAndTheRunningGoroutine()
    {
        Settings.SetMaxProcs(2);
        bool release = false;
        Spawned running = await Spawned.StartAsync(() =>
        {
            GoTest.SpinUntil(() => Volatile.Read(ref release), "the trace to be written");
            return Task.CompletedTask;
        });

        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        try
        {
            Go.WriteSchedulerTrace(writer, detailed: true);
        }
        finally
        {
            Volatile.Write(ref release, true);
        }

        await running.Completion.Within(what: "the spinning goroutine");
        string trace = writer.ToString();
        Assert.Matches(@"^SCHED \d+ms: gomaxprocs=2 idleprocs=[0-2] threads=\d+ spinningthreads=\d+ needspinning=0 idlethreads=\d+ runqueue=\d+ gcwaiting=false nmidlelocked=0 stopwait=0 sysmonwait=false\n", trace);
        Assert.Matches(@"\n  P0: status=[0-2] schedtick=\d+ syscalltick=\d+ m=(\d+|nil) runqsize=\d+ gfreecnt=0 timerslen=\d+\n", trace);
        Assert.Matches(@"\n  P1: status=[0-2] schedtick=\d+ syscalltick=\d+ m=(\d+|nil) runqsize=\d+ gfreecnt=0 timerslen=\d+\n", trace);
        Assert.Matches(@"\n  M0: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=false lockedg=nil\n", trace);

        Match machine = Regex.Match(trace, $@"\n  M(?<m>\d+): p=\d+ curg={running.Id} mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=false lockedg=nil\n");
        Assert.True(machine.Success, trace);
        Assert.Contains($"\n  G{running.Id}: status=2() m={machine.Groups["m"].Value} lockedm=nil\n", trace, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteSchedulerTrace_Detailed_ListsEveryGoroutineWithItsWaitReason()
    {
        var channel = new Goroutines.Channels.Chan<int>();
        Spawned parked = await Spawned.ParkedAsync(async () => await channel.ReceiveAsync(), WaitReason.ChanReceive);
        using var writer = new StringWriter(CultureInfo.InvariantCulture);

        Go.WriteSchedulerTrace(writer, detailed: true);

        Assert.Contains($"\n  G{parked.Id}: status=4(chan receive) m=nil lockedm=nil\n", writer.ToString(), StringComparison.Ordinal);
        channel.Close();
        await parked.Completion.Within();
    }

    [Fact]
    public void WriteSchedulerTrace_DetailedDuringALeakPass_DoesNotWaitAndSaysTheGoroutinesAreLeftOut()
    {
        // The system monitor writes these snapshots; a leak pass holds the registry across a
        // collection, and the monitor must not wait for it.
        string snapshot = string.Empty;
        var writing = new Thread(() =>
        {
            using var writer = new StringWriter(CultureInfo.InvariantCulture);
            Go.WriteSchedulerTrace(writer, detailed: true);
            snapshot = writer.ToString();
        });
        using (LeakDetector.PassLock.EnterScope())
        {
            writing.Start();
            Assert.True(writing.Join(TestTimeouts.Default), "The snapshot waited for the leak pass.");
        }

        Assert.EndsWith(SchedulerTrace.GoroutinesOmittedLine, snapshot, StringComparison.Ordinal);
        Assert.DoesNotContain("\n  G", snapshot, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SchedTrace_Enabled_SysmonWritesSnapshotsInOrder()
    {
        Settings.SetMaxProcs(2);
        using var capture = new CapturingWriter();
        Scheduler.Instance.SetSchedTrace(new SchedTraceOptions(TimeSpan.FromMilliseconds(1), detailed: false, capture));
        try
        {
            await capture.WaitForEntriesAsync(3).Within(what: "three trace snapshots");
        }
        finally
        {
            Scheduler.Instance.SetSchedTrace(null);
        }

        IReadOnlyList<string> snapshots = capture.Entries;
        long previous = -1;
        for (int i = 0; i < 3; i++)
        {
            Match line = Regex.Match(snapshots[i], SummaryTwoProcessors);
            Assert.True(line.Success, snapshots[i]);
            long ms = long.Parse(line.Groups["ms"].Value, CultureInfo.InvariantCulture);
            Assert.True(ms >= previous, $"snapshot {i} at {ms} ms after one at {previous} ms");
            previous = ms;
        }
    }

    [Fact]
    public async Task SchedTrace_Detailed_SysmonWritesProcessorLines()
    {
        Settings.SetMaxProcs(2);
        using var capture = new CapturingWriter();
        Scheduler.Instance.SetSchedTrace(new SchedTraceOptions(TimeSpan.FromMilliseconds(1), detailed: true, capture));
        try
        {
            await capture.WaitForEntriesAsync(1).Within(what: "a detailed trace snapshot");
        }
        finally
        {
            Scheduler.Instance.SetSchedTrace(null);
        }

        string snapshot = capture.Entries[0];
        Assert.Contains(" sysmonwait=false\n  P0: status=", snapshot, StringComparison.Ordinal);
        Assert.Contains("\n  P1: status=", snapshot, StringComparison.Ordinal);
        Assert.Contains("\n  M0: p=nil curg=nil", snapshot, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SchedTrace_GodebugEnvironmentVariable_SysmonWritesToStandardError()
    {
        ScenarioOutcome outcome = await ScenarioProcess.RunForOutcomeAsync(
            Scenarios.CaptureFirstSchedTrace,
            new Dictionary<string, string> { ["GODEBUG"] = "gctrace=0,schedtrace=5", ["GOMAXPROCS"] = "3" });

        Assert.False(outcome.TimedOut);
        Assert.Equal(0, outcome.ExitCode);
        Assert.Matches(@"^SCHED \d+ms: gomaxprocs=3 idleprocs=[0-3] threads=\d+ spinningthreads=\d+ needspinning=0 idlethreads=\d+ runqueue=\d+ \[\d+ \d+ \d+\]\n$", outcome.StandardOutput);
    }

    /// <summary>The child processes' bodies (see <see cref="ScenarioProcess"/>).</summary>
    public static class Scenarios
    {
        /// <summary>
        /// Redirects stderr before the runtime starts (the trace writes to the stderr of that
        /// moment), starts it, waits for sysmon's first snapshot and prints it on stdout.
        /// </summary>
        public static string CaptureFirstSchedTrace()
        {
            using var capture = new CapturingWriter();
            Console.SetError(capture);
            _ = Go.MaxProcs;
            if (!capture.WaitForEntriesAsync(1).Wait(TestTimeouts.Default))
            {
                return "no trace snapshot on stderr";
            }

            Console.Out.Write(capture.Entries[0]);
            return string.Empty;
        }
    }
}
