// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Diagnostics;
using Goroutines.Time;

namespace Goroutines.Scheduling;

// Bubble: Go's synctest bubble (Go 1.25), and the explored bubble built on it.
//
// A bubble is a set of goroutines, the one its body runs in and every goroutine started
// inside it, transitively, with a clock of its own (BubbleClock) and a timer heap of its
// own: the timers, tickers, sleeps and contexts' deadlines its goroutines create live in
// that heap, which no processor runs. Its time moves only when every goroutine of the
// bubble is durably blocked, parked on something only the bubble can wake; then it jumps
// to the next timer and fires what is due at that instant.
//
// Accounting: _active counts members that are not durably blocked (running, runnable, or
// parked on something outside the bubble: a .NET task, I/O, a channel created outside).
//   park (FinishStep, before the goroutine's scheduled flag drops): a durable wait counts
//     down, unless work was posted to the goroutine already; the bubble may be idle from here on;
//   ready (Enqueue's winner, any thread), or a post to a goroutine whose flag it did not win
//     (Enqueue's loser, after queueing the work): counts a durably blocked member back up.
//     A post that lands between a park's count and its flag's drop is seen by one of the two,
//     under the bubble's lock, and its poster (a member in its step, or the bubble firing its
//     timers) keeps _active above zero until it is counted: idle is never seen in between;
//   exit: counts down and leaves the member list;
//   a step's end, an exit and a spawn call MoveOn, which acts when _active is 0: it
//     readies a goroutine in Wait, else completes the bubble when no member is left, else
//     advances time to the next timer, else fails with a deadlock (or, once the body has
//     returned, with a leak: the goroutines left behind).
// The park is counted before the scheduled flag drops, so no ready can be counted before
// the park it ends. While MoveOn fires timers (_advancing) nobody else acts, so time
// moves one instant at a time.
//
// Explored (a ScheduleChooser): the bubble also decides who runs. Its goroutines never
// reach a run queue by themselves: a spawn, a ready, a yield and a step that leaves more
// work put the member on _runnable, and MoveOn releases one chosen goroutine at a time
// (_running) into the scheduler; the next choice is made when its step ends. Every safe
// point asks the chooser whether to yield (SafePoint), selects take their seeds from it
// and timers due at one instant fire in its order. A ready from outside the bubble's own
// flow (a .NET task completing on another thread) is counted: the one place where a
// replay may diverge.
//
// Where .NET forces a difference from Go: a synchronous wait (Receive, Lock, Sleep)
// blocks a thread, which the bubble cannot see, so it fails with NotSupportedException
// inside a bubble; waits on the sync primitives count as durable wherever the primitive
// was created (Go's Mutex waits do not: .NET code holds locks across awaits, so a lock
// held by a sleeping goroutine is common, and must let time advance); closing a bubble's
// channel from outside is allowed (a cancellation propagating from an outer context).
//
// Cost outside bubbles: every hook on a hot path (Enqueue, FinishStep, a step's end, a spawn,
// a channel's creation, a timer's scheduling) first reads LiveCount, one static that stays in
// the cache, and reads a goroutine's own flags only while some bubble lives.
//
// A panic fails the bubble (the first failure wins); one that comes after the bubble's outcome
// is decided is reported as the runtime reports any panic, never dropped.
//
// Invariants (under _lock):
// - _active == number of members with DurablyBlocked false (the Wait caller included).
// - Explored: at most one member is released (_running) at a time; a member is on
//   _runnable at most once, and never while it is _running.
// - Once _finished, MoveOn does nothing: the bubble's outcome is decided. An explored
//   bubble then ends the goroutines it held runnable without running them (Scheduler.Abandon).
internal sealed class Bubble
{
    private static readonly ConditionalWeakTable<Goroutine, BubbleMember> s_members = [];

    // The bubble whose timers or wake-ups this thread is firing (its own flow, though no goroutine of it runs here).
    [ThreadStatic]
    private static Bubble? t_acting;

