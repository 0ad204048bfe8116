// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.IO;
using System.Threading;

using Goroutines.Diagnostics;

namespace Goroutines.Scheduling;

// SystemMonitor: Go's sysmon, a thread without a processor that watches the
// processors and takes action where a goroutine will not give its processor back.
//
// Its pace: a nap of 20 µs while it keeps finding things to do; after 50 idle
// rounds the nap doubles each round up to 10 ms (all three numbers as Go's sysmon).
// It is also the timer watcher (Scheduler.Timers.cs): a nap ends early at the
// earliest timer of any processor, or when an earlier one is scheduled, and each
// round fires the timers that are due.
//
// Each round, for every processor (Go: retake):
//   Running  - its schedule tick has not moved for 10 ms: set the running
//              goroutine's preempt flag. A runtime awaitable that could complete
//              without suspending checks the flag first and, when it is set,
//              suspends and requeues the goroutine at the tail of the global queue
//              (Goroutine.YieldWith; the step's outcome counts it as a preemption).
//              Go.YieldAsync and parks always suspend, so they need no check.
//              The processor's slice expires too (Processor.SliceExpired): two
//              goroutines readying each other through runNext would otherwise
//              inherit one time slice forever.
//              Its step tick has not moved for 10 ms either and the flag was set in
//              an earlier round: the goroutine never reaches a safe point (a tight
//              loop, Thread.Sleep, a synchronous read). If work starves meanwhile —
//              its own run queue non-empty and nobody has taken from it for 10 ms,
//              or the global queue likewise (10 ms while an idle processor or a
//              spinning machine could take it, one round when nobody can: a timer's
//              goroutine then runs at once) — hand the processor to another machine
//              (Scheduler.TryRetake); the stuck machine finds it gone when its step
//              ends, and stops. While other machines steal from the queue, the
//              stuck goroutine keeps its processor: a goroutine spawning a million
//              others in one step feeds them on, instead of losing its run queue.
//              Sooner when the goroutine is blocked in the kernel (Linux): its step has
//              not moved for 20 µs, its thread's CPU clock stood still as long, and
//              /proc has the thread asleep (KernelThread.cs). That is a system call
//              outside any blocking region (Thread.Sleep, a synchronous read, a lock's
//              futex), and it gets a region's rule below: a running thread's clock
//              moves, and one waiting for a core is not asleep, so neither a hog nor a
//              descheduled thread loses its processor this way.
//              Both retakes of a goroutine stuck outside a region stop at half the
//              thread limit (Scheduler.MayHandOffStuckProcessor): past it the goroutine
//              keeps its processor until it comes back, as thread exhaustion is fatal.
//   Syscall  - in the same blocking region for 20 µs or more, and there is other
//              work, or nobody spinning or idle to take it, or 10 ms have passed:
//              hand the processor off likewise.
//
// The scheduler trace (GODEBUG=schedtrace=N, Diagnostics/SchedulerTrace.cs): after
// each round, when N ms have passed since the last snapshot (the first one at once,
// as Go's), sysmon writes one. While the trace is on, no nap outlasts the time left to
// the next snapshot, so each comes on time however far the nap has backed off.
// Writing is not action: it does not reset the back-off.
//
// The deadlock detector (Diagnostics/DeadlockDetector.cs, Go's checkdead): after each
// round, while a Go.Main is in progress, sysmon checks whether the scheduler is quiet
// and nothing ran since the round before, then whether every goroutine is asleep, and
// if so queues a collection pass on the thread pool that decides. While no Go.Main is
// in progress this costs one field read per round. Watching is not action either.
//
// The network: when goroutines wait on I/O and nobody polled for 10 ms (every
// processor kept busy, no machine blocked in epoll_wait), it polls without waiting and
// queues what that readies (Scheduler.NetPoll.cs).
//
// Rejected: timer-driven checks per processor (a .NET Timer per processor fires on
// the thread pool, which a CPU hog may starve); hard preemption (the CLR offers
// no safe way to interrupt a thread at an arbitrary point).
//
// Invariants:
// - Only this thread writes the Sysmon* fields of processors.
// - It never holds a processor and never runs goroutine code.
// - It never waits for a leak pass (a full collection): the deadlock detector's
//   passes run on the thread pool, and its registry scan gives up a round when a
//   leak pass holds the registry.
internal sealed class SystemMonitor
{
    // Nap bounds (20 µs and 10 ms, as Go's sysmon).
    internal const long MinNapMicroseconds = 20;
    private const long MaxNapMicroseconds = 10_000;

