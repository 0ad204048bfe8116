// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;

using Goroutines.Diagnostics;

namespace Goroutines.Scheduling;

// The machines' scheduling loop: Go's schedule, findRunnable, stealWork, execute
// and goexit0. See Scheduler.cs for the order of the search and the spinning
// protocol, Scheduler.Timers.cs for the timers it runs.
internal sealed partial class Scheduler
{
    // Every 61st tick the global queue goes first, so a pair of goroutines that keeps
    // readying each other cannot starve it (61, as Go: a prime, to avoid patterns).
    private const int GlobalQueueFairnessTicks = 61;

    // Rounds of stealing over all processors before giving up (4, as Go's stealTries).
    private const int StealRounds = 4;

    // With more processors than cores, a machine whose goroutines keep yielding gives its core
    // away once per this many yields (tens of microseconds). Measured at GOMAXPROCS 8 on 2 cores
    // (docs/design.md): a core yield on every yield made W12 30x slower and yielding TryLock
    // loops take 5x GOMAXPROCS 2's time; none left a lock holder's thread waiting out the OS's
    // time slices (4x); once per 1,024 yields, W12 runs as at GOMAXPROCS 2 and the loops 1.4x.
    private const int YieldsPerCoreYield = 1024;

    /// <summary>The body of every machine thread. Never returns.</summary>
    /// <remarks>Go: mstart1.</remarks>
    internal void RunMachine(Machine machine)
    {
        WaitForProcessor(machine);
        while (true)
        {
            Schedule(machine);
        }
    }

    /// <summary>
    /// One round of the loop: find a goroutine and run one step of it. A method of its own, so
    /// that no frame of the machine's thread keeps the last goroutine alive while the machine
    /// parks: unoptimized code (the loop's first tier) reports every local live to the garbage
    /// collector, and a parked goroutine held so could not be found leaked.
    /// </summary>
    /// <remarks>Go: schedule. Inlined into the loop once optimized (where liveness is exact); its
    /// own frame in unoptimized code, where it matters.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Schedule(Machine machine)
    {
        if (machine.Processor is null)
        {
            if (!TryAcquireIdleProcessor(machine))
            {
                StopMachine(machine);
            }

            return;
        }

        Goroutine? g = FindRunnable(machine, out bool inheritTime);
        if (g is null)
        {
            return;
        }

        if (machine.Spinning)
        {
            StopSpinning(machine);
        }

        if (g.LockedMachine is { } locked)
        {
            HandProcessorToLockedMachine(machine, locked);
            return;
        }

        Execute(machine, g, inheritTime);
    }