    private readonly Lock _lock = new();
    private readonly List<BubbleMember> _members = [];
    private readonly List<BubbleMember> _runnable = [];
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ScheduleChooser? _chooser;
    private readonly long _maxSteps;
    private long _now;
    private int _active;
    private bool _advancing;
    private bool _finished;
    private bool _rootExited;
    private long _dispatches;
    private int _foreignReadies;
    private BubbleMember? _root;
    private BubbleMember? _running;
    private BubbleMember? _lastRan;
    private SignalWaiter? _waitCaller;

    private Bubble(ScheduleChooser? chooser, long maxSteps)
    {
        _chooser = chooser;
        _maxSteps = maxSteps;
        Clock = new BubbleClock(this);
        Timers = new TimerHeap(this);
    }

    /// <summary>Whether any bubble is alive in the process (one read: the gate of every fast path).</summary>
    public static bool AnyLive => Volatile.Read(ref LiveCount.Value) != 0;

    /// <summary>The bubble of the calling flow: the running goroutine's, or the one whose timers this thread fires.</summary>
    public static Bubble? Current => AnyLive ? CurrentSlow() : null;

    /// <summary>The bubble's clock (Clock.Provider inside it).</summary>
    public BubbleClock Clock { get; }

    /// <summary>The bubble's timer heap, which only the bubble runs.</summary>
    public TimerHeap Timers { get; }

    /// <summary>Whether a chooser decides the bubble's schedule.</summary>
    public bool IsExplored => _chooser is not null;

    /// <summary>Now on the bubble's clock, in <see cref="Stopwatch.Frequency"/> units from its epoch.</summary>
    public long NowTimestamp => Volatile.Read(ref _now);

    /// <summary>Completes when the bubble's goroutines have all exited; fails with the first panic, a deadlock or a leak.</summary>
    public Task Completion => _done.Task;

    /// <summary>Readies that came from outside the bubble's own flow (foreign completions).</summary>
    public int ForeignReadies
    {
        get
        {
            lock (_lock)
            {
                return _foreignReadies;
            }
        }
    }

    /// <summary>The member record of <paramref name="g"/>, or null if it belongs to no bubble.</summary>
    public static BubbleMember? MemberOf(Goroutine? g) =>
        g is { InBubble: true } && s_members.TryGetValue(g, out BubbleMember? member) ? member : null;

    /// <summary>Now on the caller's clock in Stopwatch units: the bubble's inside one, else the system's.</summary>
    public static long Timestamp() => Current is { } bubble ? bubble.NowTimestamp : Stopwatch.GetTimestamp();

    /// <summary>
    /// Creates a bubble and starts <paramref name="body"/> as its first goroutine. Explored when
    /// <paramref name="chooser"/> is given, with at most <paramref name="maxSteps"/> steps.
    /// </summary>
    public static Bubble Start(Func<Task> body, ScheduleChooser? chooser, long maxSteps, string member, string file, int line)
    {
        if (Current is not null)
        {
            throw new InvalidOperationException("A bubble cannot start inside another bubble: start it from the test, outside any bubble (Go's synctest.Test forbids nesting too).");
        }

        var bubble = new Bubble(chooser, maxSteps);
        Interlocked.Increment(ref LiveCount.Value);
        if (chooser is not null)
        {
            SafePoint.NoteExplorationStarted();
        }

        Scheduler.Instance.SpawnInBubble(bubble, body, member, file, line);
        return bubble;
    }

    /// <summary>
    /// Fails with <see cref="NotSupportedException"/> when a goroutine of a bubble is about to block
    /// its thread (a synchronous wait), before the wait is registered anywhere.
    /// </summary>
    public static void ThrowIfBlockingInBubble()
    {
        if (Current is not null)
        {
            throw new NotSupportedException(
                "A synchronous wait (Send, Receive, Lock, Wait, Sleep, Select.Wait) blocks its thread, which a bubble cannot see: "
                + "inside a bubble use the async form (SendAsync, ReceiveAsync, LockAsync, WaitAsync, SleepAsync, Select.WaitAsync).");
        }
    }

    /// <summary>
    /// Whether a park of the running goroutine on a channel of <paramref name="owner"/> (null:
    /// created outside every bubble) waits outside its bubble: it is a member, and the channel is
    /// another bubble's or no bubble's. Such a park is not durable. Call only when <see cref="AnyLive"/>.
    /// </summary>
    public static bool WaitsOutsideItsBubble(Bubble? owner) => MemberOf(Goroutine.Running) is { } member && member.Bubble != owner;