    // Idle rounds before the nap starts doubling (50, as Go).
    private const int IdleRoundsBeforeBackoff = 50;

    // A processor whose goroutine has run this long without a scheduling tick is preempted (10 ms, as Go's forcePreemptNS).
    private static readonly long ForcePreemptTicks = Stopwatch.Frequency / 100;

    // A blocking region older than this loses its processor when there is other work (20 µs, as Go's retake).
    private static readonly long SyscallRetakeTicks = Stopwatch.Frequency / 50_000;

    private readonly Scheduler _scheduler;
    private readonly Thread _thread;
    private readonly Parker _parker = new();

    // A starvation clock that is not running: the queue was empty when last seen.
    internal const long NotWaiting = long.MinValue;

    // Progress of the global queue as last seen: how many were ever taken, and since when
    // goroutines have waited in it without a take (NotWaiting: it was empty).
    private long _globalTaken;
    private long _globalTakenSince = NotWaiting;

    // The trace settings the last snapshot was written under, and when (Stopwatch ticks).
    private SchedTraceOptions? _traceOptions;
    private long _lastTrace;

    public SystemMonitor(Scheduler scheduler)
    {
        _scheduler = scheduler;
        _thread = new Thread(Run, 256 * 1024) { IsBackground = true, Name = "goroutines sysmon" };
        Deadlocks = new DeadlockDetector(scheduler);
    }

    /// <summary>Go.Main's deadlock detector, which this thread drives.</summary>
    public DeadlockDetector Deadlocks { get; }

    /// <summary>Cuts the current nap short (a timer earlier than the nap's end was scheduled). Any thread.</summary>
    public void WakeUp() => _parker.Unpark();

    /// <summary>Starts the monitor thread.</summary>
    public void Start() => _thread.UnsafeStart();

    private void Run()
    {
        // The meter first, here rather than on the path of the program's first Go.Run: loading the
        // metrics stack (System.Diagnostics.Metrics and its event source) takes milliseconds of a cold start.
        _ = _scheduler.Metrics;
        long nap = MinNapMicroseconds;
        int idleRounds = 0;
        while (true)
        {
            if (idleRounds == 0)
            {
                nap = MinNapMicroseconds;
            }
            else if (idleRounds > IdleRoundsBeforeBackoff)
            {
                nap = Math.Min(nap * 2, MaxNapMicroseconds);
            }

            _scheduler.NapUntilTimerOrTimeout(_parker, LimitNapForTrace(nap));

            // Timers fired do not count as action: the next nap is cut short by the next timer anyway.
            _scheduler.ServeTimersFromMonitor();
            long now = Stopwatch.GetTimestamp();
            bool polled = _scheduler.PollNetworkFromMonitor(now);
            idleRounds = Retake(now) || polled ? 0 : idleRounds + 1;
            TraceIfDue(now);
            if (Deadlocks.IsWatching)
            {
                Deadlocks.MonitorRound(now);
            }
        }
    }

    /// <summary>Shortens <paramref name="nap"/> (µs) to end when the next trace snapshot is due.</summary>
    private long LimitNapForTrace(long nap)
    {
        SchedTraceOptions? options = _scheduler.SchedTrace;
        if (options is null || options != _traceOptions)
        {
            return options is null ? nap : MinNapMicroseconds; // new settings: the first snapshot at once
        }

        long dueIn = _lastTrace + PeriodTicks(options) - Stopwatch.GetTimestamp();
        long dueInMicroseconds = dueIn * 1_000_000 / Stopwatch.Frequency;
        return Math.Clamp(dueInMicroseconds, MinNapMicroseconds, nap);
    }

