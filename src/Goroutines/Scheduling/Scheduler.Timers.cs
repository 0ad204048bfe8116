// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Threading;

using Goroutines.Time;

namespace Goroutines.Scheduling;

// Timers on the scheduler (DESIGN.md §4): where timers are queued, who runs them, and
// who wakes up for them.
//
// Queued: in the heap of the processor the scheduling goroutine runs on (a thread
// outside the runtime picks a processor by its thread id). 100,000 sleeping
// goroutines cost one heap entry each, not a .NET Timer each.
//
// Run: a machine runs its processor's due timers at the top of every scheduling round
// (Go: checkTimers), and the due timers of every processor before it gives its own
// processor back (Go: stealWork's timer pass): an idle processor's timers, or those of
// a processor whose goroutine hogs it, are run by others. Firing is cheap and
// thread-agnostic (ready a goroutine, send on a one-slot channel, spawn a goroutine),
// so any thread may fire any timer.
//
// Woken for: the system monitor is the timer watcher. Before each nap it publishes when
// it will wake (_watchedUntil), fences, and shortens the nap to the earliest deadline of
// any heap; a timer that becomes a heap's earliest, earlier than the published wake-up,
// unparks it. It is a Dekker pair: the heap writes its new earliest deadline with a full
// fence and then reads _watchedUntil; the monitor writes _watchedUntil, fences, then reads
// the heaps. Either the monitor sees the new timer, or the scheduler of the timer sees
// the monitor's deadline and wakes it: never neither. Waking, with a processor idle, the
// monitor wakes a machine, which runs every due timer into its own queue before it would
// park; with every processor held, it waits a grace period for their own rounds, then
// fires what is still due itself (its goroutines go to the global queue, and the
// monitor's hand-off rules give them a processor held by a goroutine that never yields).
// A machine that goes idle wakes the monitor if its nap was planned too long.
//
// Rejected: a parked machine that waits for the earliest timer, as Go's netpoller does.
// The monitor must watch anyway (when every processor is held by goroutines that never
// yield, nobody else would run their timers), and one watcher keeps one protocol; the
// price is one more thread wake-up per idle timer, which W10 measures.
//
// The clock is a TimeProvider. With TimeProvider.System, deadlines are Stopwatch
// timestamps and the monitor sleeps precisely (Parker.ParkUntil). With any other
// provider (a test's fake clock) deadlines are that provider's timestamps, and one
// ITimer from the provider, armed for the earliest deadline, fires what is due when the
// provider says so; nothing else fires timers then (neither the scheduling loop nor the
// monitor), so a fake clock's Advance has fired every timer it passed when it returns,
// with no firing still in flight on another thread. A timer due at once arms the ITimer
// for now, which such a provider runs inside Change (as Microsoft's FakeTimeProvider does)
// or at once.
//
// A bubble's timers (Bubble.cs) live in the bubble's own heap, on its own clock: nothing
// here runs or watches that heap; the bubble fires it when its time jumps.
//
// Invariants:
// - A timer is in at most one heap, its home (RuntimeTimer.Heap).
// - _watchedUntil is at or before the moment the system monitor will next look at the
//   heaps, except while it is awake and about to look (long.MinValue).
// - With another provider, its ITimer is armed for _clockWakeArmedFor, which is at or
//   before every queued deadline; except while the ITimer's callback runs (long.MaxValue),
//   which re-arms for the earliest deadline it leaves.
internal sealed partial class Scheduler
{
    private readonly Lock _clockLock = new();

    // The runtime's clock. Replaced under _clockLock; read racily (see SetClock's remarks).
    private volatile TimeProvider _clock = TimeProvider.System;
    private volatile bool _systemClock = true;

    // Another provider's wake-up timer and the deadline it is armed for (long.MaxValue: not
    // armed); written under _clockLock, the deadline read racily by ScheduleTimer.
    private ITimer? _clockWakeTimer;
    private long _clockWakeArmedFor = long.MaxValue;

    // When the system monitor will next look at the heaps (clock units); see the header.
    private long _watchedUntil = long.MinValue;