    /// <summary>
    /// A flow of <paramref name="g"/> parked in its step on a waiter marked as waiting outside the
    /// bubble (Waiter.OnCompletedCore): the step's park is then not durable. Its own thread.
    /// </summary>
    public static void NoteParkOutside(Goroutine g)
    {
        if (MemberOf(g) is { } member)
        {
            member.WaitsOutside = true;
        }
    }

    /// <summary>Fails unless the caller belongs to this bubble: a bubble's channel is its own.</summary>
    public void CheckChannelAccess()
    {
        if (Current != this)
        {
            throw new InvalidOperationException(
                "A channel created inside a bubble was used from outside it (Go: \"receive on synctest channel from outside bubble\"). "
                + "Create the channels a bubble's goroutines share with the outside outside the bubble.");
        }
    }

    /// <summary>
    /// Makes <paramref name="g"/>, just created by a member (or the bubble's start), a member. Returns
    /// whether the bubble queues it itself (explored: the spawner then calls <see cref="MoveOn"/>,
    /// outside its runtime section); otherwise the spawner queues it as usual. The spawning thread,
    /// before the goroutine is queued.
    /// </summary>
    public bool Adopt(Goroutine g, bool isRoot)
    {
        var member = new BubbleMember(this, g);
        s_members.Add(g, member);
        g.MarkInBubble();
        lock (_lock)
        {
            _members.Add(member);
            _active++;
            if (isRoot)
            {
                _root = member;
            }

            if (_chooser is null)
            {
                return false;
            }

            _chooser.NoteNew(member);
            _runnable.Add(member);
        }

        return true;
    }

    /// <summary>A member became runnable (Enqueue won its scheduled flag). Any thread.</summary>
    public void Ready(BubbleMember member)
    {
        lock (_lock)
        {
            if (member.DurablyBlocked)
            {
                member.DurablyBlocked = false;
                _active++;
            }

            if (_chooser is not null)
            {
                _runnable.Add(member);
            }
        }

        if (_chooser is null)
        {
            Scheduler.Instance.Ready(member.Goroutine);
        }
        else
        {
            MoveOn();
        }
    }

    /// <summary>
    /// Work is about to reach a member (Goroutine.Enqueue, any thread): in an explored bubble, work
    /// from outside the bubble's own flow is counted, as the one thing the chooser does not order.
    /// </summary>
    public void NoteWorkArriving()
    {
        if (_chooser is not null && !IsOwnFlow())
        {
            lock (_lock)
            {
                _foreignReadies++;
            }
        }
    }

    /// <summary>
    /// A member's step ends in a park for <paramref name="reason"/>; counted before its scheduled
    /// flag drops. Its machine only.
    /// </summary>
    public void NotePark(BubbleMember member, WaitReason reason)
    {
        bool durable = reason is not (WaitReason.None or WaitReason.ForeignAwait or WaitReason.IOWait) && !member.WaitsOutside;
        member.WaitsOutside = false;
        if (durable)
        {
            lock (_lock)
            {
                // Work posted before this lock was taken is seen here; work posted after it counts
                // the member back (CountAsActive), and its poster, a member running its step or
                // the bubble's own timers, keeps _active above zero until then.
                if (!member.Goroutine.HasPostedWork)
                {
                    member.DurablyBlocked = true;
                    _active--;
                }
            }
        }
    }

    /// <summary>
    /// A member counted durably blocked is not: work was posted to it (Goroutine.Enqueue, any
    /// thread), or its park did not happen because work had arrived (its machine).
    /// </summary>
    public void CountAsActive(BubbleMember member)
    {
        lock (_lock)
        {
            if (member.DurablyBlocked)
            {
                member.DurablyBlocked = false;
                _active++;
            }
        }
    }

    /// <summary>
    /// A member panicked: the bubble fails with its exception, unless its outcome is decided
    /// already (then the caller reports the panic as the runtime reports any). Its machine only.
    /// </summary>
    /// <returns>Whether the panic became the bubble's failure.</returns>
    public bool TryFailWith(Exception panic)
    {
        lock (_lock)
        {
            if (_finished)
            {
                return false;
            }

            _finished = true;
        }

        Finish(panic);
        return true;
    }

