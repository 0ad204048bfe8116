// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Diagnostics;
using Goroutines.Internal;

namespace Goroutines.Scheduling;

// The scheduler: Go's GMP runtime (src/runtime/proc.go) for stackless goroutines.
//
// Vocabulary
//   G  Goroutine: an async function and its scheduling state.
//   M  Machine:   a dedicated OS thread that runs goroutines.
//   P  Processor: the right to run goroutines, with a local run queue.
//                 There are GOMAXPROCS of them; an M runs Gs only while it owns a P.
//
// What runs where
//   A goroutine is stackless: its state is the chain of suspended async frames on
//   the heap, and it suspends only at an await. A machine runs it one step at a
//   time: the entry function up to its first incomplete await, then one
//   continuation per readying. Readying never runs code inline: the readied G goes
//   to the current P's runNext (inheriting the time slice, as in Go) or, from a
//   thread with no P, to the global queue with a wake-up. So a chain of 10,000
//   goroutines readying each other never dives down one thread's stack.
//
// The scheduling loop (RunMachine, FindRunnable), in Go's findRunnable order:
//   1. every 61st schedule tick, one G from the global queue first (fairness);
//   2. runNext, then the local ring;
//   3. the global queue (a batch: up to len/GOMAXPROCS+1, at most half a ring);
//   4. steal: 4 rounds over all Ps from a random start, half of a victim's ring,
//      its runNext in the last round only;
//   5. give the P back and park the M.
//   Spinning Ms (looking for work to steal) are limited to half of the busy Ps. An M
//   that finds work while spinning wakes another (wakep), so work spreads in a
//   cascade without waking every M for every G.
//
// Parking and unparking workers (Go's "delicate dance"). When work is submitted,
// Wakep starts a spinning M only if there is an idle P and no M is spinning
// already. An M that stops spinning first decrements the spinning count (a full
// fence), then re-checks the global queue and every local queue, so a submitter
// that saw a spinning M and did not wake anyone cannot leave work stranded. Work
// put on a local queue is never stranded anyway: its owner will run it.
//
// Hogs and blocking calls: SystemMonitor.cs. Ownership hand-off: Processor.cs.
// Goroutine steps and readying: Goroutine.cs.
// The trace and metrics: Scheduler.Diagnostics.cs and Diagnostics/.
//
// Rejected: building on the .NET ThreadPool (its work items cannot be stolen
// back, it has no runNext or hand-off, and its hill-climbing adds threads where Go
// would hand off a P); running readied continuations inline (stack dives and
// unfairness); one SynchronizationContext per machine (a post must reach the
// goroutine that awaited, not the thread).
//
// Lock order: the scheduler lock (_lock, Go's sched.lock) protects the idle
// processor and idle machine lists, the global run queue, the processor array and the machine count. Nothing else is acquired while it is
// held, and no goroutine code ever runs under it.
//
// Invariants:
// - A runnable goroutine is in exactly one run queue (a ring, a runNext slot, the
//   global queue) or is being taken out of one by the machine that will run it.
// - _idleProcessorCount, _globalCount and _idleMachineCount are written under _lock
//   and read racily as hints.
// - _spinningMachines counts machines with Spinning set, plus transient increments
//   by Wakep that StartMachine consumes.
internal sealed partial class Scheduler
{
    private static Scheduler? s_instance;

    private readonly Lock _lock = new();

    // ---- under _lock ----
    private Processor[] _processors;
    private Processor? _idleProcessors;
    private Machine? _idleMachines;
    private readonly GlobalRunQueue _globalQueue = new();
    private int _machineCount;

    // ---- written under _lock, read racily ----
    private int _maxProcs;
    private int _idleMachineCount;
    private long _globalTaken;

    // Read on every ready, spawn and scheduling round: each on a cache line of its own.
    private PaddedInt32 _idleProcessorCount;
    private PaddedInt32 _globalCount;