    // The longest due time an ITimer accepts (System.Threading.Timer's limit, 2^32-2 ms).
    private static readonly TimeSpan s_longestClockWake = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    // How long a due timer may wait for a busy processor's own scheduling round before the
    // monitor fires it (1 ms, picked without data: well under W10's goal, long enough that the
    // monitor does not fire the timers of busy processors that would run them in a moment).
    private static readonly long s_busyTimerGrace = Stopwatch.Frequency / 1000;

    /// <summary>The runtime's clock.</summary>
    public TimeProvider Clock => _clock;

    /// <summary>Now, in the clock's timestamp units.</summary>
    public long Now() => _systemClock ? Stopwatch.GetTimestamp() : _clock.GetTimestamp();

    /// <summary>The deadline <paramref name="delay"/> from now in clock units (now for a non-positive delay), saturating.</summary>
    public long DeadlineAfter(TimeSpan delay) => DeadlineAfter(delay, bubble: null);

    /// <summary>
    /// The deadline <paramref name="delay"/> from now on <paramref name="bubble"/>'s clock, or the
    /// runtime's for null, in that clock's units (now for a non-positive delay), saturating.
    /// </summary>
    public long DeadlineAfter(TimeSpan delay, Bubble? bubble)
    {
        long now = bubble?.NowTimestamp ?? Now();
        long ticks = ToClockTicks(delay, bubble);
        return ticks > long.MaxValue - now ? long.MaxValue : now + ticks;
    }

    /// <summary>A duration in the units of <paramref name="bubble"/>'s clock, or the runtime's for null; 0 for a non-positive one, saturating.</summary>
    public long ToClockTicks(TimeSpan duration, Bubble? bubble = null)
    {
        if (duration <= TimeSpan.Zero)
        {
            return 0;
        }

        long frequency = bubble?.Clock.TimestampFrequency ?? _clock.TimestampFrequency;
        Int128 ticks = (Int128)duration.Ticks * frequency / TimeSpan.TicksPerSecond;
        return ticks > long.MaxValue ? long.MaxValue : Math.Max((long)ticks, 1);
    }

    /// <summary>
    /// Queues <paramref name="timer"/> (or moves it, if queued) for <paramref name="when"/>, in its
    /// home heap: on its first schedule, <paramref name="bubble"/>'s, else the caller's processor's. Any thread.
    /// </summary>
    /// <returns>
    /// Whether it became the earliest deadline the watcher does not wait for: then call
    /// <see cref="WakeTimerWatcher"/>, holding no lock a timer's firing takes.
    /// </returns>
    /// <remarks>Go: timer.modify and timers.addHeap.</remarks>
    public bool ScheduleTimer(RuntimeTimer timer, long when, long period, uint sequence, Bubble? bubble)
    {
        TimerHeap heap = timer.Heap ??= HomeHeapOfCaller(bubble);
        return heap.Schedule(timer, when, period, sequence) && heap.Bubble is null && when < WatchedUntil();
    }

    // The deadline the watcher (the monitor, or another provider's timer) will look at the heaps by.
    private long WatchedUntil() => _systemClock ? Volatile.Read(ref _watchedUntil) : Volatile.Read(ref _clockWakeArmedFor);

    /// <summary>
    /// Queues the wake-up of a goroutine that sleeps on <paramref name="waiter"/> until
    /// <paramref name="when"/>, in <paramref name="bubble"/>'s heap, else the caller's processor's. Any thread.
    /// </summary>
    /// <remarks>Go: resetForSleep.</remarks>
    public void ScheduleWakeUp(Waiter waiter, long when, Bubble? bubble)
    {
        if (HomeHeapOfCaller(bubble).ScheduleWakeUp(waiter, when) && bubble is null && when < WatchedUntil())
        {
            WakeTimerWatcher(when);
        }
    }

    /// <summary>Runs <paramref name="heap"/>'s timers due at <paramref name="now"/>; returns how many fired.</summary>
    /// <remarks>Go: timers.run, called from checkTimers.</remarks>
    public static int RunDueTimers(TimerHeap heap, long now)
    {
        int fired = 0;
        while (heap.NextWhen <= now && heap.TryTakeDue(now, out object? due, out uint sequence, out long dueWhen))
        {
            if (due is RuntimeTimer timer)
            {
                timer.Fire(sequence, now - dueWhen);
            }
            else
            {
                ((Waiter)due!).Ready();
            }

            fired++;
        }

        return fired;
    }

