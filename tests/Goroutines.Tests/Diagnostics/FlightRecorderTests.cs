// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
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

public sealed class FlightRecorderTests : RuntimeTest
{
    [Fact]
    public async Task WriteTo_WhileGoroutinesRun_ValidJsonWithTheirRecentSteps()
    {
        Settings.SetMaxProcs(2);
        using FlightRecorder recorder = FlightRecorder.Start();
        var ping = new Chan<int>();
        var pong = new Chan<int>();
        var warmedUp = new Chan<bool>(1);
        bool stop = false;
        Task<long> ponger = GoTest.Start(async () =>
        {
            for (int value; (value = await ping.ReceiveAsync()) >= 0;)
            {
                await pong.SendAsync(value + 1);
            }

            return Go.CurrentGoroutineId;
        });
        Task<long> pinger = GoTest.Start(async () =>
        {
            for (int i = 0; !Volatile.Read(ref stop); i++)
            {
                await ping.SendAsync(i);
                await pong.ReceiveAsync();
                if (i == 100)
                {
                    await warmedUp.SendAsync(true);
                }
            }

            await ping.SendAsync(-1);
            return Go.CurrentGoroutineId;
        });

        await warmedUp.ReceiveAsync().AsTask().Within(what: "100 round trips");
        using JsonDocument json = Write(recorder); // the two goroutines are still bouncing
        Volatile.Write(ref stop, true);
        long[] ids = [await pinger.Within(what: "the pinger"), await ponger.Within(what: "the ponger")];

        List<JsonElement> events = Events(json);
        List<JsonElement> steps = [.. events.Where(e => Phase(e) == "X" && ids.Contains(Goroutine(e)))];
        // Whoever reaches a rendezvous first parks, which ends its step: two steps a round trip at least.
        Assert.True(steps.Count(e => Pid(e) == 1) >= 2 * 100, $"{steps.Count(e => Pid(e) == 1)} steps in the window, expected at least {2 * 100}.");
        Assert.All(ids, id => Assert.Contains(steps, e => Goroutine(e) == id));
        Assert.All(steps, e => Assert.True(e.GetProperty("dur").GetDouble() >= 0, "negative duration"));
        AssertTracksNamedAndMonotone(events);
        JsonElement other = json.RootElement.GetProperty("otherData");
        Assert.Equal("Goroutines flight recorder", other.GetProperty("producer").GetString());
        Assert.Equal(events.Count(e => Phase(e) != "M") - (events.Count(e => Phase(e) == "X") / 2), other.GetProperty("recordedEvents").GetInt32()); // a step shows on two tracks
        Assert.True(recorder.IsRunning);
    }

    [Fact]
    public async Task WriteTo_MoreEventsThanTheRingsHold_KeepsTheLatestAndDropsTheOldest()
    {
        Settings.SetMaxProcs(1);

        // The smallest budget gives every ring its floor of two chunks: 1,024 events each. 2,000
        // round trips on the one processor make about 8,000, so its ring wraps several times.
        using FlightRecorder recorder = FlightRecorder.Start(new FlightRecorderOptions { MaxBytes = FlightRecorderOptions.MinMaxBytes });
        long early = await RunToExitAsync("the early goroutine");
        await PingPongAsync(2_000);
        long late = await RunToExitAsync("the late goroutine");

        using JsonDocument json = Write(recorder);
        List<JsonElement> events = Events(json);
        Assert.Contains(events, e => Phase(e) == "X" && Goroutine(e) == late);
        Assert.DoesNotContain(events, e => e.TryGetProperty("args", out JsonElement args) && args.TryGetProperty("goroutine", out JsonElement g) && g.GetInt64() == early);
        JsonElement other = json.RootElement.GetProperty("otherData");
        Assert.True(other.GetProperty("overwrittenEvents").GetInt64() > 0, "the ring did not wrap");
        int recorded = other.GetProperty("recordedEvents").GetInt32();
        Assert.InRange(recorded, 1, recorder.Capacity);
        Assert.Equal(recorder.Capacity, other.GetProperty("capacityEvents").GetInt64());
        AssertTracksNamedAndMonotone(events);
    }

