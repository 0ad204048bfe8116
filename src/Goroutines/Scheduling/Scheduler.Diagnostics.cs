// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading;

using Goroutines.Diagnostics;

namespace Goroutines.Scheduling;

// The scheduler's side of the diagnostics (Diagnostics/): the registry of live
// goroutines (Go's allgs, sharded by processor: GoroutineList.cs), the list of every
// machine ever created (Go's allm), the start time the trace counts from, the schedtrace
// settings sysmon reads, and consistent reads of the counters that live under the
// scheduler lock. Formatting and metrics live in Diagnostics/, never under the lock:
// a trace writer is user code and may block.
//
// Invariants:
// - _allMachines only grows; a machine is linked under _lock before its thread starts.
// - _schedTrace is replaced whole (Volatile), never mutated.
internal sealed partial class Scheduler
{
    // The running trace recorder, or null (Diagnostics/TraceRecorder.cs): it names the execution
    // trace and the flight recorder that run, either or both. Volatile: written, replaced whole,
    // when either starts or stops, under the recorder's start lock; read by the hot paths.
    private volatile TraceRecorder? _trace;

    /// <summary>The running trace recorder (execution trace, flight recorder or both), or null: the one field the hot paths test.</summary>
    internal TraceRecorder? Trace
    {
        get => _trace;
        set => _trace = value;
    }

    // Head of the list of all machines, newest first (Go: allm); linked under _lock, read racily.
    private Machine? _allMachines;

    // What sysmon's periodic trace writes; null when off. Set from GODEBUG at start, by tests later.
    private SchedTraceOptions? _schedTrace;

    // The "Goroutines" meter's instruments, created once on first read (sysmon reads it as it
    // starts); read only by metric collection.
    private RuntimeMetrics? _metrics;
    private object? _metricsCreation;

    // Channel parks counted on a thread that had no processor at the time (interlocked).
    private long _channelParksOffProcessor;

    /// <summary>When the scheduler was created (Stopwatch ticks): the trace's time zero, as Go's runtime start.</summary>
    internal long StartTimestamp { get; } = Stopwatch.GetTimestamp();

    /// <summary>The newest machine; follow <see cref="Machine.AllLink"/> for the others. Read racily.</summary>
    internal Machine? AllMachines => Volatile.Read(ref _allMachines);

    /// <summary>The periodic trace's settings, or null when it is off. Read by sysmon every round.</summary>
    internal SchedTraceOptions? SchedTrace => Volatile.Read(ref _schedTrace);

    /// <summary>The runtime's metric instruments, created on first read: sysmon reads it as it starts.</summary>
    internal RuntimeMetrics Metrics =>
        Volatile.Read(ref _metrics) ?? LazyInitializer.EnsureInitialized(ref _metrics, ref _metricsCreation, () => new RuntimeMetrics(this));

    /// <summary>Channel parks on threads without a processor.</summary>
    internal long ChannelParksOffProcessor => Interlocked.Read(ref _channelParksOffProcessor);

    /// <summary>
    /// Turns sysmon's periodic trace on with <paramref name="options"/>, or off with null, and
    /// wakes sysmon so that a new setting takes effect within one round. Any thread.
    /// </summary>
    internal void SetSchedTrace(SchedTraceOptions? options)
    {
        Volatile.Write(ref _schedTrace, options);
        _monitor.WakeUp();
    }

    /// <summary>Writes one scheduler trace snapshot (see Diagnostics/SchedulerTrace.cs). Any thread.</summary>
    /// <remarks>Go: schedtrace.</remarks>
    internal void WriteSchedTrace(TextWriter writer, bool detailed) =>
        writer.Write(SchedulerTrace.Format(this, detailed));

    /// <summary>Every shard of the goroutine registry: each processor's, retired ones included.</summary>
    internal IEnumerable<GoroutineList> GoroutineLists
    {
        get
        {
            foreach (Processor processor in Processors)
            {
                yield return processor.Goroutines;
            }
        }
    }

    /// <summary>The registry's shard that holds <paramref name="g"/> (it has run a step).</summary>
    internal GoroutineList GoroutineListOf(Goroutine g) => Processors[g.RegistryShard].Goroutines;

    /// <summary>Goroutines spawned and not started yet: queued, or being handed to a processor. Racy.</summary>
    internal long NotStartedCount
    {
        get
        {
            // Every started count before any spawned count: a goroutine counted started was counted
            // spawned before, so the difference never falls below the truth.
            Processor[] processors = Processors;
            long started = 0;
            foreach (Processor processor in processors)
            {
                started += Volatile.Read(ref processor.Started);
            }

            long spawned = SpawnedOffProcessor;
            foreach (Processor processor in processors)
            {
                spawned += Volatile.Read(ref processor.Spawned);
            }

            return Math.Max(spawned - started, 0);
        }
    }

