// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Threading;

using Goroutines.Scheduling;

namespace Goroutines.Diagnostics;

// RuntimeMetrics: the runtime's System.Diagnostics.Metrics instruments, one Meter
// named "Goroutines" (dotnet-counters monitor --counters Goroutines; OpenTelemetry's
// AddMeter("Goroutines")). The analog of Go's runtime/metrics /sched/ entries.
//
// Every instrument is observable: nothing is recorded on the hot paths. A collection
// (a listener's RecordObservableInstruments, dotnet-counters' refresh) calls the
// callbacks, which sum the counters the runtime keeps anyway, each written by one
// owner: the per-processor counters (Processor.Spawned, Steals, Preemptions,
// ChannelParks, the timer heaps' counts), the off-processor interlocked ones, and the
// scheduler's hand-off count. So metrics add no shared atomic to the scheduler,
// whether a listener is attached or not.
//
// Instruments (names and units in OpenTelemetry's style):
//   goroutines.count         up-down  {goroutine}  state = running | runnable | syscall | waiting
//   goroutines.runnable      up-down  {goroutine}  queue = global | local
//   goroutines.threads       up-down  {thread}     state = running | idle | spinning | syscall
//   goroutines.timers        up-down  {timer}
//   goroutines.spawned       counter  {goroutine}
//   goroutines.steals        counter  {goroutine}
//   goroutines.preemptions   counter  {preemption}
//   goroutines.handoffs      counter  {handoff}
//   goroutines.channel.parks counter  {park}
//   goroutines.io.waiting    up-down  {goroutine}  (parked in the netpoller: the poller's own count)
//
// How the goroutine states are computed without a registry of goroutines: runnable is
// the run queues' lengths (global plus local, runNext included); running and syscall
// come from the machines (the goroutine each one runs now, by its status); waiting is
// the live count minus the other three. Each value is read racily and exact only for
// its own source at its moment, as RuntimeStatistics: while goroutines move between
// states, the parts need not add up to the live count (waiting is clamped at 0).
//
// Rejected: recording with Counter<T>.Add at each spawn, steal or park (an interlocked
// add on a shared cache line per event, paid even with no listener: the very cost the
// per-processor counters exist to avoid).
//
// Invariants:
// - Callbacks take no lock but the scheduler lock (ReadCounts), and never run goroutine code.
internal sealed class RuntimeMetrics
{
    /// <summary>The meter's name, for listeners and dotnet-counters.</summary>
    public const string MeterName = "Goroutines";

    private static readonly KeyValuePair<string, object?> s_running = new("state", "running");
    private static readonly KeyValuePair<string, object?> s_runnable = new("state", "runnable");
    private static readonly KeyValuePair<string, object?> s_syscall = new("state", "syscall");
    private static readonly KeyValuePair<string, object?> s_waiting = new("state", "waiting");
    private static readonly KeyValuePair<string, object?> s_idle = new("state", "idle");
    private static readonly KeyValuePair<string, object?> s_spinning = new("state", "spinning");
    private static readonly KeyValuePair<string, object?> s_globalQueue = new("queue", "global");
    private static readonly KeyValuePair<string, object?> s_localQueue = new("queue", "local");

    private readonly Scheduler _scheduler;

    /// <summary>Creates the meter and its instruments, reading <paramref name="scheduler"/>.</summary>
    public RuntimeMetrics(Scheduler scheduler)
    {
        _scheduler = scheduler;
        Meter = new Meter(MeterName, typeof(RuntimeMetrics).Assembly.GetName().Version?.ToString());
        Meter.CreateObservableUpDownCounter("goroutines.count", ObserveGoroutines, "{goroutine}",
            "Live goroutines by state: running on a thread, runnable in a run queue, in a blocking region (syscall), or waiting (parked).");
        Meter.CreateObservableUpDownCounter("goroutines.runnable", ObserveRunnable, "{goroutine}",
            "Goroutines waiting in a run queue for a processor: the global queue and the processors' local queues.");
        Meter.CreateObservableUpDownCounter("goroutines.threads", ObserveThreads, "{thread}",
            "The runtime's machine threads by state: running goroutines, idle (parked), spinning (looking for work) or in a blocking region (syscall).");
        Meter.CreateObservableUpDownCounter("goroutines.timers", ObserveTimers, "{timer}",
            "Timers queued in the processors' timer heaps (sleeps, After, Timer and Ticker).");
        Meter.CreateObservableCounter("goroutines.spawned", ObserveSpawned, "{goroutine}",
            "Goroutines started since the runtime started.");
        Meter.CreateObservableCounter("goroutines.steals", ObserveSteals, "{goroutine}",
            "Goroutines a processor took from another processor's run queue (work stealing).");
        Meter.CreateObservableCounter("goroutines.preemptions", ObservePreemptions, "{preemption}",
            "Goroutines that yielded at a safe point because sysmon found them running for 10 ms.");
        Meter.CreateObservableCounter("goroutines.handoffs", ObserveHandoffs, "{handoff}",
            "Processors handed to another thread because their own was stuck in user code or a blocking region.");
        Meter.CreateObservableCounter("goroutines.channel.parks", ObserveChannelParks, "{park}",
            "Goroutines that parked on a channel operation or a select.");
        Meter.CreateObservableUpDownCounter("goroutines.io.waiting", () => (long)_scheduler.IOWaiterCount, "{goroutine}",
            "Goroutines parked in the netpoller, waiting for a socket to be ready (wait reason IO wait).");
    }

