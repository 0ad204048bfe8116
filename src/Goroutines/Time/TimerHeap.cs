// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Threading;

using Goroutines.Scheduling;

namespace Goroutines.Time;

// TimerHeap: one processor's timers, a 4-ary min-heap ordered by deadline (Go 1.14+:
// per-P heaps, 4-ary because a wider node makes the heap shallower and sifting down
// touches one cache line of children).
//
// Who touches it. The owning processor's machine adds its goroutines' timers and runs
// the due ones at every scheduling round; any other machine about to go idle, and the
// system monitor, run the due ones too (an idle or stuck processor's timers must not
// wait for it); any thread stops or resets a timer in it. So it has a lock, held only
// for heap surgery: a timer fires after the lock is released.
//
// Entries keep the deadline next to the reference, so sifting compares within the
// array instead of chasing each timer object. An entry is a RuntimeTimer, or, for a
// sleep, the sleeping goroutine's waiter itself: a sleep is never stopped or moved, so
// it needs no timer object of its own (W9 parks 100,000 sleepers; each one saved is an
// allocation and 56 bytes the garbage collector does not copy).
//
// Invariants (under _lock):
// - _entries[0.._count) is a min-heap by When; for a timer entry,
//   _entries[i].Timer.HeapIndex == i and _entries[i].When == _entries[i].Timer.When.
// - NextWhen == _entries[0].When, or long.MaxValue when empty.
internal sealed class TimerHeap
{
    // Children per node (4, as Go's timer heap).
    private const int Arity = 4;

    private readonly Lock _lock = new();
    private Entry[] _entries = new Entry[16];
    private int _count;
    private long _nextWhen = long.MaxValue;

    /// <summary>Creates a processor's heap, or, with <paramref name="bubble"/>, the heap of that bubble's timers.</summary>
    public TimerHeap(Bubble? bubble = null) => Bubble = bubble;

    /// <summary>The bubble whose timers this heap holds (on its clock, run by it alone), or null for a processor's.</summary>
    public Bubble? Bubble { get; }

    /// <summary>
    /// The earliest deadline, long.MaxValue when empty. Written under the lock; read racily by the
    /// scheduling loop and the system monitor to skip clock reads and lock taking. A decrease is
    /// written with a full fence (it pairs with the timer watcher's fence, see Scheduler.Timers.cs).
    /// </summary>
    public long NextWhen => Volatile.Read(ref _nextWhen);

    /// <summary>Timers queued now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// Queues <paramref name="timer"/> for <paramref name="when"/>, or moves it there if it is
    /// queued already. Returns whether it became this heap's earliest timer.
    /// </summary>
    public bool Schedule(RuntimeTimer timer, long when, long period, uint sequence)
    {
        lock (_lock)
        {
            Debug.Assert(timer.Heap == this, "a timer lives in its home heap");
            timer.When = when;
            timer.Period = period;
            timer.Sequence = sequence;
            int index = timer.HeapIndex;
            if (index < 0)
            {
                Push(new Entry(when, timer));
            }
            else
            {
                long previous = _entries[index].When;
                _entries[index].When = when;
                if (when < previous)
                {
                    SiftUp(index);
                }
                else
                {
                    SiftDown(index);
                }
            }

            AssertInvariants();
            return PublishNextWhen();
        }
    }

    /// <summary>Takes <paramref name="timer"/> out of the heap if it is queued; returns whether it was.</summary>
    public bool Remove(RuntimeTimer timer)
    {
        lock (_lock)
        {
            int index = timer.HeapIndex;
            if (index < 0)
            {
                return false;
            }

            RemoveAt(index);
            AssertInvariants();
            PublishNextWhen();
            return true;
        }
    }

    /// <summary>Queues the wake-up of a sleeping goroutine's <paramref name="waiter"/> for <paramref name="when"/>. Returns whether it became the earliest.</summary>
    public bool ScheduleWakeUp(Waiter waiter, long when)
    {
        lock (_lock)
        {
            Push(new Entry(when, waiter));
            AssertInvariants();
            return PublishNextWhen();
        }
    }

