// Licensed under the MIT License.

using System;
using System.Threading;

namespace Goroutines.Diagnostics;

// TraceBuffer: a growable array of trace events with a single writer at a time and a
// reader that comes after the trace stopped. A processor's buffer is written by its
// owner only (ownership changes hands under the scheduler lock or a CAS, which orders
// one owner's writes before the next one's); the recorder's shared buffer, for threads
// without a processor, is written under the recorder's lock.
//
// Protocol:
//   Writer: 1. grow if full (a new array, the old one copied, then published);
//           2. store the event; 3. Volatile.Write the count (release).
//   Reader: Volatile.Read the count (acquire: pairs with step 3), then the array. A
//           writer that loses the race with Stop appends past the frozen count, into
//           the same or a new array, and the reader never looks there.
// Growth doubles from 1,024 events up to the cap (picked without data: the cap, not the
// start, bounds the memory); beyond the cap events are counted as dropped.
//
// Invariants:
// - Events [0, count) of the array read after the count are fully written.
// - Count never exceeds the cap.
internal sealed class TraceBuffer
{
    private const int InitialCapacity = 1024;

    private readonly int _cap;
    private TraceEvent[] _events;
    private int _count;

    /// <summary>Creates an empty buffer that keeps at most <paramref name="cap"/> events.</summary>
    public TraceBuffer(int cap)
    {
        _cap = cap;
        _events = new TraceEvent[Math.Min(InitialCapacity, cap)];
    }

    /// <summary>Events that did not fit under the cap. The writer only; read after the trace stopped.</summary>
    public long Dropped { get; private set; }

    /// <summary>Appends <paramref name="item"/>, or counts it dropped when the cap is reached. The single writer only.</summary>
    public void Add(in TraceEvent item)
    {
        int count = _count;
        TraceEvent[] events = _events;
        if (count == events.Length)
        {
            if (count >= _cap)
            {
                Dropped++;
                return;
            }

            Array.Resize(ref events, (int)Math.Min((long)count * 2, _cap));
            _events = events;
        }

        events[count] = item;
        Volatile.Write(ref _count, count + 1); // release: pairs with the acquire in Snapshot
    }

    /// <summary>The events written so far. Any thread; meant for after the trace stopped.</summary>
    public ReadOnlySpan<TraceEvent> Snapshot()
    {
        int count = Volatile.Read(ref _count); // acquire: pairs with the release in Add
        return _events.AsSpan(0, count);
    }
}