    /// <summary>
    /// Finds a goroutine to run, or returns null after the machine lost or gave up its processor
    /// (the caller loops). May park the machine. The machine holds a processor on entry.
    /// </summary>
    /// <remarks>Go: findRunnable.</remarks>
    private Goroutine? FindRunnable(Machine machine, out bool inheritTime)
    {
        inheritTime = false;
        Processor processor = machine.Processor!;
        if (processor.Retiring)
        {
            Retire(machine, processor);
            return null;
        }

        // This processor's due timers first (Go: checkTimers): the goroutines they ready land in
        // runNext. The clock is read only when a timer is queued. (On another TimeProvider, only
        // its own timer fires timers: see Scheduler.Timers.cs.)
        if (processor.Timers.NextWhen != long.MaxValue && _systemClock)
        {
            RunDueTimers(processor.Timers, Stopwatch.GetTimestamp());
            machine.TraceLastStepEnd = 0; // time went by since the last step: the next one reads the clock
        }

        bool sliceExpired = processor.SliceExpired;
        if (sliceExpired)
        {
            // Go preempts the goroutine whose slice ran out; ours may be parked already and
            // readied into runNext by its partner. Start a new slice: runNext to the back.
            processor.SliceExpired = false;
            processor.ScheduleTick++;
            processor.RunQueue.DemoteRunNext(this);
        }

        // The global queue first every 61st tick (Go's fairness), at a new slice, and while a goroutine
        // whose blocking region ended waits there for a processor: it holds whatever its blocking
        // call obtained (a Mutex.Lock's mutex), and the rings may keep others busy for long.
        Goroutine? g;
        if ((sliceExpired || processor.ScheduleTick % GlobalQueueFairnessTicks == 0 || Volatile.Read(ref _regionExitsWaiting) > 0)
            && Volatile.Read(ref _globalCount.Value) > 0)
        {
            g = TakeGlobal(processor, 1);
            if (g is not null)
            {
                return g;
            }
        }

        g = processor.RunQueue.TryPop(out inheritTime);
        if (g is not null)
        {
            return g;
        }

        machine.TraceLastStepEnd = 0; // from here on the machine may look long, or park

        if (Volatile.Read(ref _globalCount.Value) > 0)
        {
            g = TakeGlobal(processor, 0);
            if (g is not null)
            {
                return g;
            }
        }

        // The network, before stealing (Go: findRunnable's netpoll(0)): an optimization, as the
        // machine blocked in epoll_wait or the system monitor would see the edges too.
        g = PollNetworkWithoutWaiting(machine, processor);
        if (g is not null)
        {
            return g;
        }

        // Spin (steal) only while fewer than half of the busy processors have a spinning machine.
        if (machine.Spinning || 2 * Volatile.Read(ref _spinningMachines.Value) < Volatile.Read(ref _maxProcs) - Volatile.Read(ref _idleProcessorCount.Value))
        {
            if (!machine.Spinning)
            {
                machine.Spinning = true;
                Interlocked.Increment(ref _spinningMachines.Value);
            }

            g = StealWork(machine, processor);
            if (g is not null)
            {
                return g;
            }
        }

        // Before giving up: the due timers of every processor (an idle or stuck one's timers
        // would wait otherwise). What they ready is in our queue now: go round again. (A timer
        // that readied nothing, a tick nobody waits for, must not keep the machine from parking.)
        if (_systemClock && RunDueTimersEverywhere() > 0 && !processor.RunQueue.IsEmpty)
        {
            return null;
        }

        // Nothing anywhere: give the processor back and sleep.
        int taken;
        lock (_lock)
        {
            taken = TakeGlobalLocked(processor, 0);
            if (taken == 0)
            {
                machine.Processor = null;
                PutIdleProcessorLocked(processor);
            }
        }

        if (taken > 0)
        {
            return Distribute(processor, taken);
        }

        NoteProcessorIdle();
        if (machine.Spinning)
        {
            machine.Spinning = false;
            Interlocked.Decrement(ref _spinningMachines.Value); // full fence before the re-checks below
            if (TryResumeSpinning(machine))
            {
                return null;
            }
        }

        // Goroutines wait on I/O and nobody watches for it: wait in epoll_wait instead of parking.
        if (TryBlockInNetworkPoll(machine))
        {
            return null;
        }

        StopMachine(machine);
        return null;
    }

    /// <summary>
    /// The re-check of the delicate dance: after a machine stopped spinning, work that appeared
    /// meanwhile in the global queue or any local queue must not be stranded.
    /// </summary>
    private bool TryResumeSpinning(Machine machine)
    {
        bool workSeen = Volatile.Read(ref _globalCount.Value) > 0;
        if (!workSeen)
        {
            foreach (Processor other in Processors)
            {
                if (other is not null && !other.RunQueue.IsEmpty)
                {
                    workSeen = true;
                    break;
                }
            }
        }

        if (!workSeen || !TryAcquireIdleProcessor(machine))
        {
            return false;
        }

        machine.Spinning = true;
        Interlocked.Increment(ref _spinningMachines.Value);
        return true;
    }

    /// <summary>A spinning machine found work: it stops spinning and, if it was the last spinner, wakes another.</summary>
    /// <remarks>Go: resetspinning.</remarks>
    private void StopSpinning(Machine machine)
    {
        machine.Spinning = false;
        if (Interlocked.Decrement(ref _spinningMachines.Value) == 0)
        {
            Wakep();
        }
    }

    /// <summary>Tries to steal from other processors, in random order, for a few rounds.</summary>
    /// <remarks>Go: stealWork.</remarks>
    private Goroutine? StealWork(Machine machine, Processor processor)
    {
        Processor[] all = Processors;
        int n = all.Length;
        for (int round = 0; round < StealRounds; round++)
        {
            bool stealRunNext = round == StealRounds - 1;
            int start = (int)(machine.NextRandom() % (uint)n);
            for (int i = 0; i < n; i++)
            {
                Processor victim = all[(start + i) % n];
                if (victim == processor || victim.Status == ProcessorStatus.Idle)
                {
                    continue;
                }

                Goroutine? g = processor.RunQueue.TryStealInto(victim.RunQueue, stealRunNext);
                if (g is not null)
                {
                    processor.Steals++;
                    _trace?.RecordSteal(processor, machine, victim, processor.RunQueue.Count + 1);
                    return g;
                }
            }
        }

        return null;
    }

