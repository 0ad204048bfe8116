// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

using Goroutines.Scheduling;

namespace Goroutines.Diagnostics;

// TraceLog: the execution trace's storage (ExecutionTrace.cs is the public handle,
// TraceRecorder.cs routes the scheduler's events here). It keeps every event from
// Start to Stop, up to a cap, then writes them all.
//
// Cost when on: an append to the buffer of the processor the recording thread owns: no
// lock, no interlocked instruction. Threads without a processor (sysmon, a machine in a
// blocking region, a thread the runtime does not own) append to one shared buffer under
// a lock: those events are rare (hand-offs, preemption requests, readies from outside).
//
// Protocol:
//   Start: one buffer per processor that exists, and the shared one; TraceRecorder
//          publishes the log to the hot paths.
//   Freeze: after TraceRecorder stopped routing events here, freeze every buffer's count
//          (TraceBuffer.cs: late writers append past the frozen counts). Processors
//          created by a later GOMAXPROCS increase have no buffer of their own: their
//          events go to the shared one.
//
// Rejected: a thread-static buffer per machine (machines outnumber processors and idle
// ones would each hold a buffer; the processor is what a Go trace is organised by);
// one concurrent queue (an interlocked instruction per event on a shared cache line,
// which skews the very scheduling being traced).
//
// Invariants:
// - A processor's buffer is written only by the machine that owns the processor.
// - Once frozen, the events and the dropped count never change.
internal sealed class TraceLog
{
    private readonly TraceBuffer[] _processorBuffers;
    private readonly TraceBuffer _shared;
    private readonly Lock _sharedLock = new();
    private TraceContents? _frozen;
    private long _dropped;

    /// <summary>Creates the buffers for <paramref name="processors"/> processors, at most <paramref name="maxEvents"/> events in all.</summary>
    public TraceLog(int processors, int maxEvents, int maxProcs)
    {
        // One share per processor and one for the shared buffer, each at least 1,024 events.
        int share = Math.Max(1024, maxEvents / (processors + 1));
        _processorBuffers = new TraceBuffer[processors];
        for (int i = 0; i < processors; i++)
        {
            _processorBuffers[i] = new TraceBuffer(share);
        }

        _shared = new TraceBuffer(share);
        MaxEvents = maxEvents;
        MaxProcs = maxProcs;
        StartTimestamp = Stopwatch.GetTimestamp();
    }

    /// <summary>Time zero of the trace (Stopwatch ticks).</summary>
    public long StartTimestamp { get; }

    /// <summary>The cap on recorded events.</summary>
    public int MaxEvents { get; }

    /// <summary>GOMAXPROCS when the trace started.</summary>
    public int MaxProcs { get; }

    /// <summary>Events that did not fit under the cap; final once frozen.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Whether the scheduler routes its events here.</summary>
    public bool IsRunning => TraceRecorder.Active?.Log == this;

    /// <summary>Events recorded: 0 until frozen.</summary>
    public int EventCount => Volatile.Read(ref _frozen)?.Events.Length ?? 0;

    /// <summary>What the trace holds, to write. Only once frozen.</summary>
    public TraceContents Contents => Volatile.Read(ref _frozen) ?? throw new InvalidOperationException("The trace has not stopped.");

    /// <summary>Appends to <paramref name="owned"/>'s buffer (the caller owns it) or, without one, to the shared buffer under its lock.</summary>
    public void Add(Processor? owned, in TraceEvent item)
    {
        TraceBuffer[] buffers = _processorBuffers;
        if (owned is not null && (uint)owned.Id < (uint)buffers.Length)
        {
            buffers[owned.Id].Add(item);
            return;
        }

        lock (_sharedLock)
        {
            _shared.Add(item);
        }
    }

    /// <summary>Freezes the events recorded so far. Idempotent; TraceRecorder's start lock must be held, and the log no longer published.</summary>
    public void FreezeLocked()
    {
        if (_frozen is not null)
        {
            return;
        }

        long stop = Stopwatch.GetTimestamp();
        var all = new List<TraceEvent>();
        long dropped = 0;
        foreach (TraceBuffer buffer in _processorBuffers)
        {
            all.AddRange(buffer.Snapshot());
            dropped += buffer.Dropped;
        }

        lock (_sharedLock)
        {
            all.AddRange(_shared.Snapshot());
            dropped += _shared.Dropped;
        }

        TraceEvent[] events = TraceContents.Arrange(all, StartTimestamp);
        Interlocked.Exchange(ref _dropped, dropped);
        Volatile.Write(ref _frozen, new TraceContents // release: pairs with the acquire in EventCount and Contents
        {
            Producer = "Goroutines execution trace",
            Events = events,
            ZeroTimestamp = StartTimestamp,
            EndTimestamp = stop,
            MaxProcs = MaxProcs,
            Figures =
            [
                new("recordedEvents", events.Length),
                new("droppedEvents", dropped),
                new("maxEvents", MaxEvents),
            ],
        });
    }
}