    /// <summary>
    /// Every goroutine that has not exited, by id: the registry's, and those that have not run
    /// yet, found in the run queues. Any thread; each shard and queue is read at one moment, so a
    /// goroutine spawned, starting or exiting meanwhile may or may not be listed.
    /// </summary>
    /// <remarks>Go: forEachG. Waits for a leak pass to end: during one, parked goroutines are out of the registry.</remarks>
    internal List<Goroutine> LiveGoroutines()
    {
        using Lock.Scope noPass = LeakDetector.PassLock.EnterScope();
        return LiveGoroutinesOutsideAPass();
    }

    /// <summary>
    /// <see cref="LiveGoroutines"/>, or null at once while a leak pass runs: for the system
    /// monitor's trace, which must not wait for a collection (DeadlockDetector keeps the same rule).
    /// </summary>
    internal List<Goroutine>? TryLiveGoroutines()
    {
        if (!LeakDetector.PassLock.TryEnter())
        {
            return null;
        }

        try
        {
            return LiveGoroutinesOutsideAPass();
        }
        finally
        {
            LeakDetector.PassLock.Exit();
        }
    }

    // LiveGoroutines' work, with the leak detector's pass lock held.
    private List<Goroutine> LiveGoroutinesOutsideAPass()
    {
        // The queues first, then the registry: a goroutine that starts in between is in the
        // registry by the time it is read, so the only ones missed are those in a hand-over
        // (a steal, a batch from the global queue) at the moment their queue was read.
        var queued = new HashSet<Goroutine>();
        foreach (Processor processor in Processors)
        {
            processor.RunQueue.CopyTo(queued);
        }

        lock (_lock)
        {
            _globalQueue.CopyTo(queued);
        }

        queued.RemoveWhere(static g => g.RegistrySlot >= 0); // started: the registry lists them
        var live = new List<Goroutine>(queued.Count);
        foreach (GoroutineList list in GoroutineLists)
        {
            list.CopyLiveTo(live);
        }

        foreach (Goroutine g in live)
        {
            queued.Remove(g);
        }

        foreach (Goroutine g in queued)
        {
            if (!g.HasExited)
            {
                live.Add(g);
            }
        }

        live.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        return live;
    }

    /// <summary>
    /// Drops the stale goroutine references in idle processors' rings (left by thieves), so that
    /// the leak detector's collection sees only references that can wake a goroutine. Any thread.
    /// </summary>
    internal void ClearIdleProcessorsStaleSlots()
    {
        lock (_lock)
        {
            for (Processor? processor = _idleProcessors; processor is not null; processor = processor.IdleLink)
            {
                processor.RunQueue.ClearStaleSlots();
            }
        }
    }

    /// <summary>
    /// Drops the stale goroutine references in the ring of the calling goroutine's processor, which
    /// is not idle while its goroutine runs, so <see cref="ClearIdleProcessorsStaleSlots"/> skips it.
    /// A goroutine that calls the leak detector right after the goroutines it leaked ran on its
    /// processor (it readied them: runNext, then the ring) would otherwise hold them there. The
    /// calling goroutine's own thread, before it enters the blocking region of the pass; a no-op
    /// elsewhere.
    /// </summary>
    internal static void ClearOwnProcessorStaleSlots()
    {
        if (Machine.Current is not { RunningGoroutine: not null } machine)
        {
            return;
        }

        // In the owner section, so sysmon cannot hand the processor to another machine meanwhile.
        Processor? processor = machine.EnterRuntime(out bool entered);
        processor?.RunQueue.ClearStaleSlots();
        machine.LeaveRuntime(entered);
    }

    /// <summary>Links a new machine into the list of all machines, before its thread starts.</summary>
    private void RegisterMachine(Machine machine)
    {
        lock (_lock)
        {
            machine.AllLink = _allMachines;
            Volatile.Write(ref _allMachines, machine); // release: publishes AllLink to racy readers
        }
    }

    /// <summary>
    /// Reads the counters kept under the scheduler lock at one moment, as Go's schedtrace does under
    /// sched.lock, and adds the idle machines to <paramref name="idleMachines"/> if given.
    /// </summary>
    internal SchedulerCounts ReadCounts(HashSet<Machine>? idleMachines)
    {
        lock (_lock)
        {
            if (idleMachines is not null)
            {
                for (Machine? machine = _idleMachines; machine is not null; machine = machine.IdleLink)
                {
                    idleMachines.Add(machine);
                }
            }

            return new SchedulerCounts(
                _maxProcs,
                _idleProcessorCount.Value,
                _machineCount,
                Volatile.Read(ref _spinningMachines.Value),
                _idleMachineCount,
                _globalQueue.Count);
        }
    }

    /// <summary>Counts a park on a channel or select by the goroutine that just parked. Its machine only.</summary>
    private void CountChannelPark(Processor? processor)
    {
        if (processor is not null)
        {
            processor.ChannelParks++;
        }
        else
        {
            Interlocked.Increment(ref _channelParksOffProcessor);
        }
    }
}
