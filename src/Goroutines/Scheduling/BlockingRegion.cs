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
// Invariants:
// - Regions do not nest: an inner Enter inside an active region is inactive.
// - The processor's Status and SyscallTick change only inside an owner section.

/// <summary>
/// Marks a call that blocks its OS thread, so the runtime can hand the goroutine's processor
/// to another thread meanwhile (Go's <c>entersyscall</c>/<c>exitsyscall</c>). Dispose it when
/// the blocking call returns. Obtain one with <see cref="Go.EnterBlockingRegion"/>.
/// </summary>
/// <remarks>
/// Outside a goroutine, or nested inside another region, it does nothing. Not thread-safe:
/// dispose it on the thread that entered it.
/// </remarks>
public struct BlockingRegion : IDisposable
{
    private Machine? _machine;

    private BlockingRegion(Machine machine) => _machine = machine;

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
        return new BlockingRegion(machine);
    }

    /// <summary>Leaves the region, waiting for a processor if the goroutine lost its own.</summary>
    /// <remarks>Go: exitsyscall.</remarks>
    public void Dispose()
    {
        Machine? machine = _machine;
        if (machine is null)
        {
            return;
        }

        _machine = null;
        Goroutine g = machine.RunningGoroutine!;
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
            Scheduler.Instance.PutGlobal(g);
            Scheduler.Instance.Wakep();
            while (Volatile.Read(ref machine.NextProcessor) is null)
            {
                machine.Parker.Park();
            }

            Processor processor = machine.NextProcessor!;
            machine.NextProcessor = null;
            g.LockedMachine = null;
            machine.Acquire(processor);
        }

        // Recorded outside the owner section: into the shared buffer, not the new processor's.
        machine.LeaveForStep();
        Scheduler.Instance.Trace?.RecordBlocking(enter: false, machine, g, owned: null, keptProcessor: false);
        g.Status = GoroutineStatus.Running;
    }
}
