// Licensed under the MIT License.

using System;
using System.Threading;

using Goroutines.Scheduling;

namespace Goroutines.Time;

// StoppableTimer: the part of a user-visible timer (Timer, Ticker, AfterFunc) that
// Stop and Reset act on, with Go 1.23's guarantee: once Stop or Reset returns, no
// value prepared before the call is delivered after it.
//
// Protocol. Each timer has a monitor (the timer object itself, never visible to user
// code) and a generation, _sequence:
//   Stop/Reset: under the monitor, bump _sequence, take the timer out of its heap
//     (Reset queues it again with the new generation), and drain a value already
//     delivered to the channel but not received.
//   Fire: under the monitor, deliver only if the firing's generation is current.
// A firing taken out of the heap just before a Stop therefore sees a newer generation
// and delivers nothing; one that delivered before the Stop has its value drained.
// Lock order: this monitor, then the heap's lock, then a channel's lock; a heap runs
// Fire after releasing its own lock, and Reset wakes the timer watcher after releasing
// this monitor (a TimeProvider's timer may fire synchronously, and fire this timer).
//
// Rejected: Go 1.23 keeps a channel timer out of the heap until someone waits on its
// channel, so an unreferenced, unstopped timer is garbage. Ours stays queued until it
// fires (or, for a ticker, until it is stopped); a ticker without Stop is a leak,
// which goroutine leak reports will name.
//
// Invariants:
// - _armed: the timer is queued, or taken out for a firing of the current generation
//   that has not delivered yet. Under the monitor.
internal abstract class StoppableTimer : RuntimeTimer
{
    private uint _sequence;
    private bool _armed;

    /// <summary>
    /// Queues the timer to fire <paramref name="delay"/> from now (and every <paramref name="period"/>
    /// after, if positive) on its clock: the bubble's it was made in, or the runtime's.
    /// </summary>
    /// <returns>Whether the timer was active: queued, or fired with its value not yet received.</returns>
    /// <remarks>Go: timer.modify (t.Reset).</remarks>
    public bool ResetAfter(TimeSpan delay, TimeSpan period)
    {
        Scheduler scheduler = Scheduler.Instance;
        Bubble? bubble = Heap is { } home ? home.Bubble : Bubble.Current;
        return Schedule(scheduler.DeadlineAfter(delay, bubble), scheduler.ToClockTicks(period, bubble), bubble);
    }

    /// <summary>
    /// Queues the timer for <paramref name="when"/> (and every <paramref name="period"/> after, if
    /// positive), in the runtime clock's units, in a processor's heap (the network's deadlines).
    /// </summary>
    /// <returns>Whether the timer was active: queued, or fired with its value not yet received.</returns>
    public bool Reset(long when, long period) => Schedule(when, period, bubble: null);

    private bool Schedule(long when, long period, Bubble? bubble)
    {
        bool active;
        bool wakeWatcher;
        Scheduler scheduler = Scheduler.Instance;
        lock (this)
        {
            active = Deactivate(dequeue: false); // Schedule moves a queued timer in place
            _armed = true;
            wakeWatcher = scheduler.ScheduleTimer(this, when, period, _sequence, bubble);
        }

        // Outside the monitor: another provider's ITimer may run due timers inside Change, this one included.
        if (wakeWatcher)
        {
            scheduler.WakeTimerWatcher(when);
        }

        return active;
    }

    /// <summary>Stops the timer.</summary>
    /// <returns>Whether the call stopped it: it was queued, or fired with its value not yet received.</returns>
    /// <remarks>Go: timer.stop (t.Stop).</remarks>
    public bool Stop()
    {
        lock (this)
        {
            return Deactivate(dequeue: true);
        }
    }

    /// <inheritdoc/>
    public sealed override void Fire(uint sequence, long lateness)
    {
        lock (this)
        {
            if (sequence != _sequence || !_armed)
            {
                return;
            }

            if (Period == 0)
            {
                _armed = false;
            }

            Deliver(lateness);
        }
    }

    /// <summary>
    /// Delivers one firing, <paramref name="lateness"/> (clock units) after its deadline: a value on
    /// the channel, or the function's goroutine. Under the monitor; must not block.
    /// </summary>
    protected abstract void Deliver(long lateness);

    /// <summary>Takes back a delivered value that nobody received yet; returns whether there was one. Under the monitor.</summary>
    protected virtual bool TakeBackUndelivered() => false;

    // Disarms the timer: a new sequence makes a firing already taken from the heap deliver
    // nothing. Stop also takes it out of its heap; Reset leaves that to the heap's Schedule.
    private bool Deactivate(bool dequeue)
    {
        bool active = _armed;
        _armed = false;
        _sequence++;
        if (dequeue)
        {
            Heap?.Remove(this);
        }

        return TakeBackUndelivered() || active;
    }
}