    /// <summary>A member exited. Its machine only, before <see cref="AfterStep"/>.</summary>
    public void NoteExit(BubbleMember member)
    {
        lock (_lock)
        {
            _members.Remove(member);
            _active--;
            _rootExited |= member == _root;
        }
    }

    /// <summary>
    /// A member's step is over (its outcome applied): in an explored bubble a goroutine that yielded
    /// or has more work waits for its turn; then the bubble moves on. Its machine only.
    /// </summary>
    public void AfterStep(BubbleMember member, Goroutine.StepOutcome outcome)
    {
        member.WaitsOutside = false; // a step that did not park (a yield, more work) leaves nothing for the next
        if (_chooser is not null)
        {
            lock (_lock)
            {
                if (_running == member)
                {
                    _running = null;
                }

                _lastRan = member;
                if (outcome is Goroutine.StepOutcome.Yielded or Goroutine.StepOutcome.Preempted or Goroutine.StepOutcome.MoreWork)
                {
                    _runnable.Add(member);
                }
            }
        }

        MoveOn();
    }

    /// <summary>
    /// Whether the running member yields at the safe point it reached: the chooser decides in an
    /// explored bubble (sysmon's requests are ignored there: they depend on timing); otherwise sysmon's request.
    /// </summary>
    public bool ShouldYieldAtSafePoint(BubbleMember member)
    {
        if (_chooser is null)
        {
            return member.Goroutine.PreemptRequested;
        }

        lock (_lock)
        {
            return !_finished && _running == member && _chooser.ShouldPreempt(member, _runnable);
        }
    }

    /// <summary>The seed of a select created in this bubble: drawn from the chooser when explored.</summary>
    public uint? SelectSeed()
    {
        if (_chooser is null)
        {
            return null;
        }

        lock (_lock)
        {
            return _finished ? null : _chooser.NextSelectSeed(); // once decided, the record is the explorer's to read
        }
    }

    /// <summary>
    /// Parks the calling member until every other member is durably blocked (Go's
    /// <c>synctest.Wait</c>). Time does not move for it: the Wait returns first.
    /// </summary>
    public ValueTask WaitAsync()
    {
        SignalWaiter waiter = SignalWaiter.Rent();
        lock (_lock)
        {
            if (_waitCaller is not null)
            {
                waiter.Discard();
                throw new InvalidOperationException("synctest.Wait called from multiple goroutines of one bubble at once: let one goroutine wait.");
            }

            _waitCaller = waiter;
        }

        return waiter.ParkAsync(WaitReason.SyncTestWait);
    }

    /// <summary>
    /// Ends the bubble with <paramref name="failure"/> unless its outcome is decided: what the
    /// explorer does with a run that exceeds its time. Its goroutines stay where they are.
    /// </summary>
    public void Fail(Exception failure) => TryFailWith(failure);

    /// <summary>A dump of the bubble's live goroutines, in id order.</summary>
    public GoroutineDump Dump()
    {
        List<Goroutine> members;
        lock (_lock)
        {
            members = _members.ConvertAll(m => m.Goroutine);
        }

        members.Sort((a, b) => a.Id.CompareTo(b.Id));
        return GoroutineDump.Of(GoroutineDump.DescribeAll(members, Goroutine.Running, static _ => false));
    }

    private static Bubble? CurrentSlow() => t_acting ?? MemberOf(Goroutine.Running)?.Bubble;

    // Whether the calling flow is the bubble's own: one of its goroutines, or its timers firing.
    private bool IsOwnFlow() => t_acting == this || MemberOf(Goroutine.Running)?.Bubble == this;