    /// <summary>Writes a scheduler trace snapshot if one is due.</summary>
    /// <remarks>Go: sysmon's schedtrace call.</remarks>
    private void TraceIfDue(long now)
    {
        SchedTraceOptions? options = _scheduler.SchedTrace;
        if (options is null)
        {
            _traceOptions = null;
            return;
        }

        if (options == _traceOptions && now - _lastTrace < PeriodTicks(options))
        {
            return;
        }

        _traceOptions = options;
        _lastTrace = now;
        try
        {
            _scheduler.WriteSchedTrace(options.Writer, options.Detailed);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // stderr closed or failing: the trace is best effort, sysmon goes on.
        }
    }

    private static long PeriodTicks(SchedTraceOptions options) =>
        (long)(options.Period.TotalSeconds * Stopwatch.Frequency);

    /// <summary>One round over all processors. Returns whether it did anything.</summary>
    /// <remarks>Go: retake.</remarks>
    private bool Retake(long now)
    {
        // The clock of the global queue's starvation runs only while it holds goroutines and
        // nobody takes from it, from the first round that saw it so: a goroutine queued a
        // moment ago is not starving.
        long taken = _scheduler.GlobalTaken;
        if (_scheduler.GlobalCount == 0)
        {
            _globalTakenSince = NotWaiting;
        }
        else if (taken != _globalTaken || _globalTakenSince == NotWaiting)
        {
            _globalTakenSince = now;
        }

        _globalTaken = taken;

        bool acted = false;
        foreach (Processor processor in _scheduler.Processors)
        {
            Machine? owner = processor.Owner;
            switch (processor.Status)
            {
                case ProcessorStatus.Running when owner is not null:
                    acted |= WatchRunning(processor, owner, now);
                    break;
                case ProcessorStatus.Syscall when owner is not null:
                    acted |= WatchBlockingRegion(processor, owner, now);
                    break;
                default:
                    processor.SysmonPreempted = false;
                    break;
            }
        }

        return acted;
    }

    private bool WatchRunning(Processor processor, Machine owner, long now)
    {
        uint tick = Volatile.Read(ref processor.ScheduleTick);
        if (tick != processor.SysmonTick)
        {
            processor.SysmonTick = tick;
            processor.SysmonTickSince = now;
            processor.SysmonPreempted = false;
            processor.SysmonQueueHeadSince = NotWaiting;
        }

        uint step = Volatile.Read(ref processor.StepTick);
        if (step != processor.SysmonStepTick)
        {
            processor.SysmonStepTick = step;
            processor.SysmonStepSince = now;
            processor.SysmonCpuTime = -1;
        }

        if (IsBlockedInKernel(processor, owner, now))
        {
            return RetakeBlocked(processor, owner, now - processor.SysmonStepSince);
        }

        if (now - processor.SysmonTickSince < ForcePreemptTicks)
        {
            return false;
        }

        if (!processor.SysmonPreempted)
        {
            processor.SysmonPreempted = true;
            processor.SliceExpired = true;
            if (owner.RunningGoroutine is { } g)
            {
                g.RequestPreempt();
                _scheduler.Trace?.RecordPreemptRequest(processor, owner, g);
            }

            return true;
        }

        // The local queue's starvation clock, like the global one's, runs from the first round of
        // this stuck slice that saw goroutines waiting and nobody taking from the queue.
        uint head = processor.RunQueue.Head;
        if (processor.RunQueue.IsEmpty)
        {
            processor.SysmonQueueHeadSince = NotWaiting;
        }
        else if (head != processor.SysmonQueueHead || processor.SysmonQueueHeadSince == NotWaiting)
        {
            processor.SysmonQueueHead = head;
            processor.SysmonQueueHeadSince = now;
        }

        bool stepStuck = now - processor.SysmonStepSince >= ForcePreemptTicks;
        bool localStarving = processor.SysmonQueueHeadSince != NotWaiting && now - processor.SysmonQueueHeadSince >= ForcePreemptTicks;
        // Work in the global queue waits for a stuck processor only if nobody else can take it:
        // with an idle processor or a spinning machine about, give them 10 ms; with every
        // processor busy and nobody looking, hand off as soon as a round passed without a take
        // (a timer's goroutine readied while hogs hold every processor runs now, not 10 ms late).
        long patience = _scheduler.IdleProcessorCount + _scheduler.SpinningMachines > 0 ? ForcePreemptTicks : 0;
        bool globalStarving = _globalTakenSince != NotWaiting && _scheduler.GlobalCount > 0 && now - _globalTakenSince > patience;
        return stepStuck
            && (localStarving || globalStarving)
            && !owner.InOwnerSection
            && _scheduler.TryPassThreadBound()
            && _scheduler.TryRetake(processor, owner);
    }

