// Licensed under the MIT License.

using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Text;

using Goroutines.Scheduling;

namespace Goroutines.Diagnostics;

// SchedulerTrace: Go's schedtrace (src/runtime/proc.go), the snapshot that
// GODEBUG=schedtrace=N makes sysmon write every N ms, and that Go.WriteSchedulerTrace
// writes on demand. Go's own format, field for field, so that the tools and habits
// of Go programmers apply:
//
//   SCHED 1004ms: gomaxprocs=2 idleprocs=0 threads=5 spinningthreads=0 needspinning=0 idlethreads=1 runqueue=0 [3 1]
//
// time since the scheduler started; GOMAXPROCS; idle processors; threads created
// (sysmon included, as Go's mcount); spinning machines; needspinning (always 0: a
// spinning machine that finds work it cannot take here re-checks instead of setting
// a flag); machines on the idle list; the global run queue's length; and each
// processor's local run queue length, runNext included.
//
// With scheddetail=1 (detailed) the first line ends with Go's stop-the-world fields
// (gcwaiting, nmidlelocked, stopwait, sysmonwait: there is no stop-the-world here, so
// they are always false or 0), then comes one line per processor and one per machine:
//
//   P0: status=1 schedtick=42 syscalltick=0 m=3 runqsize=0 gfreecnt=0 timerslen=1
//   M3: p=0 curg=18 mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=false lockedg=nil
//   G18: status=2() m=3 lockedm=nil
//
// Status numbers are Go's (_Pidle 0, _Prunning 1, _Psyscall 2, _Pdead 4 for a retired
// processor; _Grunnable 1, _Grunning 2, _Gsyscall 3, _Gwaiting 4, _Gdead 6). gfreecnt
// is 0: dead goroutine objects are not reused. An M is "blocked" while it sleeps on
// the idle list or in a blocking region's slow exit; M0 is sysmon. As Go's allgs
// loop, every live goroutine of the registry gets a G line, with m= the machine
// running it.
//
// Consistency, as in Go: the counters on the first line are read together under the
// scheduler lock; processors, machines and goroutines are read racily afterwards, so
// the lines of one snapshot need not agree exactly. The text is built first and
// written with one call, outside every lock: the writer may block (a full stderr pipe
// blocks sysmon then, as it blocks Go's).
//
// Invariants:
// - Format waits for no lock but the scheduler lock (the leak detector's pass lock it only
//   tries, leaving the G lines out during a pass), and holds none while writing.
internal static class SchedulerTrace
{
    // Go's _Gidle.._Gdead numbering (_Gmoribund_unused is 5).
    private const int GoStatusIdle = 0;
    private const int GoStatusRunnable = 1;
    private const int GoStatusRunning = 2;
    private const int GoStatusSyscall = 3;
    private const int GoStatusWaiting = 4;
    private const int GoStatusDead = 6;

    /// <summary>The detailed snapshot's last line in place of the G lines while a leak detection pass runs.</summary>
    internal const string GoroutinesOmittedLine = "  goroutines not listed: a leak detection pass is running\n";