    /// <summary>Runs every processor's due timers; returns how many fired.</summary>
    public int RunDueTimersEverywhere()
    {
        long now = long.MinValue;
        int fired = 0;
        foreach (Processor processor in Processors)
        {
            if (processor.Timers.NextWhen != long.MaxValue)
            {
                if (now == long.MinValue)
                {
                    now = Now();
                }

                fired += RunDueTimers(processor.Timers, now);
            }
        }

        return fired;
    }

    /// <summary>The earliest deadline of any heap, long.MaxValue if none.</summary>
    public long EarliestTimer()
    {
        long earliest = long.MaxValue;
        foreach (Processor processor in Processors)
        {
            earliest = Math.Min(earliest, processor.Timers.NextWhen);
        }

        return earliest;
    }

    /// <summary>
    /// The system monitor's round for timers. When a timer is due and a processor is idle, wake
    /// a machine to run it (it runs every processor's due timers before it parks, into its own
    /// queue); when a timer is overdue by the grace period, no machine ran it (every processor
    /// is held by goroutines that do not yield, or no thread could be had): fire it here. Sysmon only.
    /// </summary>
    internal void ServeTimersFromMonitor()
    {
        if (!_systemClock)
        {
            return; // the provider's own timer fires them
        }

        long earliest = EarliestTimer();
        if (earliest == long.MaxValue)
        {
            return;
        }

        long now = Stopwatch.GetTimestamp();
        if (earliest > now)
        {
            return;
        }

        // Overdue by the grace: no machine ran it (every processor held, or no thread to be had).
        if (now - earliest >= s_busyTimerGrace)
        {
            RunDueTimersEverywhere();
        }
        else if (IdleProcessorCount > 0)
        {
            Wakep();
        }

    }

    /// <summary>
    /// A machine gave its processor back: if a timer is due before the monitor means to look,
    /// wake the monitor, whose nap was planned while every processor was busy.
    /// </summary>
    internal void NoteProcessorIdle()
    {
        if (!_systemClock)
        {
            return;
        }

        // A Dekker pair with the monitor's planning: the idle processor was counted before this
        // fence, the monitor publishes its plan before its own fence and counts idle processors
        // after it. Either it sees this processor idle, or this sees its plan.
        Interlocked.MemoryBarrier();
        if (EarliestTimer() < Volatile.Read(ref _watchedUntil))
        {
            _monitor.WakeUp();
        }
    }

    /// <summary>
    /// The system monitor's nap: at most <paramref name="napMicroseconds"/>, cut short by the
    /// earliest timer or by a wake-up for an earlier one (see the header). Sysmon only.
    /// </summary>
    internal void NapUntilTimerOrTimeout(Parker parker, long napMicroseconds)
    {
        if (!_systemClock)
        {
            ThreadNap.Sleep(napMicroseconds); // the provider's own timer wakes the heaps
            return;
        }

        long now = Stopwatch.GetTimestamp();
        long until = now + (napMicroseconds * Stopwatch.Frequency / 1_000_000);
        Volatile.Write(ref _watchedUntil, until);
        Interlocked.MemoryBarrier(); // pairs with TimerHeap.PublishNextWhen's exchange and NoteProcessorIdle's fence
        long earliest = EarliestTimer();
        if (earliest != long.MaxValue && IdleProcessorCount == 0)
        {
            earliest = earliest > long.MaxValue - s_busyTimerGrace ? long.MaxValue : earliest + s_busyTimerGrace;
        }

        if (earliest < until)
        {
            // Never less than the shortest nap, even for a timer already due: the monitor has woken
            // a machine for it, and a monitor that spun meanwhile could keep that machine off the
            // CPU it shares (measured: 1 ms per wake-up of W10).
            until = Math.Max(earliest, now + (SystemMonitor.MinNapMicroseconds * Stopwatch.Frequency / 1_000_000));
            Volatile.Write(ref _watchedUntil, until);
        }

        parker.ParkUntil(until);
        Volatile.Write(ref _watchedUntil, long.MinValue); // awake: about to look at the heaps
    }