    /// <summary>
    /// Takes the earliest entry if it is due at <paramref name="now"/>: a sleeper's waiter or a
    /// one-shot timer leaves the heap, a periodic timer is queued again for its next period after
    /// <paramref name="now"/> (missed periods are skipped, as Go's tickers drop ticks). The caller
    /// fires it outside the lock (<see cref="RuntimeTimer.Fire"/>, or <see cref="Waiter.Ready"/>).
    /// <paramref name="dueWhen"/> is the deadline it was taken for.
    /// </summary>
    public bool TryTakeDue(long now, out object? due, out uint sequence, out long dueWhen)
    {
        lock (_lock)
        {
            if (_count == 0 || _entries[0].When > now)
            {
                due = null;
                sequence = 0;
                dueWhen = 0;
                return false;
            }

            due = _entries[0].Item;
            dueWhen = _entries[0].When;
            if (due is RuntimeTimer { Period: > 0 } timer)
            {
                sequence = timer.Sequence;
                long next = timer.When + timer.Period;
                if (next <= now)
                {
                    next += (now - next) / timer.Period * timer.Period + timer.Period;
                }

                timer.When = next;
                _entries[0].When = next;
                SiftDown(0);
            }
            else
            {
                sequence = due is RuntimeTimer oneShot ? oneShot.Sequence : 0;
                RemoveAt(0);
            }

            AssertInvariants();
            PublishNextWhen();
            return true;
        }
    }

    /// <summary>
    /// Moves every deadline by <paramref name="shift"/>, and scales every period by
    /// <paramref name="scale"/>, into another clock's units: each timer keeps its remaining time
    /// (used when the runtime's time provider changes).
    /// </summary>
    public void Rebase(Func<long, long> shift, Func<long, long> scale)
    {
        lock (_lock)
        {
            for (int i = 0; i < _count; i++)
            {
                _entries[i].When = shift(_entries[i].When);
                if (_entries[i].Item is RuntimeTimer timer)
                {
                    timer.When = _entries[i].When;
                    timer.Period = timer.Period > 0 ? Math.Max(1, scale(timer.Period)) : 0;
                }
            }

            // A shift keeps the order of deadlines, so the heap is still a heap.
            AssertInvariants();
            PublishNextWhen();
        }
    }

    private void RemoveAt(int index)
    {
        if (_entries[index].Item is RuntimeTimer removed)
        {
            removed.HeapIndex = -1;
        }

        int last = --_count;
        if (index != last)
        {
            long removedWhen = _entries[index].When;
            Place(index, _entries[last]);
            if (_entries[index].When < removedWhen)
            {
                SiftUp(index);
            }
            else
            {
                SiftDown(index);
            }
        }

        _entries[last] = default;
    }

    private void SiftUp(int index)
    {
        Entry moving = _entries[index];
        while (index > 0)
        {
            int parent = (index - 1) / Arity;
            if (_entries[parent].When <= moving.When)
            {
                break;
            }

            Place(index, _entries[parent]);
            index = parent;
        }

        Place(index, moving);
    }

    private void SiftDown(int index)
    {
        Entry moving = _entries[index];
        while (true)
        {
            int first = (index * Arity) + 1;
            if (first >= _count)
            {
                break;
            }

            int smallest = first;
            int end = Math.Min(first + Arity, _count);
            for (int child = first + 1; child < end; child++)
            {
                if (_entries[child].When < _entries[smallest].When)
                {
                    smallest = child;
                }
            }

            if (moving.When <= _entries[smallest].When)
            {
                break;
            }

            Place(index, _entries[smallest]);
            index = smallest;
        }

        Place(index, moving);
    }

    // Appends entry, growing the array if full, and sifts it up to its place. Under the lock.
    private void Push(Entry entry)
    {
        if (_count == _entries.Length)
        {
            Array.Resize(ref _entries, _count * 2);
        }

        int index = _count++;
        Place(index, entry);
        SiftUp(index);
    }

    private void Place(int index, Entry entry)
    {
        _entries[index] = entry;
        if (entry.Item is RuntimeTimer timer)
        {
            timer.HeapIndex = index;
        }
    }

    // Returns whether the earliest deadline moved earlier.
    private bool PublishNextWhen()
    {
        long next = _count == 0 ? long.MaxValue : _entries[0].When;
        if (next < _nextWhen)
        {
            Interlocked.Exchange(ref _nextWhen, next); // full fence: pairs with Scheduler.WatchTimers' fence
            return true;
        }

        Volatile.Write(ref _nextWhen, next);
        return false;
    }

    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        for (int i = 0; i < _count; i++)
        {
            Debug.Assert(_entries[i].Item is not RuntimeTimer timer || (timer.HeapIndex == i && timer.When == _entries[i].When), "a timer entry knows its place and deadline");
            Debug.Assert(i == 0 || _entries[(i - 1) / Arity].When <= _entries[i].When, "heap order");
        }
    }

    // Item: a RuntimeTimer, or the Waiter of a sleeping goroutine.
    private struct Entry(long when, object item)
    {
        public long When = when;
        public readonly object Item = item;
    }
}