    /// <summary>Runs one step of <paramref name="g"/> and files it according to the outcome.</summary>
    /// <remarks>Go: execute, then the park, gosched and goexit paths.</remarks>
    private void Execute(Machine machine, Goroutine g, bool inheritTime)
    {
        Processor processor = machine.Processor!;
        if (!inheritTime)
        {
            processor.ScheduleTick++;
        }

        processor.StepTick++;
        machine.SpawnsThisStep = 0;
        if (g.RegistrySlot < 0)
        {
            // Its first step: it joins the registry here, on the processor that runs it. A
            // goroutine that never parks lives and dies in this step, so its registration and
            // its exit's removal are stores into a line this processor just wrote (GoroutineList.cs).
            processor.Goroutines.Add(g);
            processor.Started++;
        }

        if (processor.HandoffPending)
        {
            // A request sysmon left while we were in the loop: we are not stuck, cancel it
            // (we are in our section, so sysmon cannot complete it meanwhile).
            processor.CheckOwnership(machine, inStep: false);
        }

        // 0: RecordStep clips to the trace's start. Straight from the last step through the local queue
        // (runNext or the ring, or the global queue's fairness take), this step begins where that one
        // ended: one clock read per step instead of two, the few instructions between them counted
        // in this step. Anywhere farther (stealing, the network, a park), FindRunnable cleared it.
        long traceStepStart = _trace is null ? 0 : machine.TraceLastStepEnd != 0 ? machine.TraceLastStepEnd : Stopwatch.GetTimestamp();
        machine.TraceStepStart = traceStepStart;

        g.MarkRunning();
        machine.RunningGoroutine = g;
        SynchronizationContext.SetSynchronizationContext(g);
        machine.LeaveForStep();

        g.RunStep();
        bool regionLeftOpen = g.EndRegionLeftOpen(); // before FinishStep, which sets the status
        WaitReason parkReason = g.PendingParkReason; // before FinishStep: once parked, a waker may change it
        object? selfPost = machine.SelfPost;
        machine.SelfPost = null;
        object? parkedFlow = machine.ParkedFlow;
        machine.ParkedFlow = null;
        Goroutine.StepOutcome outcome = g.FinishStep(selfPost, parkedFlow);
        BubbleMember? member = g.InLiveBubble ? Bubble.MemberOf(g) : null;
        if (outcome == Goroutine.StepOutcome.Exited && g.PanicException is { } panic)
        {
            // Outside the owner section: the handler is user code, and may block. A bubble's
            // goroutine fails its bubble instead, the test that runs it reports the exception;
            // once the bubble's outcome is decided, a later panic is reported as any other.
            if (!(g.InBubble && Bubble.MemberOf(g)!.Bubble.TryFailWith(panic)))
            {
                ReportPanic(g, panic);
            }
        }

        if (machine.SelfPost is { } late)
        {
            // Posted to the goroutine after its step: by a panic handler reporting on it, or by the
            // root task's continuation when the task completed as FinishStep added it. That is work
            // for the goroutine's queue (its exit runs it as an orphan), never for the next
            // goroutine this machine runs.
            machine.SelfPost = null;
            g.Enqueue(late);
        }

        bool owned = machine.ReturnFromStep();
        if (regionLeftOpen && owned)
        {
            // The step ended inside a blocking region (an await in it): its thread is not
            // blocked, so the region ends here, on its own machine (BlockingRegion.cs).
            machine.Processor!.Status = ProcessorStatus.Running;
        }

        SynchronizationContext.SetSynchronizationContext(null);
        machine.RunningGoroutine = null;
        Processor? current = owned ? machine.Processor : null; // a blocking region may have moved us to another processor
        machine.TraceLastStepEnd = 0;
        _trace?.RecordStep(processor, machine, g, traceStepStart, outcome, parkReason, current);
        machine.TraceStepStart = 0;

        if (member is { Bubble.IsExplored: true } && outcome is Goroutine.StepOutcome.Yielded or Goroutine.StepOutcome.Preempted or Goroutine.StepOutcome.MoreWork)
        {
            member.Bubble.AfterStep(member, outcome); // its bubble queues it when its turn comes
            return;
        }

        switch (outcome)
        {
            case Goroutine.StepOutcome.Exited:
                ExitGoroutine(current, g);
                member?.Bubble.NoteExit(member);
                break;
            case Goroutine.StepOutcome.Yielded or Goroutine.StepOutcome.Preempted:
                // A preempted goroutine goes to the global queue's tail, as Go's gopreempt_m:
                // it was hogging its processor, so everyone waiting anywhere goes first. A
                // voluntary yield (Gosched) goes to the local ring's tail instead of Go's
                // global queue: with two processors, the global queue's lock and the
                // goroutines migrating between cores made a yield cost 200 ns instead of
                // 27 ns (W12). The global queue still gets its turn every 61st tick, and
                // other processors steal from the ring, so no goroutine waits unboundedly.
                if (outcome == Goroutine.StepOutcome.Preempted)
                {
                    CountPreemption(current);
                }

                if (current is null || outcome == Goroutine.StepOutcome.Preempted)
                {
                    PutGlobal(g);
                    Wakep();
                }
                else
                {
                    current.RunQueue.Push(g, next: false, this);
                    if (MaxProcs > Environment.ProcessorCount
                        && (Volatile.Read(ref _blockedThreadsWoken) > 0 || ++machine.YieldsSinceCoreYield >= YieldsPerCoreYield))
                    {
                        // More processors than cores, so machine threads take turns on the cores,
                        // and a goroutine that yields is waiting for others: give the core away for
                        // a moment when a thread blocked on a waiter (a locker in Mutex.Lock) was
                        // readied and waits for a core, and every YieldsPerCoreYield yields anyway,
                        // for the threads the OS took a core from (a lock holder's). Go's Gosched
                        // does neither: its goroutines never block threads.
                        machine.YieldsSinceCoreYield = 0;
                        Thread.Yield();
                    }
                }

                break;
            case Goroutine.StepOutcome.MoreWork:
                if (current is not null)
                {
                    current.RunQueue.Push(g, next: false, this);
                }
                else
                {
                    PutGlobal(g);
                    Wakep();
                }

                break;
            case Goroutine.StepOutcome.Parked:
                if (parkReason.IsChannelWait())
                {
                    CountChannelPark(current);
                }

                break;
        }

        member?.Bubble.AfterStep(member, outcome);
    }

