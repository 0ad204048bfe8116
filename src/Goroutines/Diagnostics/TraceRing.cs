// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Goroutines.Diagnostics;

// TraceRing: the flight recorder's ring of trace events for one writer at a time (a
// processor's owner, or whoever holds the recorder's shared lock), which any thread may
// copy out while the writer goes on. It is a ring of chunks, each a TraceBuffer-like
// append-only array with a published count, so the hot path is TraceBuffer's: store the
// event, release the count. Only a chunk switch, once every ChunkEvents events, pays an
// interlocked instruction.
//
// Protocol:
//   Writer (Add):     1. if the current chunk is full, switch (steps 4-6);
//                     2. store the event in the next slot;
//                     3. Volatile.Write the chunk's count (release).
//   Switch (Advance): 4. take the oldest chunk of the ring; count its events as overwritten;
//                     5. Volatile.Write its count to 0;
//                     6. Interlocked.Increment its epoch: a full fence, so step 5 is seen
//                        before the new epoch and the new epoch before any slot the writer
//                        stores next.
//   Reader (CopyTo), per chunk:
//                     a. Volatile.Read the epoch, then the count (acquire both);
//                     b. copy slots [0, count);
//                     c. Interlocked.MemoryBarrier, then read the epoch again: if it moved,
//                        the writer recycled the chunk during the copy and the copy may
//                        hold torn events: discard it (they were the ring's oldest anyway).
//   Why it holds: a slot the reader copied in b was stored either before the count it read
//   in a (release/acquire: complete), or after a switch, whose epoch increment is ordered
//   before that store (step 6) and, through the reader's fence, before the re-read in c,
//   which then sees it moved. A reader that sees the new epoch in a also sees the count of
//   step 5 or a later one, never the old chunk's count.
//
// Rejected: one flat ring with a published head (a reader cannot tell a slot being
// overwritten from a complete one without a fence per event on the writer's side, or a
// sequence number per slot that needs one too); a lock per ring (an uncontended lock is
// still an interlocked instruction per event); stopping the processors for a snapshot
// (a goroutine that never yields would hold the snapshot up).
//
// Invariants:
// - One writer at a time; ownership changes hands through the scheduler lock or a CAS,
//   which order one owner's writes before the next one's.
// - Events [0, count) of a chunk whose epoch reads the same before and after the copy are
//   complete, and are the events recorded in that chunk since its last switch.
// - The ring never allocates after construction.
internal sealed class TraceRing
{
    /// <summary>Events per chunk: a switch costs one interlocked instruction, amortised over this many events; a wrap loses this many at once. Picked without data.</summary>
    public const int ChunkEvents = 512;

    private readonly Chunk[] _chunks;
    private Chunk _current; // the writer only
    private int _currentIndex; // the writer only
    private long _overwritten; // written by the writer (Volatile), read by snapshots

    /// <summary>Creates a ring of <paramref name="chunks"/> chunks (at least 2) of <see cref="ChunkEvents"/> events.</summary>
    public TraceRing(int chunks)
    {
        _chunks = new Chunk[Math.Max(2, chunks)];
        for (int i = 0; i < _chunks.Length; i++)
        {
            _chunks[i] = new Chunk();
        }

        _current = _chunks[0];
    }

    /// <summary>The most events the ring holds.</summary>
    public int Capacity => _chunks.Length * ChunkEvents;

    /// <summary>Events overwritten by newer ones since the ring was created. Any thread.</summary>
    public long Overwritten => Volatile.Read(ref _overwritten); // acquire: pairs with the release in Advance

    /// <summary>Appends <paramref name="item"/>, overwriting the oldest chunk when the ring is full. The single writer only.</summary>
    public void Add(in TraceEvent item)
    {
        Chunk chunk = _current;
        int count = chunk.Count;
        if (count == ChunkEvents)
        {
            chunk = Advance();
            count = 0;
        }

        chunk.Events[count] = item;
        Volatile.Write(ref chunk.Count, count + 1); // release: pairs with the acquire in CopyTo (step a)
    }

    /// <summary>
    /// Appends every complete event the ring holds to <paramref name="destination"/>, in no
    /// particular order. Any thread, while the writer goes on.
    /// </summary>
    /// <returns>Whether the ring lost events: overwritten before the copy, or recycled during it.</returns>
    public bool CopyTo(List<TraceEvent> destination)
    {
        bool lost = false;
        foreach (Chunk chunk in _chunks)
        {
            int epoch = Volatile.Read(ref chunk.Epoch); // acquire: pairs with the Interlocked.Increment in Advance (step 6)
            int count = Volatile.Read(ref chunk.Count); // acquire: pairs with the release in Add (step 3)
            int start = destination.Count;
            destination.AddRange(chunk.Events.AsSpan(0, count));
            Interlocked.MemoryBarrier(); // the copy's loads before the re-read: pairs with the fence of step 6
            if (Volatile.Read(ref chunk.Epoch) != epoch)
            {
                destination.RemoveRange(start, destination.Count - start);
                lost = true;
            }
        }

        return lost || Overwritten > 0;
    }

    // Steps 4-6: the writer moves on to the oldest chunk. Off the inlined path: once per chunk.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private Chunk Advance()
    {
        int next = _currentIndex + 1 == _chunks.Length ? 0 : _currentIndex + 1;
        Chunk chunk = _chunks[next];
        Volatile.Write(ref _overwritten, _overwritten + chunk.Count); // release: pairs with the acquire in Overwritten
        Volatile.Write(ref chunk.Count, 0);
        Interlocked.Increment(ref chunk.Epoch); // full fence: count 0 before the epoch, the epoch before the next slot stores
        _currentIndex = next;
        _current = chunk;
        return chunk;
    }

    // One chunk: fields, not properties, so Volatile and Interlocked can take them by reference.
    private sealed class Chunk
    {
        public readonly TraceEvent[] Events = new TraceEvent[ChunkEvents];
        public int Count;
        public int Epoch;
    }
}
