// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;

using Goroutines.Scheduling;

namespace Goroutines.Diagnostics;

// DeadlockDetector: Go's checkdead, for programs run under Go.Main. When every
// goroutine is blocked forever the program ends as Go's does: "fatal error: all
// goroutines are asleep - deadlock!", a blank line, the dump of every goroutine, exit
// code 2. With a panic handler installed the handler gets that fatal error instead,
// and every deadlocked Go.Main throws DeadlockException.
//
// Go decides by counting: no thread runs Go code, no timer is pending, and nothing
// but the netpoller, which it counts too, can ready a goroutine from outside. Here
// any .NET thread may hold a channel and send on it later (a plain Thread, a
// System.Threading.Timer callback, a task on the thread pool), and the runtime knows
// neither those threads nor what they hold. So counting only nominates; the garbage
// collector decides, by the leak detector's proof (LeakDetector.cs): a parked
// goroutine that nothing outside the registry references can never be woken. Three
// stages, each dearer than the one before and run only when that one holds:
//   1. Quiet (sysmon, every round while a Go.Main is in progress; Scheduler.IsQuiet):
//      every processor idle or retired, with an empty run queue and no timer; no
//      spinning machine; an empty global queue; and the sum of the processors' step
//      ticks is what the round before saw, so nothing ran in between.
//   2. Asleep (sysmon, once per quiet period): every live goroutine is Waiting, for
//      any reason but ForeignAwait, IOWait and Sleep, and the main goroutine of a
//      Go.Main in progress is one of them, or has ended by Go.Goexit (then no goroutine
//      left at all is Go's "no goroutines (main called runtime.Goexit)"). A goroutine that awaits a .NET task, I/O or
//      a sleep waits for the world outside, as a Go goroutine in the netpoller or on a
//      timer does, which Go's checkdead does not call a deadlock either; one in a
//      blocking region (Syscall) is running.
//   3. Unreachable (a thread-pool work item, one at a time): a leak pass, which lets
//      the registry release the parked goroutines for one full blocking collection
//      and marks those that nothing else reached. Then, under the leak detector's pass
//      lock (so the registry is whole): stage 1 holds with the step sum it had before
//      the pass, every live goroutine is asleep as in stage 2 and marked leaked, and
//      stage 1 still holds with that sum. Only then the report.
//
// Why it is never a false alarm. The verdict rests on stage 3's marks; stages 1 and 2
// spare collections and keep out what Go would not call a deadlock. A goroutine is
// marked leaked when it was parked and a full collection found nothing but the
// registry referencing it. Waking a goroutine takes a reference to it (its waiter in
// a channel's queue or a lock's semaphore, a timer heap's entry, a task's
// continuation), and an object the collector found unreachable never becomes
// reachable again: no thread, timer callback, static field or queued work item can
// reach it later, whatever it does, nor can a goroutine spawned later, which reaches
// only what its spawner reached. The one way back is a finalizer run by that
// collection, which may resurrect what it references. The pass waits for those
// finalizers, and a goroutine one of them readied is Runnable, or queued, or has run
// a step since (a step counts its processor's step tick before the goroutine's code
// runs, and the processor goes back to the idle list under the scheduler lock that
// IsQuiet takes), so the re-check fails. A finalizer that stores what it reached and
// wakes it later is the one way around this; Go's checkdead does not wait for
// finalizers either. So when every live goroutine is marked leaked, none of them, and
// so no main goroutine, can ever run again.
//
// The one verdict without that proof: after a main goroutine ended by Go.Goexit, no
// goroutine left at all is Go's "no goroutines" fatal error, though a thread outside
// the runtime might still start one later (Go has no such threads). Go.Goexit's
// remarks say so.
//
// The other way round, a deadlock goes unreported while something keeps a blocked
// goroutine reachable: a channel in a static field, or one in a local of the method
// that called Go.Main, captured by its main function (Go.Main's remarks say so). The
// runtime's own threads hold nothing: a machine drops a goroutine after each step
// (Scheduler.Loop.cs), Go.Main's thread holds an id (Scheduler.Main.cs), and sysmon's
// scan empties its list before the round goes on.
//
// Pace. While no Go.Main is in progress, sysmon pays one volatile read per round;
// while one is, a few reads per processor, and the scheduler lock only when they say
// quiet. Stage 2 reads the registry once per quiet period, and looks again after
// 10 ms, doubling up to 1 s, when it found a goroutine between steps or in a
// blocking region (a region can end and its goroutine park within one step, which
// no step tick shows). Stage 3 costs a full blocking collection. It runs as soon as
// stage 2 first says asleep, and every pass that does not end the program doubles
// the wait before the next one, from 100 ms up to 10 s, whatever runs in between: a
// program that waits on a foreign thread, or that a foreign thread keeps waking,
// collects at most every 10 s once the wait has grown. Each Go.Main that starts
// resets the wait to 100 ms.
//
// Latency. Sysmon naps at most 10 ms while idle, so a deadlock is reported about two
// rounds (10 to 20 ms) plus one collection after the last step; after passes that
// found the program awake, up to the current wait later (at most 10 s).
//
// Rejected: counting foreign threads (the runtime cannot see them, nor what they
// hold); the structural stages alone (a foreign thread about to send makes them a
// false alarm); a pass again whenever something ran (a foreign thread that sends
// every few milliseconds would make the program collect as often).
//
// Invariants:
// - At most one pass is queued or running (_passRunning); while it is, sysmon
//   touches nothing else of this detector.
// - The quiet-period and pacing fields are sysmon's alone. The pass writes only
//   _passEndedAt and _passes, before it clears _passRunning (a release), and sysmon
//   reads them only after seeing it clear (an acquire).
// - A Go.Main call is reported at most once: MainCall.DeadlockDump is set once,
//   under _mainsLock, before its exit event is set.
internal sealed class DeadlockDetector
{
    /// <summary>Go's message, after <c>fatal error: </c>, when goroutines are left and all are blocked.</summary>
    public const string Message = "all goroutines are asleep - deadlock!";