    // ---- interlocked ----
    private PaddedInt32 _spinningMachines;
    private long _nextGoroutineId;
    private long _spawnedOffProcessor;
    private long _exitedOffProcessor;
    private long _handoffs;

    // Goroutines back from a blocking region, waiting in the global queue for a processor (BlockingRegion's slow exit).
    private int _regionExitsWaiting;

    // Threads blocked on a waiter (Mutex.Lock, a channel's synchronous forms) that were readied
    // and have not run yet: they need a core, which a yielding goroutine's thread gives away.
    private int _blockedThreadsWoken;
    private long _blockedCallHandoffs;
    private long _stuckHandoffsRefused;
    private long _offProcessorPreemptions;

    // Go's default thread limit (10,000, as debug.SetMaxThreads documents); under _lock.
    private int _maxThreads = 10_000;
    private int _stackBytes = Machine.DefaultMaxStackBytes;

    private readonly SystemMonitor _monitor;

    private Scheduler(int maxProcs)
    {
        _maxProcs = maxProcs;
        _processors = new Processor[maxProcs];
        for (int i = maxProcs - 1; i >= 0; i--)
        {
            var processor = new Processor(i);
            _processors[i] = processor;
            PutIdleProcessorLocked(processor);
        }

        _machineCount = 1; // sysmon runs on a thread of its own, counted as Go counts it
        _monitor = new SystemMonitor(this);
    }

    /// <summary>The process-wide scheduler, created and started on first use.</summary>
    public static Scheduler Instance => Volatile.Read(ref s_instance) ?? CreateInstance();

    private static Scheduler CreateInstance()
    {
        var scheduler = new Scheduler(MaxProcsFromEnvironment());
        if (Interlocked.CompareExchange(ref s_instance, scheduler, null) is null)
        {
            // GODEBUG is read once, before sysmon starts (its thread start publishes the setting).
            scheduler._schedTrace = SchedTraceOptions.FromGoDebug(GoDebug.FromEnvironment());
            DumpOnSignal.InstallFromEnvironment();
            FlightRecorderOnSignal.InstallFromEnvironment();
            scheduler._monitor.Start();
        }

        return s_instance!;
    }

    /// <summary>GOMAXPROCS from the environment variable when it is a positive integer, else the CPU count (as Go).</summary>
    private static int MaxProcsFromEnvironment()
    {
        string? value = Environment.GetEnvironmentVariable("GOMAXPROCS");
        return int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n > 0
            ? Math.Min(n, MaxProcessors)
            : Math.Min(Environment.ProcessorCount, MaxProcessors);
    }

    /// <summary>Current GOMAXPROCS.</summary>
    public int MaxProcs => Volatile.Read(ref _maxProcs);

    /// <summary>All processors ever created, retired ones included. Read racily.</summary>
    internal Processor[] Processors => Volatile.Read(ref _processors);

    internal int SpinningMachines => Volatile.Read(ref _spinningMachines.Value);

    internal int IdleProcessorCount => Volatile.Read(ref _idleProcessorCount.Value);

    internal int GlobalCount => Volatile.Read(ref _globalCount.Value);

    /// <summary>Goroutines ever taken from the global queue; sysmon watches it move.</summary>
    internal long GlobalTaken => Volatile.Read(ref _globalTaken);

    // ---------------------------------------------------------------- spawning and readying

    // Goroutines in the global queue, and spawned by one step, past which a spawner whose step ran
    // past its time slice waits for the queue to drain (ThrottleSpawner): a few milliseconds of
    // first steps.
    private const int SpawnBacklogLimit = 8192;

    /// <summary>
    /// Creates a goroutine running <paramref name="entry"/> (an Action, a Func of Task or ValueTask,
    /// or a <see cref="GoroutineEntry"/>) and queues it, and returns its id. Any thread. The parent is the running goroutine unless <paramref name="parentId"/> names one.
    /// </summary>
    /// <remarks>
    /// The id, not the goroutine: a caller that keeps the goroutine in a local while it blocks
    /// (Go.Main) would keep it reachable, and the deadlock detector could never find it.
    /// Go: newproc.
    /// </remarks>
    public long Spawn(object entry, string? member, string? file, int line, MainExit? exitSignal = null, long parentId = -1) =>
        Spawn(ExecutionContext.Capture(), entry, member, file, line, exitSignal, parentId);