    /// <summary>
    /// Moves the bubble on (see the header): releases the chosen goroutine, readies the Wait
    /// caller, advances time, or decides the outcome. Any thread, holding no lock and no runtime section.
    /// </summary>
    public void MoveOn()
    {
        while (true)
        {
            Goroutine? release = null;
            SignalWaiter? waitCaller = null;
            List<(object Item, uint Sequence)>? due = null;
            Outcome outcome = Outcome.None;
            lock (_lock)
            {
                if (_finished || _advancing || (_chooser is not null && _running is not null))
                {
                    return;
                }

                if (_chooser is not null && _runnable.Count > 0)
                {
                    if (++_dispatches > _maxSteps)
                    {
                        outcome = Outcome.StepBudget;
                    }
                    else
                    {
                        int pick = _chooser.PickNext(_runnable, _lastRan);
                        _running = _runnable[pick];
                        _runnable.RemoveAt(pick);
                        release = _running.Goroutine;
                    }
                }
                else if (_active > 0)
                {
                    return; // someone runs, or waits on something outside the bubble
                }
                else if (_waitCaller is not null)
                {
                    waitCaller = _waitCaller;
                    _waitCaller = null;
                }
                else if (_members.Count == 0)
                {
                    outcome = Outcome.Done;
                }
                else if (Timers.NextWhen != long.MaxValue)
                {
                    _advancing = true;
                    due = TakeNextInstantLocked();
                }
                else
                {
                    outcome = _rootExited ? Outcome.Leak : Outcome.Deadlock;
                }

                if (outcome != Outcome.None)
                {
                    _finished = true;
                }
            }

            if (outcome != Outcome.None)
            {
                Finish(OutcomeException(outcome));
                return;
            }

            Bubble? previous = t_acting;
            t_acting = this;
            try
            {
                if (release is not null)
                {
                    Scheduler.Instance.ReadyForThisMachine(release);
                    return;
                }

                if (waitCaller is not null)
                {
                    waitCaller.Ready();
                    return;
                }

                foreach ((object item, uint sequence) in due!)
                {
                    if (item is RuntimeTimer timer)
                    {
                        timer.Fire(sequence, lateness: 0);
                    }
                    else
                    {
                        ((Waiter)item).Ready();
                    }
                }
            }
            finally
            {
                t_acting = previous;
            }

            lock (_lock)
            {
                _advancing = false;
            }
        }
    }

    // Jumps the clock to the earliest timer and takes everything due then, in the chooser's order.
    private List<(object Item, uint Sequence)> TakeNextInstantLocked()
    {
        long when = Timers.NextWhen;
        Volatile.Write(ref _now, when);
        var due = new List<(object Item, uint Sequence)>();
        while (Timers.TryTakeDue(when, out object? item, out uint sequence, out _))
        {
            due.Add((item!, sequence));
        }

        if (due.Count > 1)
        {
            _chooser?.ShuffleTies(due);
        }

        return due;
    }

    private Exception? OutcomeException(Outcome outcome) => outcome switch
    {
        Outcome.Deadlock => new DeadlockException("deadlock: all goroutines in bubble are blocked", Dump().ToString()),
        Outcome.Leak => new GoroutineLeakException(Dump().Goroutines),
        Outcome.StepBudget => new TimeoutException(
            $"The explored run took more than {_maxSteps} scheduling steps (a livelock, or a run longer than ExplorationOptions.MaxSteps allows).\n{Dump()}"),
        _ => null,
    };

    private void Finish(Exception? failure)
    {
        if (_chooser is not null)
        {
            // The goroutines waiting for their turn will never get it: they end here, unrun, instead
            // of staying counted forever. Those parked stay parked (the dump of a failure shows them).
            List<BubbleMember> abandoned;
            lock (_lock)
            {
                abandoned = [.. _runnable];
                _runnable.Clear();
                foreach (BubbleMember member in abandoned)
                {
                    _members.Remove(member);
                }
            }

            foreach (BubbleMember member in abandoned)
            {
                Scheduler.Instance.Abandon(member.Goroutine);
            }
        }

        Interlocked.Decrement(ref LiveCount.Value);
        if (_chooser is not null)
        {
            SafePoint.NoteExplorationEnded();
        }

        if (failure is null)
        {
            _done.TrySetResult();
        }
        else
        {
            _done.TrySetException(failure);
        }
    }

    // Bubbles alive in the process: while 0, every check of the runtime's fast paths is this one
    // read. In a class of its own with no static initializer, so reading it needs no
    // class-initialization check (Bubble's own statics have initializers).
    private static class LiveCount
    {
        public static int Value;
    }

    private enum Outcome
    {
        None,
        Done,
        Deadlock,
        Leak,
        StepBudget,
    }
}
