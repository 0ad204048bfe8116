// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

using Goroutines.Scheduling;

namespace Goroutines.Diagnostics;

// TraceRecorder: the recording half of the execution trace (ExecutionTrace.cs is the
// public handle, ChromeTraceWriter.cs the format). The scheduler calls it from its hot
// paths, so it is shaped around what those paths may afford.
//
// Cost when off: the hot paths (Execute, Ready, Spawn, StealWork) read one static
// field, Active, and branch on null; nothing else. A step reads it once and keeps it in
// a local, so a step that began before Stop records into the stopped trace's buffers,
// which are no longer read.
//
// Cost when on: one Stopwatch.GetTimestamp per event (two per step) and an append to
// the buffer of the processor the recording thread owns: no lock, no interlocked
// instruction. Threads without a processor (sysmon, a machine in a blocking region, a
// thread the runtime does not own) append to one shared buffer under a lock: those
// events are rare (hand-offs, preemption requests, readies from outside).
//
// Protocol:
//   Start: 1. create one buffer per processor that exists, and the shared one;
//          2. publish the recorder in Active (volatile write: pairs with the hot paths'
//             volatile read, so they see the buffers).
//   Stop:  clear Active, then freeze every buffer's count (TraceBuffer.cs: late writers
//          append past the frozen counts). Processors created by a later GOMAXPROCS
//          increase have no buffer of their own: their events go to the shared one.
//
// Rejected: a thread-static buffer per machine (machines outnumber processors and idle
// ones would each hold a buffer; the processor is what a Go trace is organised by);
// one concurrent queue (an interlocked instruction per event on a shared cache line,
// which skews the very scheduling being traced).
//
// Invariants:
// - At most one recorder is Active; ExecutionTrace.Start enforces it under s_startLock.
// - A processor's buffer is written only by the machine that owns the processor.
internal sealed class TraceRecorder
{
    private static readonly Lock s_startLock = new();


    private readonly TraceBuffer[] _processorBuffers;
    private readonly TraceBuffer _shared;
    private readonly Lock _sharedLock = new();
    private TraceEvent[]? _frozen;
    private long _dropped;

    private TraceRecorder(int processors, int maxEvents)
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
        StartTimestamp = Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// The running trace, or null: the one field the hot paths test. It lives on the scheduler
    /// (<see cref="Scheduler.Trace"/>), an object whose fields the JIT reads directly, not in a
    /// static of this class, whose first use would need a class-initialization check on every
    /// read (measured: W12 60% slower in most runs).
    /// </summary>
    public static TraceRecorder? Active => Scheduler.Instance.Trace;

    /// <summary>Time zero of the trace (Stopwatch ticks).</summary>
    public long StartTimestamp { get; }

    /// <summary>When the trace stopped (Stopwatch ticks), or 0 while it runs.</summary>
    public long StopTimestamp { get; private set; }

    /// <summary>The cap on recorded events.</summary>
    public int MaxEvents { get; }

    /// <summary>GOMAXPROCS when the trace started.</summary>
    public int MaxProcs { get; private set; }

    /// <summary>Events that did not fit under the cap; final once stopped.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Whether this recorder is the running trace.</summary>
    public bool IsRunning => Scheduler.Instance.Trace == this;

    /// <summary>Starts recording. Throws when a trace is already running.</summary>
    public static TraceRecorder Start(int maxEvents)
    {
        Scheduler scheduler = Scheduler.Instance;
        lock (s_startLock)
        {
            if (Scheduler.Instance.Trace is not null)
            {
                throw new InvalidOperationException("An execution trace is already running: stop it before starting another.");
            }

            var recorder = new TraceRecorder(scheduler.Processors.Length, maxEvents) { MaxProcs = scheduler.MaxProcs };
            Scheduler.Instance.Trace = recorder; // volatile write: publishes the buffers to the hot paths
            return recorder;
        }
    }

    /// <summary>Stops recording if this recorder is running, and freezes its events. Idempotent; any thread.</summary>
    public void Stop()
    {
        lock (s_startLock)
        {
            if (_frozen is not null)
            {
                return;
            }

            if (Scheduler.Instance.Trace == this)
            {
                Scheduler.Instance.Trace = null;
            }

            StopTimestamp = Stopwatch.GetTimestamp();
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

            // Stable by start time: per track, Chrome's format wants timestamps in order.
            TraceEvent[] events = [.. all];
            events.AsSpan().Sort(static (a, b) => a.Timestamp.CompareTo(b.Timestamp));
            Interlocked.Exchange(ref _dropped, dropped);
            Volatile.Write(ref _frozen, events); // release: pairs with the acquire in EventCount
        }
    }