    /// <summary>
    /// Spawns <paramref name="entry"/> in <paramref name="captured"/>, an execution context taken
    /// when the spawn was arranged (none: flow was suppressed then), not the calling thread's: for
    /// functions registered now and started later by whichever thread fires them
    /// (<c>Clock.AfterFunc</c>, <c>Context.AfterFunc</c>), as .NET's timers and token registrations do.
    /// </summary>
    public void SpawnIn(ExecutionContext? captured, Delegate entry, string member, string file, int line) =>
        Spawn(captured, entry, member, file, line, exitSignal: null, parentId: -1);

    /// <summary>Spawns the first goroutine of <paramref name="bubble"/>, running <paramref name="body"/>.</summary>
    public void SpawnInBubble(Bubble bubble, Func<Task> body, string member, string file, int line) =>
        Spawn(ExecutionContext.Capture(), body, member, file, line, exitSignal: null, parentId: -1, bubble);

    // The entry runs in executionContext, as Task.Run's delegate runs in its caller's. A goroutine
    // spawned inside a bubble (or as its first, rootOf) joins it.
    private long Spawn(ExecutionContext? executionContext, object entry, string? member, string? file, int line, MainExit? exitSignal, long parentId, Bubble? rootOf = null)
    {
        Bubble? bubble = rootOf ?? Bubble.Current;
        Machine? machine = Machine.Current;
        if (parentId < 0)
        {
            parentId = machine?.RunningGoroutine?.Id ?? 0;
        }

        bool entered = false;
        Processor? processor = machine?.EnterRuntime(out entered);
        long id;
        if (processor is not null)
        {
            id = processor.NextGoroutineId(ref _nextGoroutineId);
            processor.Spawned++;
        }
        else
        {
            id = Interlocked.Increment(ref _nextGoroutineId);
            Interlocked.Increment(ref _spawnedOffProcessor);
        }

        if (machine is not null)
        {
            machine.SpawnsThisStep++; // with or without a processor: sysmon may have taken it from a long step
        }

        var g = new Goroutine(id, entry, parentId, member, file, line, exitSignal, executionContext);
        _trace?.RecordReady(g, machine, processor, spawned: true);
        if (bubble?.Adopt(g, isRoot: rootOf is not null) == true)
        {
            // An explored bubble queues its goroutines itself, one at a time.
            if (processor is not null)
            {
                machine!.LeaveRuntime(entered);
            }

            bubble.MoveOn();
            return id;
        }

        QueueRunnable(g, machine, processor, entered, wakeForRunNext: true);
        if (machine is { SpawnsThisStep: > SpawnBacklogLimit, RunningGoroutine.PreemptRequested: true } && bubble is null
            && Volatile.Read(ref _globalCount.Value) > SpawnBacklogLimit)
        {
            ThrottleSpawner();
        }

        return id;
    }

