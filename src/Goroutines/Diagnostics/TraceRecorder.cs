// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Threading;

using Goroutines.Scheduling;

namespace Goroutines.Diagnostics;

// TraceRecorder: the recording half of the execution trace, shared by its two consumers:
// the execution trace (TraceLog.cs, every event from Start to Stop; ExecutionTrace.cs is
// its public handle) and the flight recorder (FlightRecording.cs, the last window in
// rings; FlightRecorder.cs). The scheduler calls it from its hot paths, so it is shaped
// around what those paths may afford.
//
// Cost when off: the hot paths (Execute, Ready, Spawn, StealWork) read one field,
// Scheduler.Trace, and branch on null; nothing else. A step reads it when it begins and
// again when it ends, so a step that began before a recording started is clipped to the
// recording's start (TraceContents.Arrange), and one that ends after the recorder it read
// was replaced records into storage that is no longer read (TraceBuffer.cs, TraceRing.cs).
//
// Cost when on: one Stopwatch.GetTimestamp per step (its end; its start is the last step's
// end when the machine went straight from one to the other through runNext), none for a
// ready or spawn made during a step (it carries the step's start), one for any other event;
// and an append to
// the log's buffer and the flight recorder's ring of the processor the recording thread
// owns, whichever run: no lock, no interlocked instruction (threads without a processor
// append to a shared buffer or ring under its lock).
//
// Protocol: a recorder is immutable and names the log and the flight recording that run.
// Starting or stopping either, under s_startLock:
//   1. build a new recorder with the other one kept (or null when neither runs);
//   2. publish it in Scheduler.Trace (volatile write: pairs with the hot paths' volatile
//      read, so they see the storage);
//   3. when stopping the log, freeze it (TraceLog.FreezeLocked).
// The execution trace and the flight recorder are independent, as in Go: either may
// start and stop while the other runs, and each sees the same events.
//
// Rejected: a field per consumer on the scheduler (two tests on every hot path when both
// are off, against one); a list of sinks (an indirect call per event).
//
// Invariants:
// - At most one log and one flight recording are published at a time; s_startLock
//   guards every publication.
// - Storage a recorder names is written only through it (or a recorder it replaced).
internal sealed class TraceRecorder
{
    private static readonly Lock s_startLock = new();

    private readonly TraceLog? _log;
    private readonly FlightRecording? _flight;

    private TraceRecorder(TraceLog? log, FlightRecording? flight)
    {
        _log = log;
        _flight = flight;
    }

    /// <summary>
    /// The running recorder, or null: the one field the hot paths test. It lives on the scheduler
    /// (<see cref="Scheduler.Trace"/>), an object whose fields the JIT reads directly, not in a
    /// static of this class, whose first use would need a class-initialization check on every
    /// read (measured: W12 60% slower in most runs).
    /// </summary>
    public static TraceRecorder? Active => Scheduler.Instance.Trace;

    /// <summary>The execution trace being recorded, or null.</summary>
    public TraceLog? Log => _log;

    /// <summary>The flight recording that runs, or null.</summary>
    public FlightRecording? Flight => _flight;

    /// <summary>Starts an execution trace of at most <paramref name="maxEvents"/> events. Throws when one is already running.</summary>
    public static TraceLog StartLog(int maxEvents)
    {
        Scheduler scheduler = Scheduler.Instance;
        lock (s_startLock)
        {
            TraceRecorder? active = scheduler.Trace;
            if (active?._log is not null)
            {
                throw new InvalidOperationException("An execution trace is already running: stop it before starting another.");
            }

            var log = new TraceLog(scheduler.Processors.Length, maxEvents, scheduler.MaxProcs);
            PublishLocked(scheduler, log, active?._flight);
            return log;
        }
    }

    /// <summary>Stops <paramref name="log"/> if it runs, and freezes its events. Idempotent; any thread.</summary>
    public static void StopLog(TraceLog log)
    {
        Scheduler scheduler = Scheduler.Instance;
        lock (s_startLock)
        {
            TraceRecorder? active = scheduler.Trace;
            if (active?._log == log)
            {
                PublishLocked(scheduler, null, active._flight);
            }

            log.FreezeLocked();
        }
    }

    /// <summary>Starts the flight recording <paramref name="create"/> makes. Throws when one is already running.</summary>
    public static FlightRecording StartFlight(Func<Scheduler, FlightRecording> create)
    {
        Scheduler scheduler = Scheduler.Instance;
        lock (s_startLock)
        {
            TraceRecorder? active = scheduler.Trace;
            if (active?._flight is not null)
            {
                throw new InvalidOperationException(
                    "A flight recorder is already running: snapshot it (FlightRecorder.Running) or stop it before starting another.");
            }

            FlightRecording flight = create(scheduler);
            PublishLocked(scheduler, active?._log, flight);
            return flight;
        }
    }

    /// <summary>Stops <paramref name="flight"/> if it runs. Idempotent; any thread.</summary>
    public static void StopFlight(FlightRecording flight)
    {
        Scheduler scheduler = Scheduler.Instance;
        lock (s_startLock)
        {
            TraceRecorder? active = scheduler.Trace;
            if (active?._flight == flight)
            {
                PublishLocked(scheduler, active._log, null);
            }
        }
    }

    /// <summary>Records a goroutine's step that began at <paramref name="start"/> (0: before any recording) on <paramref name="ranOn"/>; <paramref name="owned"/> is the processor the machine owns now, or null.</summary>
    /// <remarks>The step's end is the machine's <see cref="Machine.TraceLastStepEnd"/> while it still owns a processor.</remarks>
    public void RecordStep(Processor ranOn, Machine machine, Goroutine g, long start, Goroutine.StepOutcome outcome, WaitReason reason, Processor? owned)
    {
        long end = Stopwatch.GetTimestamp();
        machine.TraceLastStepEnd = owned is null ? 0 : end;
        Add(owned, new TraceEvent(TraceEventKind.Step, start, end, ranOn.Id, machine.Id, g.Id, (long)outcome, (long)reason, g.CreatedByMember));
    }

    /// <summary>Records that <paramref name="g"/> became runnable, readied by the goroutine running on <paramref name="machine"/> if any.</summary>
    /// <remarks>
    /// A ready or spawn made during a step carries the step's start, which precedes it by at most
    /// the step: a clock read per ready would double what W3's ping-pong pays for a recording.
    /// </remarks>
    public void RecordReady(Goroutine g, Machine? machine, Processor? processor, bool spawned)
    {
        long by = spawned ? g.ParentId : machine?.RunningGoroutine?.Id ?? 0;
        long at = machine is { TraceStepStart: > 0 } ? machine.TraceStepStart : Stopwatch.GetTimestamp();
        var item = new TraceEvent(spawned ? TraceEventKind.Spawn : TraceEventKind.Ready, at, 0, processor?.Id ?? -1, machine?.Id ?? 0, g.Id, by, 0, null);
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

    // Steps 1-2; s_startLock must be held.
    private static void PublishLocked(Scheduler scheduler, TraceLog? log, FlightRecording? flight)
    {
        Debug.Assert(s_startLock.IsHeldByCurrentThread, "s_startLock must be held.");
        scheduler.Trace = log is null && flight is null ? null : new TraceRecorder(log, flight); // volatile write: publishes the storage to the hot paths
    }

    /// <summary>Appends to the running log and flight recording; <paramref name="owned"/> is the processor the caller owns, or null.</summary>
    private void Add(Processor? owned, in TraceEvent item)
    {
        _log?.Add(owned, item);
        _flight?.Add(owned, item);
    }
}
