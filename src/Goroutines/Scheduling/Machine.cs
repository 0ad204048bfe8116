// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Threading;

namespace Goroutines.Scheduling;

// Machine: Go's M, a dedicated OS thread that runs goroutines while it owns a
// processor. Its loop is Scheduler.RunMachine; this type owns the thread, its
// parker and the machine's half of the processor hand-off protocol (see
// Processor.cs): the InOwnerSection flag.
//
// The flag is true whenever the machine is inside the runtime with its processor
// (the scheduling loop, a ready, a spawn) and false while a goroutine's own code
// runs. Sysmon reads it, after a process-wide barrier, to decide whether it may
// take the processor away.
//
// Threads are created with a large reserved stack (DefaultMaxStackBytes), the
// analog of Go's maximum goroutine stack: synchronous call depth runs here, and a
// reservation costs address space only, not memory.
//
// Invariants:
// - Only the machine's own thread writes Processor, Spinning, RunningGoroutine and
//   InOwnerSection; a waker writes Spinning, then NextProcessor with release, and
//   the machine reads NextProcessor with acquire before it reads Spinning.
// - InOwnerSection is true while the machine is in its scheduling loop.
[DebuggerDisplay("M{Id} P{Processor?.Id} spinning={Spinning}")]
internal sealed class Machine
{
    /// <summary>Reserved stack of each machine thread: 256 MiB (Go reserves up to 1 GiB per goroutine stack; ours is per thread).</summary>
    public const int DefaultMaxStackBytes = 256 * 1024 * 1024;

    [ThreadStatic]
    private static Machine? t_current;

    private readonly Thread _thread;

    // See the header; volatile accesses only.
    private bool _inOwnerSection;

    // xorshift state for random victim selection; this machine's thread only.
    private uint _random;

    // The thread as the kernel knows it (set by the thread itself when it starts).
    private KernelThread? _kernel;

    public Machine(int id, Processor? processor, bool spinning, int stackBytes, Scheduler scheduler)
    {
        Id = id;
        NextProcessor = processor;
        Spinning = spinning;
        _random = (uint)(id * 2654435761u) | 1;
        _thread = new Thread(() => Run(scheduler), stackBytes)
        {
            IsBackground = true,
            Name = $"goroutines M{id}",
        };
    }

    /// <summary>The machine running on this thread, or null on other threads.</summary>
    public static Machine? Current => t_current;

    /// <summary>Creation index, for dumps and traces.</summary>
    public readonly int Id;

    /// <summary>Signals this machine out of an idle or slow-exit sleep.</summary>
    public readonly Parker Parker = new();

    /// <summary>The processor this machine believes it owns; checked on every runtime entry. Own thread only.</summary>
    public Processor? Processor;

    /// <summary>A processor handed to this machine while it sleeps; written by the waker before Unpark.</summary>
    public Processor? NextProcessor;

    /// <summary>Looking for work to steal (Go's m.spinning).</summary>
    public bool Spinning;

    /// <summary>The goroutine whose step this machine is running, or null in the scheduling loop.</summary>
    public Goroutine? RunningGoroutine;

    /// <summary>Goroutine yields on this machine since it last gave its core away (Scheduler.Loop's yield rule). This thread only.</summary>
    public int YieldsSinceCoreYield;

    /// <summary>Goroutines spawned by the step this machine runs (Scheduler.ThrottleSpawner). This thread only.</summary>
    public int SpawnsThisStep;

    /// <summary>
    /// While a trace records: when the running step began (its readies carry this time), and
    /// when the last step ended if the machine has done nothing since but take the next goroutine
    /// from runNext (that step then begins at this time), else 0. Clock reads are what a recorder
    /// costs (TraceRecorder.cs). This thread only.
    /// </summary>
    public long TraceStepStart;

    /// <inheritdoc cref="TraceStepStart"/>
    public long TraceLastStepEnd;

    /// <summary>One pooled waiter of any type, cached for this thread (see <see cref="WaiterPool{TWaiter}"/>). This thread only.</summary>
    public Waiter? CachedWaiter;

    /// <summary>
    /// A callback the running goroutine posted to itself during its step (a nested async method
    /// that completed and posts its caller's continuation), handed to the goroutine when the step
    /// ends (Goroutine.FinishStep) instead of through its posted queue. This thread only.
    /// </summary>
    public object? SelfPost;

    /// <summary>
    /// The continuation state of the last flow of the running goroutine that parked on a runtime
    /// waiter during its first step (Goroutine.NoteParking), before the body returned its root
    /// task; handed to Goroutine.FinishStep, which compares it with that task. This thread only.
    /// </summary>
    public object? ParkedFlow;

