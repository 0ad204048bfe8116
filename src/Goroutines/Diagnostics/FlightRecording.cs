// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;

using Goroutines.Scheduling;

namespace Goroutines.Diagnostics;

// FlightRecording: the flight recorder's storage (FlightRecorder.cs is the public handle,
// TraceRecorder.cs routes the scheduler's events here, TraceRing.cs is one ring). It keeps
// the last window of the execution trace: one ring per processor, written by its owner
// only, and one shared ring for threads without a processor, written under a lock, as
// TraceLog's shared buffer (those events are rare).
//
// Sizing: MaxBytes / sizeof(TraceEvent) events, split evenly between the rings, each at
// least two chunks (TraceRing.ChunkEvents). Everything is allocated at start: recording
// never allocates, and the cost of a flight recorder is known the moment it starts.
//
// Snapshot (any thread, while recording goes on; nothing is stopped):
//   1. copy every ring out (TraceRing.CopyTo; the shared one under its lock);
//   2. the window starts at the latest of: the recorder's start, now - MinAge, and, for
//      every ring that lost events, the oldest event it still holds. So every processor's
//      events are complete within the window: a busy processor whose ring wrapped does not
//      leave a stretch where only the idle ones show anything;
//   3. drop what was recorded before the window, clip steps that began before it to its
//      start (TraceContents.Arrange), sort.
//
// Rejected: trimming by age while recording (a clock read and a compare per event on the
// hot path, for what the snapshot can do once); growing rings (allocation on the hot path,
// and memory that depends on the load instead of MaxBytes).
//
// Invariants:
// - A processor's ring is written only by the machine that owns the processor.
// - No event in a snapshot was recorded before the window's start, and no step in it
//   starts before it.
internal sealed class FlightRecording
{
    private readonly TraceRing[] _processorRings;
    private readonly TraceRing _shared;
    private readonly Lock _sharedLock = new();

    /// <summary>Creates the rings for <paramref name="processors"/> processors, <paramref name="maxBytes"/> in all.</summary>
    public FlightRecording(FlightRecorder owner, int processors, int maxProcs, TimeSpan minAge, long maxBytes)
    {
        Owner = owner;
        long events = maxBytes / Unsafe.SizeOf<TraceEvent>();
        int chunks = (int)Math.Clamp(events / (processors + 1) / TraceRing.ChunkEvents, 2, int.MaxValue / TraceRing.ChunkEvents);
        _processorRings = new TraceRing[processors];
        for (int i = 0; i < processors; i++)
        {
            _processorRings[i] = new TraceRing(chunks);
        }

        _shared = new TraceRing(chunks);
        MaxProcs = maxProcs;
        MinAge = minAge;
        MaxBytes = maxBytes;
        Capacity = (long)_shared.Capacity * (processors + 1);
        StartTimestamp = Stopwatch.GetTimestamp();
    }

    /// <summary>The public handle.</summary>
    public FlightRecorder Owner { get; }

    /// <summary>When recording started (Stopwatch ticks).</summary>
    public long StartTimestamp { get; }

    /// <summary>GOMAXPROCS when recording started.</summary>
    public int MaxProcs { get; }

    /// <summary>How far back a snapshot reaches, if the rings hold that much.</summary>
    public TimeSpan MinAge { get; }

    /// <summary>The memory the rings were sized for.</summary>
    public long MaxBytes { get; }

    /// <summary>The most events all rings hold together.</summary>
    public long Capacity { get; }

    /// <summary>Where a snapshot reads the time (Stopwatch ticks); tests replace it to place the window.</summary>
    internal Func<long> Clock { get; set; } = Stopwatch.GetTimestamp;

    /// <summary>Appends to <paramref name="owned"/>'s ring (the caller owns it) or, without one, to the shared ring under its lock.</summary>
    public void Add(Processor? owned, in TraceEvent item)
    {
        TraceRing[] rings = _processorRings;
        if (owned is not null && (uint)owned.Id < (uint)rings.Length)
        {
            rings[owned.Id].Add(item);
            return;
        }

        lock (_sharedLock)
        {
            _shared.Add(item);
        }
    }

    /// <summary>Copies the window out (steps 1-3). Any thread; recording goes on.</summary>
    public TraceContents Snapshot()
    {
        long now = Clock();
        var events = new List<TraceEvent>();
        long floor = StartTimestamp;
        long overwritten = 0;
        foreach (TraceRing ring in _processorRings)
        {
            floor = Math.Max(floor, CopyRing(ring, events, now));
            overwritten += ring.Overwritten;
        }

        lock (_sharedLock)
        {
            floor = Math.Max(floor, CopyRing(_shared, events, now));
            overwritten += _shared.Overwritten;
        }

        long minAgeTicks = (long)(MinAge.TotalSeconds * Stopwatch.Frequency);
        long windowStart = Math.Max(floor, now - minAgeTicks);
        TraceEvent[] arranged = TraceContents.Arrange(events, windowStart);
        long end = now;
        foreach (TraceEvent item in arranged)
        {
            end = Math.Max(end, item.RecordedAt); // recorded during the copy
        }

        return new TraceContents
        {
            Producer = "Goroutines flight recorder",
            Events = arranged,
            ZeroTimestamp = windowStart,
            EndTimestamp = end,
            MaxProcs = MaxProcs,
            Figures =
            [
                new("recordedEvents", arranged.Length),
                new("overwrittenEvents", overwritten),
                new("minAgeSeconds", MinAge.TotalSeconds),
                new("maxBytes", MaxBytes),
                new("capacityEvents", Capacity),
                new("windowStartMicroseconds", (windowStart - StartTimestamp) * 1_000_000.0 / Stopwatch.Frequency),
            ],
        };
    }

    // Copies one ring; returns the earliest time its events are complete from: its oldest event
    // if it lost any, else the recorder's start. A ring that lost everything during the copy
    // holds nothing from before now.
    private long CopyRing(TraceRing ring, List<TraceEvent> events, long now)
    {
        int first = events.Count;
        if (!ring.CopyTo(events))
        {
            return StartTimestamp;
        }

        long oldest = now;
        for (int i = first; i < events.Count; i++)
        {
            oldest = Math.Min(oldest, events[i].RecordedAt);
        }

        return oldest;
    }
}