    /// <summary>
    /// Lets the backlog of a spawner that outruns its processors drain. The spawner's step has run
    /// past its time slice (sysmon asked it to yield), it spawned more than
    /// <see cref="SpawnBacklogLimit"/> goroutines in this step, and as many wait in the global
    /// queue. Go would preempt it, and the goroutines waiting (those a timer woke among them) would
    /// run; a synchronous Go.Run cannot suspend its caller, so its thread waits in a blocking
    /// region, its processor serving the queue meanwhile, until the backlog halved or a time slice
    /// (10 ms) passed.
    /// </summary>
    /// <remarks>
    /// Measured: a million goroutines spawned in one step, each sleeping 1 s, woke with a p99
    /// lateness of 450–760 ms, those readied by timers waiting behind hundreds of thousands never
    /// run (Go: 105–239 ms; the same program yielding every 1,000 spawns: 63 ms). The step's own
    /// count keeps other steps alone: a collection's pause makes any running step look stuck to
    /// sysmon for a moment, and a tree of spawners (W6) has a backlog with no such spawner.
    /// </remarks>
    private void ThrottleSpawner()
    {
        long deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 100);
        using (BlockingRegion.Enter())
        {
            while (Volatile.Read(ref _globalCount.Value) > SpawnBacklogLimit / 2 && Stopwatch.GetTimestamp() < deadline)
            {
                Thread.Sleep(1);
            }
        }
    }

    /// <summary>
    /// Queues a goroutine that just became runnable (its scheduled flag already won): into the
    /// current processor's runNext, or the global queue from a thread without one. Any thread.
    /// </summary>
    /// <remarks>Go: ready.</remarks>
    public void Ready(Goroutine g)
    {
        g.Status = GoroutineStatus.Runnable;
        Machine? machine = Machine.Current;
        if (machine?.InjectBatch is { } batch)
        {
            _trace?.RecordReady(g, machine, machine.Processor, spawned: false);
            batch.Add(g); // a network poll's harvest, queued together (Scheduler.NetPoll.cs)
            return;
        }

        bool entered = false;
        Processor? processor = machine?.EnterRuntime(out entered);
        _trace?.RecordReady(g, machine, processor, spawned: false);
        QueueRunnable(g, machine, processor, entered, wakeForRunNext: true);
    }

    /// <summary>
    /// Readies a goroutine that the calling machine is to run next, as an explored bubble hands
    /// its goroutines out one at a time: into runNext without waking another machine, which
    /// would only find nothing to steal (a futex wake per explored step). From a thread
    /// without a processor, as <see cref="Ready"/>.
    /// </summary>
    public void ReadyForThisMachine(Goroutine g)
    {
        g.Status = GoroutineStatus.Runnable;
        Machine? machine = Machine.Current;
        bool entered = false;
        Processor? processor = machine?.EnterRuntime(out entered);
        _trace?.RecordReady(g, machine, processor, spawned: false);
        QueueRunnable(g, machine, processor, entered, wakeForRunNext: false);
    }

    /// <summary>
    /// The common tail of spawning and readying: runNext of <paramref name="processor"/> (then leaves
    /// the section <paramref name="machine"/> entered for it), else the global queue; then wakep,
    /// for runNext only if <paramref name="wakeForRunNext"/>.
    /// </summary>
    private void QueueRunnable(Goroutine g, Machine? machine, Processor? processor, bool entered, bool wakeForRunNext)
    {
        if (processor is not null)
        {
            processor.RunQueue.Push(g, next: true, this);
            machine!.LeaveRuntime(entered);
            if (!wakeForRunNext)
            {
                return;
            }
        }
        else
        {
            PutGlobal(g);
        }

        Wakep();
    }

    /// <summary>Runs work posted to an exited goroutine as a goroutine of its own.</summary>
    public void RunOrphan(object item, long parentId)
    {
        Action entry = item is IGoroutineWorkItem work ? work.Execute : (Action)item;
        Spawn(entry, "(orphaned continuation)", null, 0, parentId: parentId);
    }

    // ---------------------------------------------------------------- the global run queue

    /// <summary>Appends one goroutine to the global queue. Any thread.</summary>
    /// <remarks>Go: globrunqput.</remarks>
    public void PutGlobal(Goroutine g)
    {
        lock (_lock)
        {
            PutGlobalLocked(g);
        }
    }

    /// <summary>Appends the first <paramref name="count"/> goroutines of <paramref name="items"/> to the global queue. Any thread.</summary>
    /// <remarks>Go: globrunqputbatch.</remarks>
    public void PutGlobalRange(Goroutine?[] items, int count)
    {
        lock (_lock)
        {
            _globalQueue.PutRange(items, count);
            Volatile.Write(ref _globalCount.Value, _globalQueue.Count);
        }
    }

    private void PutGlobalLocked(Goroutine g)
    {
        Debug.Assert(_lock.IsHeldByCurrentThread, "scheduler lock must be held");
        _globalQueue.Put(g);
        Volatile.Write(ref _globalCount.Value, _globalQueue.Count);
    }

    /// <summary>
    /// Takes goroutines from the global queue for <paramref name="processor"/>: with
    /// <paramref name="max"/> 1 just one, else up to len/GOMAXPROCS+1 (at most half a ring).
    /// Returns one to run; the rest go to the processor's ring after the lock is released.
    /// </summary>
    /// <remarks>Go: globrunqget.</remarks>
    private Goroutine? TakeGlobal(Processor processor, int max)
    {
        int count;
        lock (_lock)
        {
            count = TakeGlobalLocked(processor, max);
        }

        return Distribute(processor, count);
    }

    /// <summary>
    /// The locked half of <see cref="TakeGlobal"/>: moves references into the processor's transfer
    /// buffer and returns how many. Scheduler lock must be held.
    /// </summary>
    private int TakeGlobalLocked(Processor processor, int max)
    {
        Debug.Assert(_lock.IsHeldByCurrentThread, "scheduler lock must be held");
        int queued = _globalQueue.Count;
        if (queued == 0)
        {
            return 0;
        }

        int limit = Math.Min((queued / Math.Max(_maxProcs, 1)) + 1, GlobalRunQueue.ChunkSize);
        if (max > 0 && limit > max)
        {
            limit = max;
        }

        int count = _globalQueue.TakeInto(processor.TransferBuffer, limit);
        Volatile.Write(ref _globalCount.Value, _globalQueue.Count);
        Volatile.Write(ref _globalTaken, _globalTaken + count);
        return count;
    }

    /// <summary>
    /// Returns the first of the <paramref name="count"/> goroutines in the processor's transfer
    /// buffer (null if none) and pushes the rest into its ring. Owner only.
    /// </summary>
    private Goroutine? Distribute(Processor processor, int count)
    {
        if (count == 0)
        {
            return null;
        }

        Goroutine?[] buffer = processor.TransferBuffer;
        Goroutine first = buffer[0]!;
        for (int i = 1; i < count; i++)
        {
            processor.RunQueue.Push(buffer[i]!, next: false, this);
        }

        Array.Clear(buffer, 0, count);
        return first;
    }

    // ---------------------------------------------------------------- idle processors and machines

    private void PutIdleProcessorLocked(Processor processor)
    {
        Debug.Assert(processor.RunQueue.IsEmpty, "an idle processor has an empty run queue");
        processor.Owner = null;
        if (processor.Retiring)
        {
            // Beyond GOMAXPROCS since its machine last looked (SetMaxProcs sets Retiring under
            // this lock): it retires instead of going idle, so the idle list holds no processor
            // beyond the count (Scheduler.Processors.cs).
            processor.Status = ProcessorStatus.Retired;
            return;
        }

        processor.Status = ProcessorStatus.Idle;
        processor.IdleLink = _idleProcessors;
        _idleProcessors = processor;
        Volatile.Write(ref _idleProcessorCount.Value, _idleProcessorCount.Value + 1);
    }

    private Processor? TakeIdleProcessorLocked()
    {
        Processor? processor = _idleProcessors;
        if (processor is not null)
        {
            // Running from here on, though nobody owns it until the receiving machine's
            // AcquireBy: a processor in transit must not look idle to SetMaxProcs, which
            // would retire it and could put it back on the idle list for a second machine.
            processor.Status = ProcessorStatus.Running;
            _idleProcessors = processor.IdleLink;
            processor.IdleLink = null;
            Volatile.Write(ref _idleProcessorCount.Value, _idleProcessorCount.Value - 1);
        }

        return processor;
    }

    /// <summary>Gives <paramref name="machine"/> an idle processor if there is one. The machine's own thread.</summary>
    internal bool TryAcquireIdleProcessor(Machine machine)
    {
        Processor? processor;
        lock (_lock)
        {
            processor = TakeIdleProcessorLocked();
        }

        if (processor is null)
        {
            return false;
        }

        machine.Acquire(processor);
        return true;
    }

    /// <summary>
    /// Whether a goroutine that found a mutex held may busy-wait round <paramref name="iteration"/>
    /// for it instead of parking: only a few rounds (4, as Go's active_spin), on several cores with
    /// GOMAXPROCS above 1, while another processor runs (its holder may be there) and nothing
    /// waits in this processor's queue. The goroutine's own code only.
    /// </summary>
    /// <remarks>Go: sync_runtime_canSpin.</remarks>
    public bool CanSpinForMutex(int iteration) =>
        iteration < 4
        && Environment.ProcessorCount > 1
        && Volatile.Read(ref _maxProcs) > IdleProcessorCount + SpinningMachines + 1
        && Machine.Current?.Processor is { } processor
        && processor.RunQueue.IsEmpty;

    /// <summary>
    /// Starts a spinning machine if there is an idle processor and no machine spins already.
    /// Called whenever work appears.
    /// </summary>
    /// <remarks>Go: wakep.</remarks>
    public void Wakep()
    {
        if (Volatile.Read(ref _idleProcessorCount.Value) == 0
            || Volatile.Read(ref _spinningMachines.Value) != 0
            || Interlocked.CompareExchange(ref _spinningMachines.Value, 1, 0) != 0)
        {
            return;
        }

        StartMachine(null, spinning: true);
    }

    /// <summary>
    /// Runs some machine on <paramref name="processor"/> (an idle one when null): wakes an idle
    /// machine or creates one. With <paramref name="spinning"/>, the caller has already counted
    /// the machine as spinning; if no processor can be had, the count is undone.
    /// </summary>
    /// <remarks>Go: startm.</remarks>
    public void StartMachine(Processor? processor, bool spinning)
    {
        Machine? machine;
        int id;
        lock (_lock)
        {
            processor ??= TakeIdleProcessorLocked();
            if (processor is null)
            {
                if (spinning)
                {
                    Interlocked.Decrement(ref _spinningMachines.Value);
                }

                return;
            }

            machine = _idleMachines;
            id = _machineCount;
            if (machine is not null)
            {
                _idleMachines = machine.IdleLink;
                machine.IdleLink = null;
                Volatile.Write(ref _idleMachineCount, _idleMachineCount - 1);
                machine.Spinning = spinning;
                Volatile.Write(ref machine.NextProcessor, processor); // release: publishes Spinning; pairs with the acquire in WaitForProcessor
            }
            else if (id >= _maxThreads)
            {
                // No thread for it: its queued goroutines go global, so that whichever machine
                // gets a thread first runs them, and the processor goes idle (empty, as idle ones are).
                MoveLocalWorkToGlobalLocked(processor);
                PutIdleProcessorLocked(processor);
                if (spinning)
                {
                    Interlocked.Decrement(ref _spinningMachines.Value);
                }

                processor = null;
            }
            else
            {
                _machineCount++;
            }
        }

        if (machine is not null)
        {
            machine.Parker.Unpark();
        }
        else if (processor is not null)
        {
            var created = new Machine(id, processor, spinning, Volatile.Read(ref _stackBytes), this);
            RegisterMachine(created);
            created.Start();
        }
        else
        {
            Fatal("thread exhaustion", $"runtime: program exceeds {Volatile.Read(ref _maxThreads)}-thread limit");
        }
    }

    /// <summary>Parks <paramref name="machine"/> on the idle list until it is handed a processor.</summary>
    /// <remarks>Go: stopm.</remarks>
    private void StopMachine(Machine machine)
    {
        Debug.Assert(machine.Processor is null && !machine.Spinning, "a stopping machine holds nothing");
        lock (_lock)
        {
            machine.IdleLink = _idleMachines;
            _idleMachines = machine;
            Volatile.Write(ref _idleMachineCount, _idleMachineCount + 1);
        }

        WaitForProcessor(machine);
    }

    /// <summary>Sleeps until a waker sets <see cref="Machine.NextProcessor"/>, then acquires it.</summary>
    private static void WaitForProcessor(Machine machine)
    {
        Processor? processor;
        while ((processor = Volatile.Read(ref machine.NextProcessor)) is null)
        {
            machine.Parker.Park();
        }

        machine.NextProcessor = null;
        machine.Acquire(processor);
    }

    /// <summary>
    /// Finds a machine for a processor that sysmon or its owner took away from a stuck owner:
    /// one to run its work if it has some, else back to the idle list.
    /// </summary>
    /// <remarks>Go: handoffp.</remarks>
    public void HandOff(Processor processor)
    {
        if (!processor.RunQueue.IsEmpty || Volatile.Read(ref _globalCount.Value) > 0)
        {
            StartMachine(processor, spinning: false);
            return;
        }

        if (Volatile.Read(ref _spinningMachines.Value) + Volatile.Read(ref _idleProcessorCount.Value) == 0
            && Interlocked.CompareExchange(ref _spinningMachines.Value, 1, 0) == 0)
        {
            StartMachine(processor, spinning: true);
            return;
        }

        lock (_lock)
        {
            if (_globalCount.Value == 0)
            {
                PutIdleProcessorLocked(processor);
                return;
            }
        }

        StartMachine(processor, spinning: false);
    }

    /// <summary>Hands off a processor that its owner gave up from inside a step (it won sysmon's request).</summary>
    public void ReleaseTakenProcessor(Processor processor)
    {
        Interlocked.Increment(ref _handoffs);
        _trace?.RecordHandoff(processor, Machine.Current);
        lock (_lock)
        {
            processor.Owner = null;
        }

        HandOff(processor);
    }

    /// <summary>
    /// Sysmon's side of the hand-off protocol (Processor.cs): takes <paramref name="processor"/>
    /// from <paramref name="owner"/> if the owner is outside the runtime, and hands it off.
    /// </summary>
    /// <remarks>Go: retake's handoffp branch.</remarks>
    internal bool TryRetake(Processor processor, Machine owner)
    {
        if (!processor.TryRequestHandoff())
        {
            return false;
        }

        Interlocked.MemoryBarrierProcessWide(); // step 2: orders the owner's InOwnerSection store against our request
        if (owner.InOwnerSection || processor.Owner != owner || !processor.TryCompleteHandoff())
        {
            return false;
        }

        lock (_lock)
        {
            if (processor.Owner != owner || processor.Status is not (ProcessorStatus.Running or ProcessorStatus.Syscall))
            {
                return false; // it changed hands meanwhile; the next AcquireBy clears the state
            }

            processor.Owner = null;
        }

        Interlocked.Increment(ref _handoffs);
        _trace?.RecordHandoff(processor, owner);
        HandOff(processor);
        return true;
    }

    // ---------------------------------------------------------------- limits

    /// <summary>
    /// Sets the thread limit and returns the previous one. Raising it restarts work that waited
    /// for a thread (with a panic handler installed, the runtime survives thread exhaustion).
    /// </summary>
    /// <remarks>Go: debug.SetMaxThreads.</remarks>
    public int SetMaxThreads(int threads)
    {
        int previous;
        lock (_lock)
        {
            previous = _maxThreads;
            _maxThreads = threads;
        }

        if (threads > previous && Volatile.Read(ref _globalCount.Value) > 0)
        {
            Wakep();
        }

        return previous;
    }

    /// <summary>Moves an unowned processor's queued goroutines to the global queue. Scheduler lock must be held.</summary>
    private void MoveLocalWorkToGlobalLocked(Processor processor)
    {
        while (processor.RunQueue.TryPop(out _) is { } g)
        {
            PutGlobalLocked(g);
        }
    }

    /// <summary>Sets the reserved stack size of machines created from now on; returns the previous one.</summary>
    /// <remarks>Go: debug.SetMaxStack.</remarks>
    public int SetMaxStack(int bytes) => Interlocked.Exchange(ref _stackBytes, bytes);

    /// <summary>Number of machine threads created, sysmon included.</summary>
    internal int MachineCount
    {
        get
        {
            lock (_lock)
            {
                return _machineCount;
            }
        }
    }

    internal int IdleMachineCount => Volatile.Read(ref _idleMachineCount);

    internal long Handoffs => Interlocked.Read(ref _handoffs);

    /// <summary>
    /// Queues a goroutine back from a blocking region that found no processor: to the global queue,
    /// which every machine then looks at first until the goroutine got one (<see cref="EndRegionExitWait"/>).
    /// </summary>
    internal void PutRegionExit(Goroutine g)
    {
        Interlocked.Increment(ref _regionExitsWaiting);
        PutGlobal(g);
        Wakep();
    }

    /// <summary>The goroutine queued by <see cref="PutRegionExit"/> has its processor again.</summary>
    internal void EndRegionExitWait() => Interlocked.Decrement(ref _regionExitsWaiting);

    /// <summary>A thread blocked on a waiter was readied; it counts until it runs (<see cref="NoteBlockedThreadRunning"/>).</summary>
    internal void NoteBlockedThreadWoken() => Interlocked.Increment(ref _blockedThreadsWoken);

    /// <summary>A thread counted by <see cref="NoteBlockedThreadWoken"/> runs again.</summary>
    internal void NoteBlockedThreadRunning() => Interlocked.Decrement(ref _blockedThreadsWoken);

    /// <summary>Threads blocked on a waiter that were readied and have not run yet. Any thread; for tests.</summary>
    internal int BlockedThreadsWoken => Volatile.Read(ref _blockedThreadsWoken);

    internal long BlockedCallHandoffs => Interlocked.Read(ref _blockedCallHandoffs);

    /// <summary>Counts a hand-off of a processor whose goroutine was blocked outside a region (sysmon).</summary>
    internal void NoteBlockedCallHandoff() => Interlocked.Increment(ref _blockedCallHandoffs);

    /// <summary>Hand-offs of goroutines stuck outside a region that sysmon wanted but the thread bound refused, since start.</summary>
    internal long StuckHandoffsRefused => Interlocked.Read(ref _stuckHandoffsRefused);

    /// <summary>
    /// Whether a processor whose goroutine is stuck outside any blocking region may be handed off
    /// now (see <see cref="MayHandOffStuckProcessor"/>); a refusal is counted. Sysmon only.
    /// </summary>
    internal bool TryPassThreadBound()
    {
        if (MayHandOffStuckProcessor)
        {
            return true;
        }

        Interlocked.Increment(ref _stuckHandoffsRefused);
        return false;
    }

    /// <summary>
    /// Whether a processor whose goroutine is stuck outside any blocking region may be handed to
    /// another thread: an idle machine can take it, or the runtime has fewer threads than half its
    /// limit. Past that, such goroutines keep their processors until they come back (their
    /// neighbours wait) rather than drive the process into the thread limit, which is fatal.
    /// </summary>
    internal bool MayHandOffStuckProcessor => Volatile.Read(ref _idleMachineCount) > 0 || Volatile.Read(ref _machineCount) < Volatile.Read(ref _maxThreads) / 2;

    internal long SpawnedOffProcessor => Interlocked.Read(ref _spawnedOffProcessor);

    internal long ExitedOffProcessor => Interlocked.Read(ref _exitedOffProcessor);

    internal long OffProcessorPreemptions => Interlocked.Read(ref _offProcessorPreemptions);
}
