// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Scheduling;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Diagnostics;

public sealed class RuntimeMetricsTests : RuntimeTest
{
    private const int Parked = 40;

    [Fact]
    public void Meter_Listener_PublishesEveryInstrumentWithUnitAndDescription()
    {
        using var metrics = new MetricsReader();

        string[] expected =
        [
            "goroutines.count", "goroutines.runnable", "goroutines.threads", "goroutines.timers", "goroutines.spawned",
            "goroutines.steals", "goroutines.preemptions", "goroutines.handoffs", "goroutines.channel.parks", "goroutines.io.waiting",
        ];
        foreach (string name in expected)
        {
            Assert.True(metrics.Instruments.TryGetValue(name, out Instrument? instrument), $"{name} not published");
            Assert.False(string.IsNullOrEmpty(instrument.Unit), $"{name} has no unit");
            Assert.False(string.IsNullOrEmpty(instrument.Description), $"{name} has no description");
            Assert.Equal("Goroutines", instrument.Meter.Name);
        }
    }

    [Fact]
    public void Meter_MetricsEventSource_PublishesTheInstrumentsAsDotnetCountersSeesThem()
    {
        // dotnet-counters reads meters through the System.Diagnostics.Metrics event source; enable it
        // in process for the Goroutines meter and wait until it reports the instruments.
        using var listener = new MetricsEventListener("Goroutines");
        Assert.True(
            listener.Reported.Wait(TestTimeouts.Default),
            $"The event source reported no Goroutines instrument; events seen: {listener.EventNames}");

        // One collection publishes the instruments one event at a time: the first may arrive alone.
        Assert.True(
            Poll.Until(() => listener.HasReported("goroutines.spawned"), TestTimeouts.Default),
            $"goroutines.spawned was not reported; instruments seen: {listener.InstrumentNames}");
    }

    [Fact]
    public async Task Count_GoroutinesParkedOnChannel_CountedWaitingUntilClosed()
    {
        Settings.SetMaxProcs(2);
        using var metrics = new MetricsReader();
        metrics.Collect();
        long spawnedBefore = metrics.Value("goroutines.spawned");
        long parksBefore = metrics.Value("goroutines.channel.parks");

        var channel = new Chan<int>();
        var receivers = new List<Spawned>();
        for (int i = 0; i < Parked; i++)
        {
            receivers.Add(await Spawned.ParkedAsync(async () => await channel.ReceiveAsync(), WaitReason.ChanReceive));
        }

        metrics.Collect();
        long waiting = metrics.Value("goroutines.count", "state", "waiting");
        Assert.True(waiting >= Parked, $"{waiting} waiting with {Parked} parked on a channel");
        Assert.True(metrics.Value("goroutines.spawned") - spawnedBefore >= Parked, "spawned did not grow by the goroutines started");
        Assert.True(metrics.Value("goroutines.channel.parks") - parksBefore >= Parked, "channel parks did not grow by the goroutines parked");

        channel.Close();
        foreach (Spawned receiver in receivers)
        {
            await receiver.Completion.Within(what: "a receiver woken by close");
        }

        Assert.True(Poll.Until(() => Go.NumGoroutine <= GoroutinesAtStart, TestTimeouts.Default), "the receivers did not exit");
        metrics.Collect();
        long waitingAfter = metrics.Value("goroutines.count", "state", "waiting");
        Assert.True(waitingAfter <= waiting - Parked, $"{waitingAfter} waiting after close, {waiting} before");
    }

    [Fact]
    public async Task Count_GoroutineRunning_CountedRunningOnARunningThread()
    {
        Settings.SetMaxProcs(2);
        using var metrics = new MetricsReader();
        bool release = false;
        Spawned running = await Spawned.StartAsync(() =>
        {
            GoTest.SpinUntil(() => Volatile.Read(ref release), "the metrics to be read");
            return Task.CompletedTask;
        });

        try
        {
            metrics.Collect();
        }
        finally
        {
            Volatile.Write(ref release, true);
        }

        await running.Completion.Within(what: "the spinning goroutine");
        Assert.True(metrics.Value("goroutines.count", "state", "running") >= 1, "the spinning goroutine is not counted running");
        Assert.True(metrics.Value("goroutines.threads", "state", "running") >= 1, "its thread is not counted running");
        Assert.True(metrics.Value("goroutines.runnable", "queue", "global") >= 0);
        Assert.True(metrics.Value("goroutines.timers") >= 0);
    }

    /// <summary>Listens to the "Goroutines" meter and keeps the last value of each instrument and tag.</summary>
    private sealed class MetricsReader : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Dictionary<string, long> _values = [];

        public MetricsReader()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "Goroutines")
                {
                    Instruments[instrument.Name] = instrument;
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                string key = instrument.Name;
                foreach (KeyValuePair<string, object?> tag in tags)
                {
                    key += $"|{tag.Key}={tag.Value}";
                }

                _values[key] = value;
            });
            _ = Scheduler.Instance.Metrics; // the meter exists once read (sysmon reads it as it starts)
            _listener.Start();
        }

        public Dictionary<string, Instrument> Instruments { get; } = [];

        /// <summary>Runs the observable instruments' callbacks now, on this thread.</summary>
        public void Collect() => _listener.RecordObservableInstruments();

        public long Value(string instrument) => _values[instrument];

        public long Value(string instrument, string tag, string value) => _values[$"{instrument}|{tag}={value}"];

        public void Dispose() => _listener.Dispose();
    }
}
