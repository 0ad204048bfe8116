// Licensed under the MIT License.

using System.Diagnostics;
using System.Threading;

using Goroutines.Time;

namespace Goroutines.Scheduling;

// Processor: Go's P, the right to run goroutines. There are GOMAXPROCS of them; a
// machine runs goroutines only while it owns one. A processor owns a local run
// queue, a timer heap, a shard of the goroutine registry, a cache of goroutine ids, a schedule tick
// and per-processor counters, so that the hot paths touch no shared cache line.
//
// Ownership and hand-off. The owner uses its processor without atomics; sysmon may
// take the processor away from an owner that is stuck in user code (a hog, or a
// blocking region). The two are arbitrated by an asymmetric Dekker protocol:
//   Owner, on every entry to the runtime (Machine.TryEnterOwnerSection):
//     1. Volatile-write InOwnerSection = true.
//     2. Read the hand-off state, then Owner. None and Owner == me: the processor is
//        mine until I leave the section. Otherwise take the slow path (below).
//   Sysmon (Scheduler.TryRetake):
//     1. CAS the hand-off state None -> Requested.
//     2. Interlocked.MemoryBarrierProcessWide(): every thread executes a full fence, so
//        the owner's step-1 store and sysmon's step-1 CAS are ordered.
//     3. Owner's InOwnerSection is false: CAS Requested -> Taken and hand the processor
//        off. True: leave the request; the owner will see it.
//   Either the owner sees Requested, or sysmon sees the owner in its section: never
//   neither. The owner's slow path settles a request with a CAS of its own: from
//   inside a goroutine's step it hands the processor off itself (Requested -> Taken:
//   the goroutine is a hog that merely calls into the runtime); back in the
//   scheduler it cancels (Requested -> None: it is not stuck). Whoever loses a CAS
//   sees the winner's outcome.
// The fast path is two plain stores and two plain loads: no interlocked instruction.
//
// Rejected: a CAS on every owner entry (tens of nanoseconds on every ready and
// spawn); stopping hogs (the CLR cannot interrupt a thread at a safe point for us);
// stealing a stuck processor's queue without handing it off (with GOMAXPROCS=1
// there is nobody to steal, and the processor's timers would stall).
//
// Invariants:
// - A processor has at most one owner; the owner is the only writer of its queue's
//   tail, runNext, id cache and counters.
// - An idle processor (on the idle list) has an empty local run queue.
// - HandoffState is None whenever a machine acquires the processor.
[DebuggerDisplay("P{Id} {Status} owner=M{Owner?.Id}")]
internal sealed class Processor
{
    private const int HandoffNone = 0;
    private const int HandoffRequested = 1;
    private const int HandoffTaken = 2;

    // Goroutine ids are taken from the global counter 16 at a time (16, as Go's _GoidCacheBatch).
    private const int GoroutineIdBatch = 16;


    public Processor(int id)
    {
        Id = id;
        Goroutines = new GoroutineList(id);
    }

    /// <summary>Index in the scheduler's processor array.</summary>
    public readonly int Id;

    /// <summary>Runnable goroutines of this processor.</summary>
    public readonly LocalRunQueue RunQueue = new();

    /// <summary>Timers scheduled from this processor's goroutines (see Scheduler.Timers.cs).</summary>
    public readonly TimerHeap Timers = new();

    /// <summary>The goroutines spawned on this processor (a shard of the registry). Owner adds; anyone reads.</summary>
    public readonly GoroutineList Goroutines;

    /// <summary>Where goroutines taken from the global queue land before they go into the ring. Owner only.</summary>
    public readonly Goroutine?[] TransferBuffer = new Goroutine?[GlobalRunQueue.ChunkSize];

    /// <summary>The machine that owns it; written under the scheduler lock or by an acquiring machine.</summary>
    public Machine? Owner;

    /// <summary>Life-cycle state; written by the owner inside its section, or under the scheduler lock.</summary>
    public ProcessorStatus Status;

    /// <summary>Incremented by the owner for every goroutine scheduled with a fresh time slice. Read by sysmon.</summary>
    public uint ScheduleTick;

    /// <summary>Incremented by the owner for every step, time slice inherited or not. Read by sysmon to tell a stuck step.</summary>
    public uint StepTick;

    /// <summary>Incremented by the owner at every blocking-region entry. Read by sysmon.</summary>
    public uint SyscallTick;

    /// <summary>
    /// Set by sysmon when the current time slice has run 10 ms (with the running goroutine's
    /// preempt flag); the owner's next scheduling round starts a new slice: runNext loses its
    /// inherited time and the global queue goes first. Without it, two goroutines that ready each
    /// other through runNext would never let the rest of the processor's queue run.
    /// </summary>
    public volatile bool SliceExpired;

    /// <summary>Set under the scheduler lock when GOMAXPROCS drops below this processor's id.</summary>
    public volatile bool Retiring;

    /// <summary>Link in the idle-processor list; under the scheduler lock.</summary>
    public Processor? IdleLink;

    // ---- per-processor counters: written by the owner only, summed by readers ----

    /// <summary>Goroutines this processor's machines stole from others.</summary>
    public long Steals;

    /// <summary>Goroutines spawned on this processor.</summary>
    public long Spawned;

    /// <summary>Goroutines whose first step ran on this processor (and joined its registry shard).</summary>
    public long Started;

    /// <summary>Goroutines that exited on this processor.</summary>
    public long Exited;

    /// <summary>Goroutines preempted (yielded at a safe point because sysmon asked) on this processor.</summary>
    public long Preemptions;

