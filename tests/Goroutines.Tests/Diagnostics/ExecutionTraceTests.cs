// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Diagnostics;
using Goroutines.Tests.TestSupport;

using Xunit;

using static Goroutines.Tests.TestSupport.ChromeTrace;

namespace Goroutines.Tests.Diagnostics;

public sealed class ExecutionTraceTests : RuntimeTest
{
    private const int Rounds = 100;

    private static readonly string[] ChannelWaitReasons = ["chan send", "chan receive"];

    [Fact]
    public async Task WriteTo_PingPongOnTwoProcessors_RecordsStepsReadiesAndNamedTracks()
    {
        Settings.SetMaxProcs(2);
        using ExecutionTrace trace = ExecutionTrace.Start();
        (long pinger, long ponger) = await PingPongAsync(Rounds);
        trace.Stop();

        using JsonDocument json = Write(trace);
        List<JsonElement> events = [.. json.RootElement.GetProperty("traceEvents").EnumerateArray()];

        // Each round is two rendezvous on unbuffered channels, and whoever arrives first parks,
        // which ends its step: at least two steps a round, each on its P's and its M's track.
        long[] ids = [pinger, ponger];
        List<JsonElement> steps = [.. events.Where(e => Phase(e) == "X" && ids.Contains(e.GetProperty("args").GetProperty("goroutine").GetInt64()))];
        Assert.True(steps.Count(e => Pid(e) == 1) >= 2 * Rounds, $"{steps.Count(e => Pid(e) == 1)} steps on processor tracks, expected at least {2 * Rounds}.");
        Assert.Equal(steps.Count(e => Pid(e) == 1), steps.Count(e => Pid(e) == 2));
        Assert.All(steps, e => Assert.True(e.GetProperty("dur").GetDouble() >= 0, "negative duration"));
        Assert.All(steps, e => Assert.Matches("^G(" + pinger + "|" + ponger + ") Start$", e.GetProperty("name").GetString()));
        Assert.All(ids, id => Assert.Contains(steps, e => e.GetProperty("args").GetProperty("goroutine").GetInt64() == id));
        List<JsonElement> parked = [.. steps.Where(e => e.GetProperty("args").GetProperty("outcome").GetString() == "parked")];
        Assert.NotEmpty(parked);
        Assert.All(parked, e => Assert.Contains(e.GetProperty("args").GetProperty("waitReason").GetString(), ChannelWaitReasons));
        Assert.Contains(events, e => Phase(e) == "i" && e.GetProperty("name").GetString() == "ready"
            && ids.Contains(e.GetProperty("args").GetProperty("goroutine").GetInt64()));

        // Every track an event lands on is named, and its timestamps never go back.
        var named = events.Where(e => Phase(e) == "M" && e.GetProperty("name").GetString() == "thread_name")
            .Select(e => (Pid(e), Tid(e))).ToHashSet();
        Assert.Contains(events, e => Phase(e) == "M" && e.GetProperty("name").GetString() == "process_name" && e.GetProperty("args").GetProperty("name").GetString() == "processors");
        Assert.Contains(events, e => Phase(e) == "M" && e.GetProperty("name").GetString() == "process_name" && e.GetProperty("args").GetProperty("name").GetString() == "machines");
        foreach (IGrouping<(int, int), JsonElement> track in events.Where(e => Phase(e) != "M").GroupBy(e => (Pid(e), Tid(e))))
        {
            Assert.Contains(track.Key, named);
            double[] timestamps = [.. track.Select(e => e.GetProperty("ts").GetDouble())];
            Assert.All(timestamps, ts => Assert.True(ts >= 0, "timestamp before the trace started"));
            for (int i = 1; i < timestamps.Length; i++)
            {
                Assert.True(timestamps[i] >= timestamps[i - 1], $"Track {track.Key}: {timestamps[i]} after {timestamps[i - 1]}.");
            }
        }

        Assert.Equal(0, json.RootElement.GetProperty("otherData").GetProperty("droppedEvents").GetInt64());
        Assert.Equal(trace.EventCount, json.RootElement.GetProperty("otherData").GetProperty("recordedEvents").GetInt32());
    }