    /// <summary>Go's message when a main goroutine ended by Goexit and no goroutine is left.</summary>
    public const string NoGoroutinesMessage = "no goroutines (main called runtime.Goexit) - deadlock!";

    // Stage 2's next look after it found a goroutine between steps: 10 ms (sysmon's longest
    // nap), doubling up to 1 s (picked without data: a registry of a million goroutines takes
    // milliseconds to read).
    private static readonly long s_firstRescanWait = Stopwatch.Frequency / 100;
    private static readonly long s_lastRescanWait = Stopwatch.Frequency;

    // Stage 3's wait after a pass that found the program awake: 100 ms, doubling up to 10 s
    // (picked without data: a full collection of a large heap takes tens of milliseconds, so an
    // idle program that waits on a foreign thread spends well under one per cent on them).
    private static readonly long s_firstPassWait = Stopwatch.Frequency / 10;
    private static readonly long s_lastPassWait = Stopwatch.Frequency * 10;

    private readonly Scheduler _scheduler;

    // Go.Main calls in progress; under _mainsLock. _mainCount mirrors _mains.Count for sysmon's
    // one read per round; _mainStarts counts registrations, so sysmon sees a new Go.Main.
    private readonly Lock _mainsLock = new();
    private readonly List<MainCall> _mains = [];
    private volatile int _mainCount;  // written under _mainsLock, read by sysmon every round
    private volatile int _mainStarts; // written under _mainsLock, read by sysmon every round

    // ---- sysmon only ----
    private bool _quiet;             // the previous round found the scheduler quiet...
    private uint _quietSteps;        // ...with this step sum
    private uint _racySteps;         // the step sum the previous round read without the lock
    private long _nextScanAt;        // when stage 2 may look next in this quiet period (Stopwatch ticks)
    private long _rescanWait;        // stage 2's wait after it found a goroutine between steps
    private long _nextPassAt = long.MinValue;
    private long _passWait = s_firstPassWait;
    private long _passesSeen;
    private int _mainStartsSeen;
    private readonly List<Goroutine> _scanned = [];
    private readonly List<long> _mainIds = [];

