// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics.Tracing;
using System.Threading;

namespace Goroutines.Tests.TestSupport;

/// <summary>
/// Enables the System.Diagnostics.Metrics event source in process for one meter, as dotnet-counters
/// does from outside, and records which of its instruments published values.
/// </summary>
public sealed class MetricsEventListener : EventListener
{
    private readonly string _meter;
    private readonly object _gate = new();

    public MetricsEventListener(string meter)
    {
        _meter = meter;
        foreach (EventSource source in EventSource.GetSources())
        {
            EnableIfMetrics(source);
        }
    }

    /// <summary>Set once a value of an instrument of the meter was published.</summary>
    public ManualResetEventSlim Reported { get; } = new();

    // Names of the meter's instruments that published a value, and of every event seen; under _gate.
    private readonly HashSet<string> _instrumentNames = [];
    private readonly HashSet<string> _eventNames = [];

    /// <summary>The instruments that published a value so far, for failure messages.</summary>
    public string InstrumentNames
    {
        get
        {
            lock (_gate)
            {
                return string.Join(", ", _instrumentNames);
            }
        }
    }

    /// <summary>The events seen so far, for failure messages.</summary>
    public string EventNames
    {
        get
        {
            lock (_gate)
            {
                return string.Join(", ", _eventNames);
            }
        }
    }

    /// <summary>Whether an instrument named <paramref name="name"/> published a value. Any thread.</summary>
    public bool HasReported(string name)
    {
        lock (_gate)
        {
            return _instrumentNames.Contains(name);
        }
    }


    public override void Dispose()
    {
        base.Dispose();
        Reported.Dispose();
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        base.OnEventSourceCreated(eventSource);
        EnableIfMetrics(eventSource);
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        lock (_gate)
        {
            _eventNames.Add(eventData.EventName ?? "?");
            if (eventData.PayloadNames is { } names && eventData.Payload is { } payload
                && names.IndexOf("meterName") is int meterIndex and >= 0 && Equals(payload[meterIndex], _meter)
                && names.IndexOf("instrumentName") is int instrumentIndex and >= 0
                && eventData.EventName is not null && eventData.EventName.EndsWith("ValuePublished", StringComparison.Ordinal))
            {
                _instrumentNames.Add((string)payload[instrumentIndex]!);
                Reported.Set();
            }
        }
    }

    private void EnableIfMetrics(EventSource source)
    {
        if (source.Name == "System.Diagnostics.Metrics" && _meter is not null)
        {
            EnableEvents(source, EventLevel.Informational, (EventKeywords)0x3, new Dictionary<string, string?>
            {
                ["SessionId"] = "goroutines-tests",
                ["Metrics"] = _meter,
                ["RefreshInterval"] = "0.1",
            });
        }
    }
}
