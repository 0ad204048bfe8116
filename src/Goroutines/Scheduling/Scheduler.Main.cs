// Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Diagnostics;

namespace Goroutines.Scheduling;

// Go.Main on the scheduler: the main goroutine, the thread that waits for it, and the
// deadlock detector's view of the scheduler (the detector itself, Go's checkdead, is
// Diagnostics/DeadlockDetector.cs; sysmon drives it).
//
// The waiting thread must not keep the main goroutine reachable: the detector proves a
// deadlock by finding every goroutine unreachable, and a thread blocked in Go.Main can
// wake nothing. So it holds the goroutine's id, never the goroutine, and clears its
// caller's reference to the main function (whose closure may hold the program's
// channels) as soon as the goroutine has it. What the calling method itself still
// references (the locals the main function captures) cannot be cleared from here.
//
// Invariants:
// - A Go.Main call is registered with the detector from just after its spawn until its
//   thread stops waiting.
// - The exit event of a main goroutine found deadlocked is never disposed: the goroutine
//   stays parked forever and still refers to it.
internal sealed partial class Scheduler
{
    /// <summary>The deadlock detector, which sysmon drives while a <see cref="RunMain"/> call is in progress.</summary>
    internal DeadlockDetector Deadlocks => _monitor.Deadlocks;

    /// <summary>
    /// Runs <paramref name="main"/> as a main goroutine and blocks the calling thread until it
    /// returns, or until the deadlock detector finds it blocked forever (then, with a panic
    /// handler installed, throws <see cref="DeadlockException"/>). Clears <paramref name="main"/>
    /// once the goroutine holds it. A thread outside the runtime.
    /// </summary>
    /// <remarks>
    /// A main goroutine that ends by <see cref="Go.Goexit"/> does not end the program: the
    /// thread waits on while other goroutines run, until the detector finds that none can run
    /// (none is left, or every one is blocked forever), which is fatal as in Go.
    /// Go: runtime.main, for the part that waits for main.main.
    /// </remarks>
    internal void RunMain(ref Func<Task> main, string member, string file, int line)
    {
        var exit = new MainExit();
        long id = Spawn(main, member, file, line, exit);
        main = null!;
        DeadlockDetector.MainCall call = Deadlocks.Register(id, exit);
        exit.Wait();
        if (call.DeadlockDump is null && exit.ByGoexit)
        {
            exit.Reset();
            Deadlocks.NoteGoexit(call); // from now on only the detector signals the exit
            exit.Wait();
        }

        Deadlocks.Unregister(call);
        if (call.DeadlockDump is { } dump)
        {
            throw new DeadlockException(call.DeadlockMessage!, dump);
        }

        exit.Dispose();
    }

    /// <summary>The sum of the processors' step ticks, read racily: it moves whenever any goroutine runs a step.</summary>
    internal uint StepTickSum()
    {
        uint steps = 0;
        foreach (Processor processor in Processors)
        {
            steps += Volatile.Read(ref processor.StepTick);
        }

        return steps;
    }

    /// <summary>
    /// Whether the scheduler is quiet: every processor idle or retired with an empty run queue and
    /// no timer, no spinning machine, an empty global queue. Then nothing runs on a processor and
    /// nothing will until a goroutine is readied from outside. <paramref name="steps"/> is the sum
    /// of the processors' step ticks, read under the scheduler lock: a step that started before
    /// the call and whose processor is idle now is counted in it. Any thread; racy reads first,
    /// the lock only if they say quiet.
    /// </summary>
    /// <remarks>Go: checkdead's counting (running threads, sched.nmspinning, the P's timers).</remarks>
    internal bool IsQuiet(out uint steps)
    {
        steps = 0;
        if (IdleProcessorCount < MaxProcs || SpinningMachines != 0 || GlobalCount != 0 || EarliestTimer() != long.MaxValue)
        {
            return false;
        }

        lock (_lock)
        {
            if (_globalQueue.Count != 0 || Volatile.Read(ref _spinningMachines.Value) != 0)
            {
                return false;
            }

            foreach (Processor processor in _processors)
            {
                if (processor.Status is not (ProcessorStatus.Idle or ProcessorStatus.Retired)
                    || !processor.RunQueue.IsEmpty
                    || processor.Timers.NextWhen != long.MaxValue)
                {
                    return false;
                }

                // Written by the owner before it gave the processor back under this lock.
                steps += Volatile.Read(ref processor.StepTick);
            }
        }

        return true;
    }
}