    // ---- handed between sysmon and the pass through _passRunning ----
    private int _passRunning;        // 1 from StartPass until the pass ends
    private uint _passSteps;         // the step sum stage 1 saw; written before the pass is queued
    private long _passEndedAt;       // written by the pass before it clears _passRunning
    private long _passes;            // passes completed; interlocked
    private long _scans;             // stage 2 scans completed; written by sysmon
    private int _lastVerdict = -1;   // the last scan's Verdict, -1 before the first; written by sysmon

    /// <summary>Creates the detector of <paramref name="scheduler"/>; sysmon drives it.</summary>
    public DeadlockDetector(Scheduler scheduler) => _scheduler = scheduler;

    /// <summary>Whether a Go.Main is in progress: the one field sysmon reads every round.</summary>
    public bool IsWatching => _mainCount != 0;

    /// <summary>How many times stage 2 has read the registry. Any thread; for tests.</summary>
    internal long Scans => Volatile.Read(ref _scans);

    /// <summary>Whether the last scan found the goroutines awake (not asleep, and staying so until a step). Any thread; for tests.</summary>
    internal bool LastScanFoundAwake => Volatile.Read(ref _lastVerdict) == (int)Verdict.Awake;

    /// <summary>How many collection passes (stage 3) have ended. Any thread; for tests.</summary>
    internal long Passes => Interlocked.Read(ref _passes);

    /// <summary>Registers a Go.Main call whose main goroutine is <paramref name="goroutineId"/>. Its thread.</summary>
    public MainCall Register(long goroutineId, MainExit exited)
    {
        var call = new MainCall(goroutineId, exited);
        lock (_mainsLock)
        {
            _mains.Add(call);
            _mainStarts++;
            _mainCount = _mains.Count;
        }

        return call;
    }

    /// <summary>
    /// Notes that the call's main goroutine ended by Go.Goexit: from now on the call counts as a
    /// main goroutine asleep, so the program is deadlocked once every goroutine left is (or none
    /// is left), as Go's checkdead decides after main called runtime.Goexit. Its thread.
    /// </summary>
    public void NoteGoexit(MainCall call)
    {
        lock (_mainsLock)
        {
            call.Goexited = true;
            _mainStarts++; // a new quiet period and pacing, as for a new program
        }
    }

    /// <summary>Ends a Go.Main call's registration, once its thread stopped waiting. Its thread.</summary>
    public void Unregister(MainCall call)
    {
        lock (_mainsLock)
        {
            _mains.Remove(call);
            _mainCount = _mains.Count;
        }
    }

    /// <summary>
    /// Stages 1 and 2, and the start of stage 3 (see the header). Sysmon only, every round while
    /// <see cref="IsWatching"/>; <paramref name="now"/> in Stopwatch ticks.
    /// </summary>
    /// <remarks>Go calls it where a thread stops or a goroutine exits; here sysmon polls. Go: checkdead.</remarks>
    public void MonitorRound(long now)
    {
        if (Volatile.Read(ref _passRunning) != 0) // acquire: pairs with the release at the end of RunPass
        {
            return;
        }

        long passes = Volatile.Read(ref _passes);
        if (passes != _passesSeen)
        {
            _passesSeen = passes;
            _nextPassAt = _passEndedAt + _passWait;
            _passWait = Math.Min(_passWait * 2, s_lastPassWait);
        }

        int starts = _mainStarts;
        if (starts != _mainStartsSeen)
        {
            // A new program, as far as pacing goes: no quiet period carried over, no wait.
            _mainStartsSeen = starts;
            _passWait = s_firstPassWait;
            _nextPassAt = long.MinValue;
            _quiet = false;
        }

        // Anything ran since the last round: not quiet, without touching the scheduler lock (a
        // busy program's sysmon would otherwise take it at every moment both processors idle
        // between two steps; a cost W3 with two processors would pay).
        uint racySteps = _scheduler.StepTickSum();
        if (racySteps != _racySteps)
        {
            _racySteps = racySteps;
            _quiet = false;
            return;
        }

        if (!_scheduler.IsQuiet(out uint steps))
        {
            _quiet = false;
            return;
        }

        if (!_quiet || steps != _quietSteps)
        {
            // A new quiet period: stage 2 looks at the next round if nothing runs meanwhile.
            _quiet = true;
            _quietSteps = steps;
            _nextScanAt = long.MinValue;
            _rescanWait = s_firstRescanWait;
            return;
        }

        if (now < _nextScanAt)
        {
            return;
        }

        switch (Scan())
        {
            case Verdict.Asleep when now >= _nextPassAt:
                StartPass(steps);
                _nextScanAt = long.MinValue; // look again once the pass is over
                break;
            case Verdict.Asleep:
                _nextScanAt = _nextPassAt;
                break;
            case Verdict.Moving:
                _nextScanAt = now + _rescanWait;
                _rescanWait = Math.Min(_rescanWait * 2, s_lastRescanWait);
                break;
            default:
                _nextScanAt = long.MaxValue; // awake: nothing changes until a goroutine runs a step
                break;
        }
    }