    private void CountPreemption(Processor? processor)
    {
        if (processor is not null)
        {
            processor.Preemptions++;
        }
        else
        {
            Interlocked.Increment(ref _offProcessorPreemptions);
        }
    }

    /// <summary>Ends an exited goroutine and counts it. The object is not reused (see Goroutine.cs).</summary>
    /// <remarks>Go: goexit0.</remarks>
    private void ExitGoroutine(Processor? processor, Goroutine g)
    {
        GoroutineListOf(g).Remove(g);
        g.Exit();
        if (processor is null)
        {
            Interlocked.Increment(ref _exitedOffProcessor);
        }
        else
        {
            processor.Exited++;
        }
    }

    /// <summary>
    /// Ends a goroutine that will never run again without running it: one an explored bubble held
    /// runnable when its run failed (Bubble.cs). Whoever holds its scheduled flag, with no machine running it.
    /// </summary>
    internal void Abandon(Goroutine g)
    {
        if (g.RegistrySlot >= 0)
        {
            GoroutineListOf(g).Remove(g);
            Interlocked.Increment(ref _exitedOffProcessor);
        }
        else
        {
            Interlocked.Decrement(ref _spawnedOffProcessor); // never started: as if never spawned, for the counts
        }

        g.Abandon();
    }

    /// <summary>
    /// The machine picked a goroutine whose own machine waits in a blocking region's slow exit:
    /// hand it this processor and stop (Go: startlockedm).
    /// </summary>
    private void HandProcessorToLockedMachine(Machine machine, Machine locked)
    {
        Processor processor = machine.Processor!;
        machine.Processor = null;
        lock (_lock)
        {
            processor.Owner = null;
        }

        Volatile.Write(ref locked.NextProcessor, processor);
        locked.Parker.Unpark();
        StopMachine(machine);
    }

    /// <summary>
    /// Retires a processor beyond GOMAXPROCS: its queued goroutines go global, and the
    /// machine looks for another processor or stops.
    /// </summary>
    /// <remarks>Go: procresize's destroy, done lazily by the owner instead of under stop-the-world.</remarks>
    private void Retire(Machine machine, Processor processor)
    {
        bool retired;
        lock (_lock)
        {
            MoveLocalWorkToGlobalLocked(processor);

            // GOMAXPROCS may have grown back since Retiring was read: then keep the processor.
            retired = processor.Retiring;
            if (retired)
            {
                processor.Owner = null;
                processor.Status = ProcessorStatus.Retired;
                machine.Processor = null;
            }
        }

        if (retired && machine.Spinning)
        {
            machine.Spinning = false;
            Interlocked.Decrement(ref _spinningMachines.Value);
        }

        Wakep();
    }
}