    /// <summary>Builds one snapshot of <paramref name="scheduler"/>, newline-terminated, in Go's format.</summary>
    /// <remarks>Go: schedtrace.</remarks>
    public static string Format(Scheduler scheduler, bool detailed)
    {
        long now = Stopwatch.GetTimestamp();
        HashSet<Machine>? idleMachines = detailed ? [] : null;
        SchedulerCounts counts = scheduler.ReadCounts(idleMachines);
        long elapsedMs = (now - scheduler.StartTimestamp) * 1000 / Stopwatch.Frequency;

        var text = new StringBuilder(128);
        text.Append(CultureInfo.InvariantCulture,
            $"SCHED {elapsedMs}ms: gomaxprocs={counts.MaxProcs} idleprocs={counts.IdleProcessors} threads={counts.Threads} spinningthreads={counts.SpinningThreads} needspinning=0 idlethreads={counts.IdleThreads} runqueue={counts.GlobalRunQueue}");
        if (detailed)
        {
            text.Append(" gcwaiting=false nmidlelocked=0 stopwait=0 sysmonwait=false\n");
        }

        Processor[] processors = scheduler.Processors;
        int count = System.Math.Min(counts.MaxProcs, processors.Length);
        for (int i = 0; i < count; i++)
        {
            Processor processor = processors[i];
            if (detailed)
            {
                AppendProcessor(text, processor);
            }
            else
            {
                text.Append(i == 0 ? " [" : " ").Append(processor.RunQueue.Count);
            }
        }

        if (!detailed)
        {
            text.Append(count == 0 ? " []\n" : "]\n");
            return text.ToString();
        }

        var runningOn = new Dictionary<Goroutine, Machine>();
        for (Machine? machine = scheduler.AllMachines; machine is not null; machine = machine.AllLink)
        {
            Goroutine? running = machine.RunningGoroutine; // read once, so curg= and the G line's m= agree
            AppendMachine(text, machine, running, idleMachines!);
            if (running is not null)
            {
                runningOn[running] = machine;
            }
        }

        // Sysmon: thread 0 of Go's mcount, without a processor or a goroutine.
        text.Append("  M0: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=false lockedg=nil\n");

        // Not during a leak pass, which holds the registry across a collection: the system monitor
        // writes this, and must not wait for one (the snapshot says so instead).
        if (scheduler.TryLiveGoroutines() is not { } live)
        {
            text.Append(GoroutinesOmittedLine);
        }
        else
        {
            foreach (Goroutine g in live)
            {
                AppendGoroutine(text, g, runningOn.GetValueOrDefault(g));
            }
        }

        return text.ToString();
    }

    private static void AppendProcessor(StringBuilder text, Processor processor)
    {
        int status = processor.Status switch
        {
            ProcessorStatus.Idle => 0,
            ProcessorStatus.Running => 1,
            ProcessorStatus.Syscall => 2,
            _ => 4,
        };
        text.Append(CultureInfo.InvariantCulture,
            $"  P{processor.Id}: status={status} schedtick={processor.ScheduleTick} syscalltick={processor.SyscallTick} m={MachineId(processor.Owner)} runqsize={processor.RunQueue.Count} gfreecnt=0 timerslen={processor.Timers.Count}\n");
    }

    private static void AppendMachine(StringBuilder text, Machine machine, Goroutine? g, HashSet<Machine> idleMachines)
    {
        Processor? processor = machine.Processor;
        Goroutine? locked = g is not null && g.LockedMachine == machine ? g : null;
        bool blocked = idleMachines.Contains(machine) || locked is not null;
        string processorId = processor is null ? "nil" : processor.Id.ToString(CultureInfo.InvariantCulture);
        text.Append(CultureInfo.InvariantCulture,
            $"  M{machine.Id}: p={processorId} curg={GoroutineId(g)} mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning={Bool(machine.Spinning)} blocked={Bool(blocked)} lockedg={GoroutineId(locked)}\n");
    }

    private static void AppendGoroutine(StringBuilder text, Goroutine g, Machine? machine)
    {
        GoroutineStatus status = g.Status;
        int goStatus = status switch
        {
            GoroutineStatus.Idle => GoStatusIdle,
            GoroutineStatus.Runnable => GoStatusRunnable,
            GoroutineStatus.Running => GoStatusRunning,
            GoroutineStatus.Syscall => GoStatusSyscall,
            GoroutineStatus.Waiting => GoStatusWaiting,
            _ => GoStatusDead,
        };

        // Go prints the empty wait reason of a goroutine that is not waiting.
        string reason = status == GoroutineStatus.Waiting ? g.WaitReason.ToGoString() : "";
        text.Append(CultureInfo.InvariantCulture,
            $"  G{g.Id}: status={goStatus}({reason}) m={MachineId(machine)} lockedm={MachineId(g.LockedMachine)}\n");
    }

    private static string MachineId(Machine? machine) =>
        machine is null ? "nil" : machine.Id.ToString(CultureInfo.InvariantCulture);

    private static string GoroutineId(Goroutine? g) =>
        g is null ? "nil" : g.Id.ToString(CultureInfo.InvariantCulture);

    private static string Bool(bool value) => value ? "true" : "false";
}