    /// <summary>Stage 2: reads the registry. Sysmon only.</summary>
    /// <remarks>Not inlined, so that no frame of sysmon's keeps a goroutine alive across a later pass.</remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private Verdict Scan()
    {
        // Sysmon never waits for a collection: if a leak pass holds part of the registry, later.
        if (!LeakDetector.PassLock.TryEnter())
        {
            return Verdict.Moving;
        }

        try
        {
            bool goexited = CopyPendingMains(_mainIds);
            foreach (GoroutineList list in _scheduler.GoroutineLists)
            {
                list.CopyLiveTo(_scanned);
            }

            Verdict verdict = Classify(_scanned, _mainIds, goexited, requireLeaked: false);
            Volatile.Write(ref _lastVerdict, (int)verdict);
            Volatile.Write(ref _scans, _scans + 1); // sysmon is the only writer; read by Scans
            return verdict;
        }
        finally
        {
            LeakDetector.PassLock.Exit();
            _scanned.Clear();
            _mainIds.Clear();
        }
    }

    /// <summary>
    /// Whether every goroutine of <paramref name="live"/> is asleep (stage 2's test; with
    /// <paramref name="requireLeaked"/>, also marked leaked, stage 3's) with a main goroutine
    /// among them, or with <paramref name="mainGoexited"/> (a main goroutine ended by Goexit, so
    /// every goroutine asleep, or none left, is a deadlock); else whether the difference may go
    /// away without a step (Moving) or not (Awake).
    /// </summary>
    private static Verdict Classify(List<Goroutine> live, List<long> mainIds, bool mainGoexited, bool requireLeaked)
    {
        bool mainAsleep = mainGoexited;
        foreach (Goroutine g in live)
        {
            switch (g.Status)
            {
                case GoroutineStatus.Waiting:
                    WaitReason reason = g.WaitReason;
                    if (reason == WaitReason.None)
                    {
                        return Verdict.Moving; // its park is still being recorded
                    }

                    if (reason is WaitReason.ForeignAwait or WaitReason.IOWait or WaitReason.Sleep
                        || (requireLeaked && !LeakDetector.IsMarkedLeaked(g)))
                    {
                        return Verdict.Awake; // may be woken from outside; if it is, it runs a step
                    }

                    mainAsleep |= mainIds.Contains(g.Id);
                    break;
                case GoroutineStatus.Dead:
                    break; // exited since it was listed
                default:
                    return Verdict.Moving; // runnable, running, or in a blocking region
            }
        }

        return mainAsleep ? Verdict.Asleep : Verdict.Awake;
    }

    /// <summary>
    /// Adds the main goroutine ids of the Go.Main calls not reported yet, and the calls themselves
    /// if <paramref name="calls"/> is given; returns whether one of them ended by Goexit. Any thread.
    /// </summary>
    private bool CopyPendingMains(List<long> ids, List<MainCall>? calls = null)
    {
        bool goexited = false;
        lock (_mainsLock)
        {
            foreach (MainCall call in _mains)
            {
                if (call.DeadlockDump is null)
                {
                    ids.Add(call.GoroutineId);
                    calls?.Add(call);
                    goexited |= call.Goexited;
                }
            }
        }

        return goexited;
    }

    /// <summary>Queues stage 3. Sysmon only, with no pass running.</summary>
    private void StartPass(uint steps)
    {
        _passRunning = 1;
        _passSteps = steps; // queueing the work item publishes both
        ThreadPool.UnsafeQueueUserWorkItem(static detector => detector.RunPass(), this, preferLocal: false);
    }