    [Fact]
    public async Task WriteTo_EventsOlderThanMinAge_LeftOutAndAStepAcrossTheStartClipped()
    {
        Settings.SetMaxProcs(2);
        using FlightRecorder recorder = FlightRecorder.Start(new FlightRecorderOptions { MinAge = TimeSpan.FromHours(1) });
        long before = await RunToExitAsync("the goroutine before the window");

        // A goroutine whose one step spans the window's start: it spins (no await) until released.
        using var running = new ManualResetEventSlim();
        bool release = false;
        Task<long> across = GoTest.Start(() =>
        {
            running.Set();
            GoTest.SpinUntil(() => Volatile.Read(ref release), "the window's start to be taken");
            return Task.FromResult(Go.CurrentGoroutineId);
        });
        GoTest.WaitFor(running, "the spanning goroutine to run");
        long windowStart = Stopwatch.GetTimestamp();
        Volatile.Write(ref release, true);
        long acrossId = await across.Within(what: "the spanning goroutine");
        AwaitExit(acrossId, "the spanning goroutine");
        long after = await RunToExitAsync("the goroutine in the window");

        // The snapshot's clock reads one MinAge after windowStart: the window begins exactly there.
        recorder.Recording.Clock = () => windowStart + (long)(TimeSpan.FromHours(1).TotalSeconds * Stopwatch.Frequency);
        using JsonDocument json = Write(recorder);

        List<JsonElement> events = Events(json);
        Assert.DoesNotContain(events, e => e.TryGetProperty("args", out JsonElement args) && args.TryGetProperty("goroutine", out JsonElement g) && g.GetInt64() == before);
        Assert.Contains(events, e => Phase(e) == "X" && Goroutine(e) == after);
        List<JsonElement> spanning = [.. events.Where(e => Phase(e) == "X" && Goroutine(e) == acrossId)];
        Assert.Contains(spanning, e => e.GetProperty("ts").GetDouble() == 0);
        Assert.All(spanning, e => Assert.True(e.GetProperty("dur").GetDouble() >= 0, "negative duration"));
        AssertTracksNamedAndMonotone(events);
    }

    [Fact]
    public async Task WriteTo_Twice_RecordingGoesOnAfterTheFirstSnapshot()
    {
        using FlightRecorder recorder = FlightRecorder.Start();
        long first = await RunToExitAsync("the first goroutine");
        using JsonDocument before = Write(recorder);
        long second = await RunToExitAsync("the second goroutine");

        using JsonDocument after = Write(recorder);

        Assert.Contains(Events(before), e => Phase(e) == "X" && Goroutine(e) == first);
        Assert.DoesNotContain(Events(before), e => Phase(e) == "X" && Goroutine(e) == second);
        Assert.Contains(Events(after), e => Phase(e) == "X" && Goroutine(e) == first);
        Assert.Contains(Events(after), e => Phase(e) == "X" && Goroutine(e) == second);
        Assert.True(recorder.IsRunning);
    }

    [Fact]
    public void Stop_ThenWriteTo_ThrowsSayingItStopped()
    {
        FlightRecorder recorder = FlightRecorder.Start();
        Assert.Same(recorder, FlightRecorder.Running);

        recorder.Stop();
        recorder.Dispose(); // idempotent

        Assert.False(recorder.IsRunning);
        Assert.Null(FlightRecorder.Running);
        Assert.Null(TraceRecorder.Active);
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => recorder.WriteTo(new MemoryStream()));
        Assert.Contains("has stopped", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_WhileOneRuns_ThrowsAndTheFirstRunsOn()
    {
        using FlightRecorder first = FlightRecorder.Start();

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => FlightRecorder.Start());

        Assert.Contains("already running", error.Message, StringComparison.Ordinal);
        Assert.True(first.IsRunning);
        Assert.Same(first, FlightRecorder.Running);
    }

    [Fact]
    public void Start_AfterPreviousStopped_Starts()
    {
        FlightRecorder.Start().Dispose();

        using FlightRecorder second = FlightRecorder.Start();

        Assert.True(second.IsRunning);
    }

