// Licensed under the MIT License.

using System;
using System.Threading;

using Goroutines.Diagnostics;

namespace Goroutines.Scheduling;

// BlockingRegion: Go's entersyscall/exitsyscall, for a call that blocks its thread
// (a synchronous read, Thread.Sleep, a lock held elsewhere, a synchronous channel
// operation).
//
// Entering marks the processor as in a blocking region and leaves the owner
// section, so sysmon may retake it after 20 µs when other work needs it. Leaving
// takes one of three paths (Go's exitsyscall):
//   1. fast:      the processor is still ours (a pending request is cancelled);
//   2. idle:      it was retaken, but an idle processor is free: take that one;
//   3. slow:      neither: queue the goroutine on the global queue marked as locked
//                 to this machine and park; whoever schedules it hands us their
//                 processor (Go: startlockedm), so the goroutine's synchronous stack
//                 resumes on its own thread, which it cannot leave.
// Outside a goroutine (a thread the runtime does not own) a region does nothing.
//
// A region spans one blocking call, within one step. An await inside it ends the step
// with the region open and its thread free: the machine ends the region there, on its
// own thread (Scheduler.Loop.cs, after RunStep), and the late Dispose, on whatever
// thread the await resumed, finds its goroutine out of the Syscall state (or on
// another machine) and throws instead of touching a machine that now runs other
// goroutines (it once broke the hand-off protocol that way).
//
// Invariants:
// - Regions do not nest: an inner Enter inside an active region is inactive.
// - The processor's Status and SyscallTick change only inside an owner section.

/// <summary>
/// Marks a call that blocks its OS thread, so the runtime can hand the goroutine's processor
/// to another thread meanwhile (Go's <c>entersyscall</c>/<c>exitsyscall</c>). Dispose it when
/// the blocking call returns. Obtain one with <see cref="Go.EnterBlockingRegion"/>.
/// </summary>
/// <remarks>
/// Outside a goroutine, or nested inside another region, it does nothing. It spans a blocking
/// call, never an <c>await</c>: dispose it on the thread that entered it, before the goroutine
/// awaits anything. A region left open across an await ends when the goroutine parks, and its
/// <see cref="Dispose"/> then throws <see cref="InvalidOperationException"/>.
/// </remarks>
public struct BlockingRegion : IDisposable
{
    private Machine? _machine;
    private Goroutine? _goroutine;

    private BlockingRegion(Machine machine, Goroutine goroutine)
    {
        _machine = machine;
        _goroutine = goroutine;
    }

    /// <summary>Enters a region on the current thread; inactive outside a goroutine's step.</summary>
    /// <remarks>Go: entersyscall.</remarks>
    internal static BlockingRegion Enter()
    {
        Machine? machine = Machine.Current;
        Goroutine? g = machine?.RunningGoroutine;
        if (machine is null || g is null || g.Status == GoroutineStatus.Syscall)
        {
            return default;
        }


        Processor? processor = machine.EnterRuntime(out bool entered);
        if (processor is not null)
        {
            processor.SyscallTick++;
            processor.Status = ProcessorStatus.Syscall;
        }

        Scheduler.Instance.Trace?.RecordBlocking(enter: true, machine, g, processor, keptProcessor: true);
        machine.LeaveRuntime(entered);
        g.Status = GoroutineStatus.Syscall;
        return new BlockingRegion(machine, g);
    }

    /// <summary>Leaves the region, waiting for a processor if the goroutine lost its own.</summary>
    /// <remarks>Go: exitsyscall.</remarks>
    /// <exception cref="InvalidOperationException">The region was left open across an await (the runtime ended it when the goroutine parked).</exception>
    public void Dispose()
    {
        Machine? machine = _machine;
        if (machine is null)
        {
            return;
        }

        _machine = null;
        Goroutine g = _goroutine!;
        _goroutine = null;

        // Still the region this struct entered: its goroutine in its region, on the machine and
        // thread that entered it. A region the machine ended at an await is not (its goroutine
        // left the Syscall state then), even after the goroutine entered and left another one.
        if (g.Status != GoroutineStatus.Syscall || Machine.Current != machine || machine.RunningGoroutine != g)
        {
            throw new InvalidOperationException("A blocking region was disposed after an await inside it: a region spans one blocking call on the thread that entered it. The runtime ended it when the goroutine awaited; end the region before the await (dispose it right after the blocking call).");
        }

        if (machine.ReturnFromStep())
        {
            machine.Processor!.Status = ProcessorStatus.Running;
            Scheduler.Instance.Trace?.RecordBlocking(enter: false, machine, g, machine.Processor, keptProcessor: true);
            machine.LeaveForStep();
            g.Status = GoroutineStatus.Running;
            return;
        }

        // The processor was retaken (ReturnFromStep forgot it). Find another one.
        if (!Scheduler.Instance.TryAcquireIdleProcessor(machine))
        {
            g.LockedMachine = machine;
            g.Status = GoroutineStatus.Runnable;
            machine.LeaveForStep();
            Scheduler.Instance.PutRegionExit(g);
            while (Volatile.Read(ref machine.NextProcessor) is null)
            {
                machine.Parker.Park();
            }

            Processor processor = machine.NextProcessor!;
            machine.NextProcessor = null;
            g.LockedMachine = null;
            Scheduler.Instance.EndRegionExitWait();
            machine.Acquire(processor);
        }

        // Recorded outside the owner section: into the shared buffer, not the new processor's.
        machine.LeaveForStep();
        Scheduler.Instance.Trace?.RecordBlocking(enter: false, machine, g, owned: null, keptProcessor: false);
        g.Status = GoroutineStatus.Running;
    }
}