    /// <summary>Stage 3: a leak pass, the re-check, and the report if it holds. A thread-pool thread.</summary>
    private void RunPass()
    {
        try
        {
            _ = LeakDetector.FindLeaked();
            if (Confirm(_passSteps, out string message, out List<MainCall>? deadlocked) is { } dump)
            {
                Report(message, dump, deadlocked!);
            }
        }
        finally
        {
            _passEndedAt = Stopwatch.GetTimestamp();
            Interlocked.Increment(ref _passes); // read by sysmon after the release below, and by Passes
            Volatile.Write(ref _passRunning, 0); // release: pairs with the acquire at the top of MonitorRound
        }
    }

    /// <summary>
    /// Stage 3's re-check after the collection (see the header): returns the dump of every
    /// goroutine, Go's message for the deadlock and the deadlocked Go.Main calls, or null if the
    /// program is not deadlocked. The pass thread.
    /// </summary>
    private string? Confirm(uint steps, out string message, out List<MainCall>? deadlocked)
    {
        deadlocked = null;
        message = Message;
        var pending = new List<MainCall>();
        var mainIds = new List<long>();
        bool goexited = CopyPendingMains(mainIds, pending);

        lock (LeakDetector.PassLock)
        {
            if (!_scheduler.IsQuiet(out uint before) || before != steps)
            {
                return null;
            }

            List<Goroutine> live = _scheduler.LiveGoroutines();
            if (Classify(live, mainIds, goexited, requireLeaked: true) != Verdict.Asleep
                || !_scheduler.IsQuiet(out uint after) || after != steps)
            {
                return null;
            }

            deadlocked = pending.FindAll(call => call.Goexited || live.Exists(g => g.Id == call.GoroutineId));
            if (live.Count == 0)
            {
                message = NoGoroutinesMessage; // Go's checkdead, when main called Goexit and every other goroutine returned
            }

            // Described as Go describes them: asleep, not "(leaked)"; a deadlock is the program's state.
            return GoroutineDumpText.Full(GoroutineDump.DescribeAll(live, current: null, static _ => false));
        }
    }

    /// <summary>
    /// Delivers Go's fatal error; if a panic handler took it (without one the process has ended),
    /// makes every deadlocked Go.Main throw. The pass thread.
    /// </summary>
    private void Report(string message, string dump, List<MainCall> deadlocked)
    {
        _scheduler.FatalWithDump(message, dump);
        lock (_mainsLock)
        {
            foreach (MainCall call in deadlocked)
            {
                call.DeadlockMessage = message;
                call.DeadlockDump = dump;
            }
        }

        foreach (MainCall call in deadlocked)
        {
            call.Exited.Signal(byGoexit: false);
        }
    }

    /// <summary>What stage 2 (or stage 3's re-check) found.</summary>
    private enum Verdict
    {
        /// <summary>Every goroutine waits on another, a main goroutine among them.</summary>
        Asleep,

        /// <summary>Not asleep, and that lasts until some goroutine runs a step (which starts a new quiet period).</summary>
        Awake,

        /// <summary>Not asleep, and that may change without a step: a goroutine between steps or in a blocking region.</summary>
        Moving,
    }

    /// <summary>A Go.Main call in progress: its main goroutine, by id (never by reference), and its exit signal.</summary>
    internal sealed class MainCall(long goroutineId, MainExit exited)
    {
        /// <summary>The main goroutine's id.</summary>
        public long GoroutineId { get; } = goroutineId;

        /// <summary>Signalled when the main goroutine exits, or by the detector after a deadlock was delivered to a handler.</summary>
        public MainExit Exited { get; } = exited;

        /// <summary>Whether the main goroutine ended by Go.Goexit and the call waits for the rest of the program; written under the detector's lock.</summary>
        public bool Goexited { get; set; }

        /// <summary>The fatal error of the deadlock the call is part of, once reported to a handler; written with <see cref="DeadlockDump"/>.</summary>
        public string? DeadlockMessage { get; set; }

        /// <summary>The dump of the deadlock the call is part of, once reported to a handler; written once under the detector's lock, before <see cref="Exited"/> is signalled.</summary>
        public string? DeadlockDump { get; set; }
    }
}