    /// <summary>The "Goroutines" meter.</summary>
    public Meter Meter { get; }

    private IEnumerable<Measurement<long>> ObserveGoroutines()
    {
        long live = _scheduler.GoroutineCount;
        long runnable = _scheduler.GlobalCount + LocalQueued();
        CountRunningMachines(out long running, out long syscall);
        long waiting = Math.Max(live - runnable - running - syscall, 0);
        return
        [
            new Measurement<long>(running, s_running),
            new Measurement<long>(runnable, s_runnable),
            new Measurement<long>(syscall, s_syscall),
            new Measurement<long>(waiting, s_waiting),
        ];
    }

    private IEnumerable<Measurement<long>> ObserveRunnable() =>
    [
        new Measurement<long>(_scheduler.GlobalCount, s_globalQueue),
        new Measurement<long>(LocalQueued(), s_localQueue),
    ];

    private IEnumerable<Measurement<long>> ObserveThreads()
    {
        SchedulerCounts counts = _scheduler.ReadCounts(null);
        CountRunningMachines(out _, out long syscall);

        // Sysmon is one of Go's threads but runs no goroutines: not counted here.
        long running = Math.Max(counts.Threads - 1L - counts.IdleThreads - counts.SpinningThreads - syscall, 0);
        return
        [
            new Measurement<long>(running, s_running),
            new Measurement<long>(counts.IdleThreads, s_idle),
            new Measurement<long>(counts.SpinningThreads, s_spinning),
            new Measurement<long>(syscall, s_syscall),
        ];
    }

    private long ObserveTimers()
    {
        long timers = 0;
        foreach (Processor processor in _scheduler.Processors)
        {
            timers += processor.Timers.Count;
        }

        return timers;
    }

    private long ObserveSpawned() => _scheduler.SpawnedOffProcessor + Sum(static p => ref p.Spawned);

    private long ObserveSteals() => Sum(static p => ref p.Steals);

    private long ObservePreemptions() => _scheduler.OffProcessorPreemptions + Sum(static p => ref p.Preemptions);

    private long ObserveHandoffs() => _scheduler.Handoffs;

    private long ObserveChannelParks() => _scheduler.ChannelParksOffProcessor + Sum(static p => ref p.ChannelParks);

    private delegate ref long CounterOf(Processor processor);

    /// <summary>Sums one owner-written counter over all processors, retired ones included.</summary>
    private long Sum(CounterOf counter)
    {
        long sum = 0;
        foreach (Processor processor in _scheduler.Processors)
        {
            sum += Volatile.Read(ref counter(processor));
        }

        return sum;
    }

    private long LocalQueued()
    {
        long queued = 0;
        foreach (Processor processor in _scheduler.Processors)
        {
            queued += processor.RunQueue.Count;
        }

        return queued;
    }

    /// <summary>Counts the machines running a goroutine now, apart from those inside a blocking region.</summary>
    private void CountRunningMachines(out long running, out long syscall)
    {
        running = 0;
        syscall = 0;
        for (Machine? machine = _scheduler.AllMachines; machine is not null; machine = machine.AllLink)
        {
            if (machine.RunningGoroutine is not { } g)
            {
                continue;
            }

            // A machine in a blocking region's slow exit still names its goroutine, which is
            // runnable then (queued, counted with the run queues): neither here.
            switch (g.Status)
            {
                case GoroutineStatus.Syscall:
                    syscall++;
                    break;
                case GoroutineStatus.Running:
                    running++;
                    break;
                default:
                    break;
            }
        }
    }
}