    [Fact]
    public async Task WriteTo_HogOnOnlyProcessorWithGoroutineQueued_RecordsHandoff()
    {
        Settings.SetMaxProcs(1);
        using ExecutionTrace trace = ExecutionTrace.Start();
        bool stop = false;
        using var spinning = new ManualResetEventSlim();

        // No await: only sysmon's hand-off lets the queued goroutine run (SystemMonitorTests).
        Task hog = GoTest.Start(() =>
        {
            spinning.Set();
            GoTest.SpinUntil(() => Volatile.Read(ref stop), "the queued goroutine to run");
            return Task.CompletedTask;
        });
        GoTest.WaitFor(spinning, "the hog to start");
        Task queued = GoTest.Start(() =>
        {
            Volatile.Write(ref stop, true);
            return Task.CompletedTask;
        });
        await queued.Within(what: "the goroutine queued behind the hog");
        await hog.Within(what: "the hog");
        trace.Stop();

        using JsonDocument json = Write(trace);
        Assert.Contains(
            json.RootElement.GetProperty("traceEvents").EnumerateArray(),
            e => Phase(e) == "i" && e.GetProperty("name").GetString() == "handoff"
                && e.GetProperty("args").GetProperty("processor").GetInt32() == 0);
    }

    [Fact]
    public void Start_TraceAlreadyRunning_ThrowsInvalidOperation()
    {
        using ExecutionTrace first = ExecutionTrace.Start();

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => ExecutionTrace.Start());

        Assert.Contains("already running", error.Message, StringComparison.Ordinal);
        Assert.True(first.IsRunning);
    }

    [Fact]
    public void Start_AfterPreviousTraceStopped_Starts()
    {
        ExecutionTrace.Start().Dispose();

        using ExecutionTrace second = ExecutionTrace.Start();

        Assert.True(second.IsRunning);
    }

    [Fact]
    public async Task Stop_WorkloadRunsAfterwards_RecordsNothing()
    {
        Settings.SetMaxProcs(2);
        ExecutionTrace trace = ExecutionTrace.Start();
        trace.Stop();

        (long pinger, long ponger) = await PingPongAsync(Rounds);

        Assert.Null(TraceRecorder.Active);
        Assert.False(trace.IsRunning);
        using JsonDocument json = Write(trace);
        Assert.DoesNotContain(
            json.RootElement.GetProperty("traceEvents").EnumerateArray(),
            e => e.TryGetProperty("args", out JsonElement args) && args.TryGetProperty("goroutine", out JsonElement g) && (g.GetInt64() == pinger || g.GetInt64() == ponger));
    }

    [Fact]
    public async Task WriteTo_MoreEventsThanTheCap_CountsDroppedEvents()
    {
        Settings.SetMaxProcs(1);

        // A cap of 1 gives each buffer its floor of 1,024 events; 2,000 rounds make about 8,000.
        using ExecutionTrace trace = ExecutionTrace.Start(maxEvents: 1);
        await PingPongAsync(2_000);
        trace.Stop();

        using JsonDocument json = Write(trace);
        Assert.True(trace.DroppedEvents > 0, "nothing was dropped");
        Assert.Equal(trace.DroppedEvents, json.RootElement.GetProperty("otherData").GetProperty("droppedEvents").GetInt64());
        Assert.True(trace.EventCount <= 2 * 1024, $"{trace.EventCount} events kept");
    }

    [Fact]
    public void Start_MaxEventsNotPositive_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ExecutionTrace.Start(0));
    }

    private static JsonDocument Write(ExecutionTrace trace) => ChromeTrace.Parse(trace.WriteTo);
}