    // Whether the running goroutine is blocked in the kernel: its step has not moved for 20 µs,
    // its thread's CPU clock stood still as long, and the kernel has the thread asleep.
    private static bool IsBlockedInKernel(Processor processor, Machine owner, long now)
    {
        if (now - processor.SysmonStepSince < SyscallRetakeTicks || owner.Kernel is not { } kernel)
        {
            return false;
        }

        long cpu = kernel.CpuNanoseconds();
        if (cpu != processor.SysmonCpuTime || cpu < 0)
        {
            processor.SysmonCpuTime = cpu;
            processor.SysmonCpuSince = now;
            return false;
        }

        return now - processor.SysmonCpuSince >= SyscallRetakeTicks && kernel.IsAsleep();
    }

    // A blocking region's rule for a goroutine blocked outside one (see the header).
    private bool RetakeBlocked(Processor processor, Machine owner, long blockedFor)
    {
        if (processor.RunQueue.IsEmpty
            && _scheduler.GlobalCount == 0
            && _scheduler.SpinningMachines + _scheduler.IdleProcessorCount > 0
            && blockedFor < ForcePreemptTicks)
        {
            return false;
        }

        if (owner.InOwnerSection || !_scheduler.TryPassThreadBound())
        {
            return false;
        }

        // Asked to yield first, as the 10 ms rule does: back from its call, the goroutine runs on
        // without a processor until its next safe point, where it yields and its machine lets go.
        if (!processor.SysmonPreempted && owner.RunningGoroutine is { } g)
        {
            processor.SysmonPreempted = true;
            g.RequestPreempt();
            _scheduler.Trace?.RecordPreemptRequest(processor, owner, g);
        }

        if (!_scheduler.TryRetake(processor, owner))
        {
            return false;
        }

        _scheduler.NoteBlockedCallHandoff();
        return true;
    }

    private bool WatchBlockingRegion(Processor processor, Machine owner, long now)
    {
        uint tick = Volatile.Read(ref processor.SyscallTick);
        if (tick != processor.SysmonSyscallTick)
        {
            processor.SysmonSyscallTick = tick;
            processor.SysmonSyscallSince = now;
            return false;
        }

        long inRegion = now - processor.SysmonSyscallSince;
        if (inRegion < SyscallRetakeTicks)
        {
            return false;
        }

        // Keep it while nothing needs it: no local work, somebody else spinning or idle to
        // pick up new work, and the region is younger than 10 ms (Go's retake).
        if (processor.RunQueue.IsEmpty
            && _scheduler.GlobalCount == 0
            && _scheduler.SpinningMachines + _scheduler.IdleProcessorCount > 0
            && inRegion < ForcePreemptTicks)
        {
            return false;
        }

        return _scheduler.TryRetake(processor, owner);
    }
}