    /// <summary>Events recorded: 0 until stopped.</summary>
    public int EventCount => Volatile.Read(ref _frozen)?.Length ?? 0;

    /// <summary>The recorded events in start-time order. Only after <see cref="Stop"/>.</summary>
    public TraceEvent[] Events => _frozen ?? throw new InvalidOperationException("The trace has not stopped.");

    /// <summary>Records a goroutine's step that began at <paramref name="start"/> on <paramref name="ranOn"/>; <paramref name="owned"/> is the processor the machine owns now, or null.</summary>
    public void RecordStep(Processor ranOn, Machine machine, Goroutine g, long start, Goroutine.StepOutcome outcome, WaitReason reason, Processor? owned)
    {
        // A step that began before the trace started is clipped to the start.
        var item = new TraceEvent(TraceEventKind.Step, Math.Max(start, StartTimestamp), Stopwatch.GetTimestamp(), ranOn.Id, machine.Id, g.Id, (long)outcome, (long)reason, g.CreatedByMember);
        Add(owned, item);
    }

    /// <summary>Records that <paramref name="g"/> became runnable, readied by the goroutine running on <paramref name="machine"/> if any.</summary>
    public void RecordReady(Goroutine g, Machine? machine, Processor? processor, bool spawned)
    {
        long by = spawned ? g.ParentId : machine?.RunningGoroutine?.Id ?? 0;
        var item = new TraceEvent(spawned ? TraceEventKind.Spawn : TraceEventKind.Ready, Stopwatch.GetTimestamp(), 0, processor?.Id ?? -1, machine?.Id ?? 0, g.Id, by, 0, null);
        Add(processor, item);
    }

    /// <summary>Records that <paramref name="thief"/> stole <paramref name="count"/> goroutines from <paramref name="victim"/>. Owner of the thief only.</summary>
    public void RecordSteal(Processor thief, Machine machine, Processor victim, int count) =>
        Add(thief, new TraceEvent(TraceEventKind.Steal, Stopwatch.GetTimestamp(), 0, thief.Id, machine.Id, 0, victim.Id, count, null));

    /// <summary>Records that <paramref name="processor"/> was taken from <paramref name="from"/> and handed off. Any thread; shared buffer.</summary>
    public void RecordHandoff(Processor processor, Machine? from) =>
        Add(null, new TraceEvent(TraceEventKind.Handoff, Stopwatch.GetTimestamp(), 0, processor.Id, from?.Id ?? 0, 0, 0, 0, null));

    /// <summary>Records sysmon's request that <paramref name="g"/>, running on <paramref name="processor"/>, yield. Shared buffer.</summary>
    public void RecordPreemptRequest(Processor processor, Machine machine, Goroutine g) =>
        Add(null, new TraceEvent(TraceEventKind.PreemptRequest, Stopwatch.GetTimestamp(), 0, processor.Id, machine.Id, g.Id, 0, 0, null));

    /// <summary>Records a blocking region's entry or exit by <paramref name="g"/>; <paramref name="owned"/> is the processor the machine owns now, or null.</summary>
    public void RecordBlocking(bool enter, Machine machine, Goroutine g, Processor? owned, bool keptProcessor) =>
        Add(owned, new TraceEvent(
            enter ? TraceEventKind.BlockingEnter : TraceEventKind.BlockingExit,
            Stopwatch.GetTimestamp(), 0, owned?.Id ?? -1, machine.Id, g.Id, keptProcessor ? 1 : 0, 0, null));

    /// <summary>The elapsed time from the trace's start to <paramref name="timestamp"/>, in microseconds.</summary>
    public double ToMicroseconds(long timestamp) =>
        (timestamp - StartTimestamp) * 1_000_000.0 / Stopwatch.Frequency;

    /// <summary>Appends to <paramref name="owned"/>'s buffer (the caller owns it) or, without one, to the shared buffer under its lock.</summary>
    private void Add(Processor? owned, in TraceEvent item)
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
}
