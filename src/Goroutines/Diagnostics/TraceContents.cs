// Licensed under the MIT License.

using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;

namespace Goroutines.Diagnostics;

/// <summary>
/// What <see cref="ChromeTraceWriter"/> writes: the events of a stopped execution trace or of a
/// flight recorder's window, arranged (<see cref="Arrange"/>), with the time they count from.
/// Immutable once built.
/// </summary>
internal sealed class TraceContents
{
    /// <summary>Who produced the trace, for the JSON's <c>otherData</c>.</summary>
    public required string Producer { get; init; }

    /// <summary>The events, sorted by start; none starts before <see cref="ZeroTimestamp"/>.</summary>
    public required TraceEvent[] Events { get; init; }

    /// <summary>Time zero of the output (Stopwatch ticks): the trace's start, or the window's.</summary>
    public required long ZeroTimestamp { get; init; }

    /// <summary>The end of the trace or window (Stopwatch ticks).</summary>
    public required long EndTimestamp { get; init; }

    /// <summary>GOMAXPROCS when the recording started.</summary>
    public required int MaxProcs { get; init; }

    /// <summary>Further figures for <c>otherData</c>, in order, after the producer, GOMAXPROCS and the duration.</summary>
    public required IReadOnlyList<KeyValuePair<string, double>> Figures { get; init; }

    /// <summary>The elapsed time from <see cref="ZeroTimestamp"/> to <paramref name="timestamp"/>, in microseconds.</summary>
    public double ToMicroseconds(long timestamp) =>
        (timestamp - ZeroTimestamp) * 1_000_000.0 / Stopwatch.Frequency;

    /// <summary>
    /// Arranges raw events for writing: drops those recorded before <paramref name="zero"/> (a
    /// flight recorder's ring holds older ones), clips the start of a step that began before it
    /// (or before any recording, start 0) to <paramref name="zero"/>, so that no complete event
    /// reaches back past time zero, and sorts by start, stably, so every track's timestamps are
    /// monotone as Chrome's format wants.
    /// </summary>
    public static TraceEvent[] Arrange(List<TraceEvent> events, long zero)
    {
        var kept = new List<TraceEvent>(events.Count);
        foreach (TraceEvent item in events)
        {
            if (item.RecordedAt < zero)
            {
                continue;
            }

            kept.Add(item.Timestamp < zero ? item with { Timestamp = zero } : item);
        }

        return [.. kept.OrderBy(static e => e.Timestamp)]; // OrderBy is stable: a ring's ties keep their order
    }
}