    /// <summary>Goroutines that parked on a channel operation or a select on this processor.</summary>
    public long ChannelParks;

    // ---- sysmon's bookkeeping: sysmon thread only ----

    /// <summary>Schedule tick sysmon saw last.</summary>
    public uint SysmonTick;

    /// <summary>When sysmon first saw <see cref="SysmonTick"/>.</summary>
    public long SysmonTickSince;

    /// <summary>Step tick sysmon saw last.</summary>
    public uint SysmonStepTick;

    /// <summary>When sysmon first saw <see cref="SysmonStepTick"/>.</summary>
    public long SysmonStepSince;

    /// <summary>Run-queue head position sysmon saw last.</summary>
    public uint SysmonQueueHead;

    /// <summary>
    /// When sysmon first saw <see cref="SysmonQueueHead"/> with goroutines waiting in this stuck slice
    /// (how long nobody has taken from the queue), or <see cref="SystemMonitor.NotWaiting"/>.
    /// </summary>
    public long SysmonQueueHeadSince = SystemMonitor.NotWaiting;

    /// <summary>Whether sysmon already asked the current goroutine to yield.</summary>
    public bool SysmonPreempted;

    /// <summary>The owner's thread CPU time (ns) as sysmon last read it during a step that did not move.</summary>
    public long SysmonCpuTime = -1;

    /// <summary>When sysmon first saw <see cref="SysmonCpuTime"/>.</summary>
    public long SysmonCpuSince;

    /// <summary>Syscall tick sysmon saw last.</summary>
    public uint SysmonSyscallTick;

    /// <summary>When sysmon first saw <see cref="SysmonSyscallTick"/>.</summary>
    public long SysmonSyscallSince;

    private int _handoffState;
    private long _nextId;
    private long _idLimit;

    /// <summary>Whether sysmon has a hand-off pending on this processor (racy).</summary>
    public bool HandoffPending => Volatile.Read(ref _handoffState) != HandoffNone;

    /// <summary>Makes <paramref name="machine"/> the owner. The acquiring machine, holding the processor exclusively.</summary>
    /// <remarks>Go: acquirep.</remarks>
    public void AcquireBy(Machine machine)
    {
        Owner = machine;
        Status = ProcessorStatus.Running;
        Volatile.Write(ref _handoffState, HandoffNone); // release: orders the Owner store before it (read in IsOwnedBy)
    }

    /// <summary>
    /// The owner-side check of the hand-off protocol (steps 2 and the slow path in the header).
    /// The caller has set its InOwnerSection flag. <paramref name="inStep"/>: called from inside
    /// a goroutine's step rather than from the scheduler loop.
    /// </summary>
    public OwnershipCheck CheckOwnership(Machine machine, bool inStep)
    {
        int state = Volatile.Read(ref _handoffState);
        if (Owner != machine)
        {
            return OwnershipCheck.Lost;
        }

        if (state == HandoffNone)
        {
            return OwnershipCheck.Owned;
        }

        if (state == HandoffRequested)
        {
            if (inStep)
            {
                return Interlocked.CompareExchange(ref _handoffState, HandoffTaken, HandoffRequested) == HandoffRequested
                    ? OwnershipCheck.MustHandOff
                    : OwnershipCheck.Lost;
            }

            if (Interlocked.CompareExchange(ref _handoffState, HandoffNone, HandoffRequested) == HandoffRequested)
            {
                return OwnershipCheck.Owned;
            }
        }

        return OwnershipCheck.Lost;
    }

    /// <summary>Sysmon's step 1: asks for the processor. Returns false if it was already taken.</summary>
    public bool TryRequestHandoff()
    {
        int state = Volatile.Read(ref _handoffState);
        return state == HandoffRequested
            || (state == HandoffNone && Interlocked.CompareExchange(ref _handoffState, HandoffRequested, HandoffNone) == HandoffNone);
    }

    /// <summary>Sysmon's step 3: takes the processor after the barrier showed its owner outside the runtime.</summary>
    public bool TryCompleteHandoff() =>
        Interlocked.CompareExchange(ref _handoffState, HandoffTaken, HandoffRequested) == HandoffRequested;

    /// <summary>Returns a goroutine id from the local batch. Owner only.</summary>
    public long NextGoroutineId(ref long globalCounter)
    {
        if (_nextId == _idLimit)
        {
            _idLimit = Interlocked.Add(ref globalCounter, GoroutineIdBatch) + 1;
            _nextId = _idLimit - GoroutineIdBatch;
        }

        return _nextId++;
    }
}

/// <summary>A processor's life cycle, as Go's <c>_Pidle</c>, <c>_Prunning</c>, <c>_Psyscall</c>, <c>_Pdead</c>.</summary>
internal enum ProcessorStatus
{
    /// <summary>On the idle list, owned by nobody.</summary>
    Idle,

    /// <summary>Owned by a machine that runs goroutines or looks for them.</summary>
    Running,

    /// <summary>Owned by a machine inside a blocking region: sysmon may retake it.</summary>
    Syscall,

    /// <summary>Beyond GOMAXPROCS: owned by nobody and never handed out.</summary>
    Retired,
}

/// <summary>The outcome of the owner's check in the hand-off protocol.</summary>
internal enum OwnershipCheck
{
    /// <summary>The processor is the caller's until it leaves its owner section.</summary>
    Owned,

    /// <summary>Sysmon took it, or another machine owns it now.</summary>
    Lost,

    /// <summary>The caller won a pending request from inside a step and must hand the processor off itself.</summary>
    MustHandOff,
}