    /// <summary>
    /// While this machine delivers a network poll's edges, the goroutines they ready, collected to
    /// be injected together (Scheduler.NetPoll.cs); null otherwise. This thread only.
    /// </summary>
    public GoroutineBatch? InjectBatch;

    /// <summary>The batch this machine's network polls collect into, reused. This thread only.</summary>
    public readonly GoroutineBatch PollBatch = new();

    /// <summary>Link in the idle-machine list; under the scheduler lock.</summary>
    public Machine? IdleLink;

    /// <summary>Next (older) machine in the list of all machines (Go: m.alllink); set once, before the machine is published.</summary>
    public Machine? AllLink;

    /// <summary>
    /// The machine's thread as the kernel knows it, for sysmon to tell a blocked call from a hog;
    /// null before the thread started, or where the system does not say.
    /// </summary>
    public KernelThread? Kernel => Volatile.Read(ref _kernel);

    /// <summary>Whether the machine is inside the runtime with its processor. Read by sysmon after its barrier.</summary>
    public bool InOwnerSection => Volatile.Read(ref _inOwnerSection);

    private static ExecutionContext? s_cleanContext;

    /// <summary>
    /// The execution context of a machine thread before any goroutine ran on it: no AsyncLocal
    /// values. Goroutines spawned with flow suppressed run in it.
    /// </summary>
    public static ExecutionContext? CleanContext => Volatile.Read(ref s_cleanContext);

    /// <summary>Starts the thread, without flowing the starting thread's execution context to it.</summary>
    public void Start() => _thread.UnsafeStart();

    private void Run(Scheduler scheduler)
    {
        t_current = this;
        Volatile.Write(ref _kernel, KernelThread.OfCurrentThread());
        Interlocked.CompareExchange(ref s_cleanContext, ExecutionContext.Capture(), null);
        scheduler.RunMachine(this);
    }

    /// <summary>
    /// Enters the runtime from a goroutine's step and returns the processor it may use until
    /// <see cref="LeaveRuntime"/>, or null if it has none (then the caller uses the global
    /// queue). Nested calls from the scheduling loop return the processor as is. Own thread only.
    /// </summary>
    public Processor? EnterRuntime(out bool entered)
    {
        Processor? processor = Processor;
        if (processor is null || Volatile.Read(ref _inOwnerSection))
        {
            entered = false;
            return processor;
        }

        Volatile.Write(ref _inOwnerSection, true); // step 1 of the protocol; pairs with sysmon's process-wide barrier
        entered = true;
        switch (processor.CheckOwnership(this, inStep: true))
        {
            case OwnershipCheck.Owned:
                return processor;
            case OwnershipCheck.MustHandOff:
                Processor = null;
                Volatile.Write(ref _inOwnerSection, false);
                entered = false;
                Scheduler.Instance.ReleaseTakenProcessor(processor);
                return null;
            default:
                Processor = null;
                Volatile.Write(ref _inOwnerSection, false);
                entered = false;
                return null;
        }
    }

    /// <summary>Leaves the section that <see cref="EnterRuntime"/> entered, if it did. Own thread only.</summary>
    public void LeaveRuntime(bool entered)
    {
        if (entered)
        {
            Volatile.Write(ref _inOwnerSection, false);
        }
    }

    /// <summary>Leaves the owner section to run a goroutine's code. Own thread only.</summary>
    public void LeaveForStep() => Volatile.Write(ref _inOwnerSection, false);

    /// <summary>
    /// Re-enters the owner section after a step or a blocking region; if sysmon took the
    /// processor meanwhile, forgets it. A pending request is cancelled: the machine is back.
    /// </summary>
    /// <returns>Whether the machine still owns its processor.</returns>
    public bool ReturnFromStep()
    {
        Volatile.Write(ref _inOwnerSection, true);
        Processor? processor = Processor;
        if (processor is null)
        {
            return false;
        }

        if (processor.CheckOwnership(this, inStep: false) == OwnershipCheck.Owned)
        {
            return true;
        }

        Processor = null;
        return false;
    }

    /// <summary>Takes ownership of <paramref name="processor"/> and enters the scheduling loop's section. Own thread only.</summary>
    public void Acquire(Processor processor)
    {
        Debug.Assert(Processor is null, "a machine holds one processor at a time");

        // In the section before the processor names us its owner: sysmon must never see us as
        // the owner while outside it, or it could take the processor from under us.
        Volatile.Write(ref _inOwnerSection, true);
        processor.AcquireBy(this);
        Processor = processor;
    }

    /// <summary>A pseudo-random number for victim selection. Own thread only.</summary>
    public uint NextRandom()
    {
        uint x = _random;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        _random = x;
        return x;
    }
}