    /// <summary>
    /// Makes <paramref name="provider"/> the runtime's clock. Queued timers keep their remaining
    /// time. Timers being scheduled by other threads at the same moment may be converted from the
    /// wrong clock: change the clock while nothing else schedules timers (at start-up, in a test).
    /// </summary>
    public void SetClock(TimeProvider provider)
    {
        lock (_clockLock)
        {
            TimeProvider old = _clock;
            if (ReferenceEquals(old, provider))
            {
                return;
            }

            long oldNow = Now();
            long newNow = provider.GetTimestamp();
            long oldFrequency = old.TimestampFrequency;
            long newFrequency = provider.TimestampFrequency;
            long Scale(long period) => (long)Int128.Min((Int128)period * newFrequency / oldFrequency, long.MaxValue);

            long Shift(long when)
            {
                if (when == long.MaxValue)
                {
                    return long.MaxValue;
                }

                Int128 converted = newNow + ((Int128)(when - oldNow) * newFrequency / oldFrequency);
                return converted >= long.MaxValue ? long.MaxValue - 1 : (long)converted;
            }

            foreach (Processor processor in Processors)
            {
                processor.Timers.Rebase(Shift, Scale);
            }

            _clockWakeTimer?.Dispose();
            _clockWakeTimer = null;
            _systemClock = ReferenceEquals(provider, TimeProvider.System);
            _clock = provider;
            Volatile.Write(ref _clockWakeArmedFor, long.MaxValue);
            if (!_systemClock)
            {
                _clockWakeTimer = provider.CreateTimer(static s => ((Scheduler)s!).OnClockWakeTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                ArmClockWakeTimerLocked(EarliestTimer());
            }
        }

        _monitor.WakeUp();
    }

    // The heap a timer scheduled by the caller lives in: its bubble's, else its processor's.
    private TimerHeap HomeHeapOfCaller(Bubble? bubble)
    {
        if (bubble is not null)
        {
            return bubble.Timers;
        }

        if (Machine.Current?.Processor is { } processor)
        {
            return processor.Timers;
        }

        Processor[] all = Processors;
        int active = Math.Min(all.Length, Math.Max(MaxProcs, 1));
        return all[(uint)Environment.CurrentManagedThreadId % (uint)active].Timers;
    }

    /// <summary>
    /// Makes the watcher look at the heaps by <paramref name="when"/>: wakes the system monitor, or
    /// arms another provider's timer. Hold no lock that a timer's firing takes: such a provider
    /// may run the due timers inside this call.
    /// </summary>
    /// <remarks>Go: wakeNetPoller.</remarks>
    public void WakeTimerWatcher(long when)
    {
        if (_systemClock)
        {
            _monitor.WakeUp();
            return;
        }

        lock (_clockLock)
        {
            ArmClockWakeTimerLocked(when);
        }
    }

    private void ArmClockWakeTimerLocked(long when)
    {
        Debug.Assert(_clockLock.IsHeldByCurrentThread, "clock lock must be held");
        if (_clockWakeTimer is null || when >= _clockWakeArmedFor)
        {
            return;
        }

        Volatile.Write(ref _clockWakeArmedFor, when);
        long now = _clock.GetTimestamp();
        TimeSpan due = when <= now ? TimeSpan.Zero : _clock.GetElapsedTime(now, when);

        // ITimer implementations take at most 2^32-2 ms; a later deadline wakes early and re-arms.
        _clockWakeTimer.Change(due < s_longestClockWake ? due : s_longestClockWake, Timeout.InfiniteTimeSpan);
    }

    // Another provider's timer came due: fire what is due and arm for the next deadline.
    private void OnClockWakeTimer()
    {
        lock (_clockLock)
        {
            // Before the heaps are read, with a full fence (pairs with TimerHeap.PublishNextWhen's
            // exchange): a timer scheduled from here on re-arms.
            Interlocked.Exchange(ref _clockWakeArmedFor, long.MaxValue);
        }

        RunDueTimersEverywhere();
        long earliest = EarliestTimer();
        if (earliest != long.MaxValue)
        {
            lock (_clockLock)
            {
                ArmClockWakeTimerLocked(earliest);
            }
        }
    }
}