    [Fact]
    public async Task Start_WithExecutionTraceRunning_BothRecordAndStopApart()
    {
        Settings.SetMaxProcs(2);
        using ExecutionTrace trace = ExecutionTrace.Start();
        using FlightRecorder recorder = FlightRecorder.Start();
        (long pinger, long ponger) = await PingPongAsync(50);
        trace.Stop();

        Assert.True(recorder.IsRunning);
        Assert.False(trace.IsRunning);
        using (var stream = new MemoryStream())
        {
            trace.WriteTo(stream);
            using JsonDocument traced = JsonDocument.Parse(stream.ToArray());
            Assert.Contains(Events(traced), e => Phase(e) == "X" && Goroutine(e) == pinger);
        }

        long afterTrace = await RunToExitAsync("a goroutine after the trace");
        using JsonDocument flight = Write(recorder);
        Assert.Contains(Events(flight), e => Phase(e) == "X" && Goroutine(e) == ponger);
        Assert.Contains(Events(flight), e => Phase(e) == "X" && Goroutine(e) == afterTrace);

        // And the other way round: a trace starts and stops while the recorder runs on.
        using ExecutionTrace second = ExecutionTrace.Start();
        recorder.Stop();
        Assert.True(second.IsRunning);
        Assert.NotNull(TraceRecorder.Active?.Log);
        Assert.Null(TraceRecorder.Active?.Flight);
    }

    [Theory]
    [InlineData(0, FlightRecorderOptions.DefaultMaxBytes, "MinAge must be above zero")]
    [InlineData(-1, FlightRecorderOptions.DefaultMaxBytes, "MinAge must be above zero")]
    [InlineData(25 * 3600, FlightRecorderOptions.DefaultMaxBytes, "MinAge must be above zero")]
    [InlineData(10, 0, "MaxBytes must be at least 65536")]
    [InlineData(10, -1, "MaxBytes must be at least 65536")]
    [InlineData(10, FlightRecorderOptions.MinMaxBytes - 1, "MaxBytes must be at least 65536")]
    public void Start_OptionOutOfRange_ThrowsSayingWhatIsAccepted(int minAgeSeconds, long maxBytes, string message)
    {
        var options = new FlightRecorderOptions { MinAge = TimeSpan.FromSeconds(minAgeSeconds), MaxBytes = maxBytes };

        ArgumentOutOfRangeException error = Assert.Throws<ArgumentOutOfRangeException>(() => FlightRecorder.Start(options));

        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
        Assert.Contains("for example", error.Message, StringComparison.Ordinal);
        Assert.Equal("options", error.ParamName);
        Assert.Null(FlightRecorder.Running);
    }

    [Fact]
    public void Start_NullOptions_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => FlightRecorder.Start(null!));
    }

    [Fact]
    public void Start_DefaultOptions_AreGos()
    {
        using FlightRecorder recorder = FlightRecorder.Start();

        Assert.Equal(TimeSpan.FromSeconds(10), recorder.MinAge);
        Assert.Equal(10L << 20, recorder.MaxBytes);
        Assert.True(recorder.Capacity > 0);
    }

    /// <summary>
    /// Runs a goroutine of one step and waits until it exited: its task completes inside that step,
    /// which is recorded when it ends, and the exit comes after the recording.
    /// </summary>
    private static async Task<long> RunToExitAsync(string what)
    {
        long id = await GoTest.Start(() => Task.FromResult(Go.CurrentGoroutineId)).Within(what: what);
        AwaitExit(id, what);
        return id;
    }

    private static void AwaitExit(long id, string what) =>
        Assert.True(Poll.Until(() => GoroutineDump.Capture().Goroutines.All(g => g.Id != id), TestTimeouts.Default), $"{what} did not exit.");

    /// <summary>Every track an event lands on is named, and its timestamps never go back nor below 0.</summary>
    private static void AssertTracksNamedAndMonotone(List<JsonElement> events)
    {
        var named = events.Where(e => Phase(e) == "M" && e.GetProperty("name").GetString() == "thread_name")
            .Select(e => (Pid(e), Tid(e))).ToHashSet();
        foreach (IGrouping<(int, int), JsonElement> track in events.Where(e => Phase(e) != "M").GroupBy(e => (Pid(e), Tid(e))))
        {
            Assert.Contains(track.Key, named);
            double[] timestamps = [.. track.Select(e => e.GetProperty("ts").GetDouble())];
            Assert.All(timestamps, ts => Assert.True(ts >= 0, "timestamp before the window started"));
            for (int i = 1; i < timestamps.Length; i++)
            {
                Assert.True(timestamps[i] >= timestamps[i - 1], $"Track {track.Key}: {timestamps[i]} after {timestamps[i - 1]}.");
            }
        }
    }

    private static JsonDocument Write(FlightRecorder recorder) => ChromeTrace.Parse(recorder.WriteTo);

    private static List<JsonElement> Events(JsonDocument json) => [.. json.RootElement.GetProperty("traceEvents").EnumerateArray()];

    private static long Goroutine(JsonElement e) => e.GetProperty("args").GetProperty("goroutine").GetInt64();
}
