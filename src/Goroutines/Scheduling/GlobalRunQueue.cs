// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;

namespace Goroutines.Scheduling;

// GlobalRunQueue: the runnable goroutines that belong to no processor — Go's
// sched.runq. Unsynchronized: the scheduler lock protects it.
//
// A FIFO of chunks, each an array of 128 goroutine references (128, half a local
// ring: the most one take moves). Putting and taking copy references only; no
// goroutine object is read or written while the lock is held. A processor takes up
// to 128 at once into a buffer of its own and pushes them into its ring after
// releasing the lock.
//
// Rejected: an intrusive list through the goroutines, as Go (taking n goroutines
// walks n objects, one dependent cache miss after another, since each one's link
// lives in the previous one; on two cores, W1's consumer spent most of its time in
// that walk); a ConcurrentQueue (the scheduler lock is held for the idle lists at
// the same moments anyway, and Go's order of checks relies on it).
//
// Invariants:
// - Count is the number of references in [Head, Tail) over all chunks.
// - Only the tail chunk has room; emptied chunks go to a small pool.
internal sealed class GlobalRunQueue
{
    /// <summary>References per chunk: half a local ring, the most that one take moves.</summary>
    public const int ChunkSize = LocalRunQueue.Capacity / 2;

    // Spare chunks kept for reuse (picked without data; a handful covers bursts).
    private const int SparePoolLimit = 16;

    private Chunk _head;
    private Chunk _tail;
    private Chunk? _spare;
    private int _spareCount;

    public GlobalRunQueue() => _head = _tail = new Chunk();

    /// <summary>Number of queued goroutines.</summary>
    public int Count { get; private set; }

    /// <summary>Appends one goroutine.</summary>
    public void Put(Goroutine g)
    {
        if (_tail.Tail == ChunkSize)
        {
            AppendChunk();
        }

        _tail.Items[_tail.Tail++] = g;
        Count++;
    }

    /// <summary>Appends <paramref name="count"/> goroutines from <paramref name="source"/>, in order.</summary>
    public void PutRange(Goroutine?[] source, int count)
    {
        int copied = 0;
        while (copied < count)
        {
            if (_tail.Tail == ChunkSize)
            {
                AppendChunk();
            }

            int n = Math.Min(count - copied, ChunkSize - _tail.Tail);
            Array.Copy(source, copied, _tail.Items, _tail.Tail, n);
            _tail.Tail += n;
            copied += n;
        }

        Count += count;
    }

    /// <summary>Moves up to <paramref name="max"/> goroutines from the head into <paramref name="destination"/>; returns how many.</summary>
    public int TakeInto(Goroutine?[] destination, int max)
    {
        Debug.Assert(max <= destination.Length, "destination too small");
        int taken = 0;
        while (taken < max && Count > 0)
        {
            Chunk chunk = _head;
            int n = Math.Min(max - taken, chunk.Tail - chunk.Head);
            Array.Copy(chunk.Items, chunk.Head, destination, taken, n);
            Array.Clear(chunk.Items, chunk.Head, n);
            chunk.Head += n;
            taken += n;
            Count -= n;
            if (chunk.Head == chunk.Tail)
            {
                RecycleHead();
            }
        }

        return taken;
    }

    /// <summary>Adds every queued goroutine to <paramref name="into"/>. Under the scheduler lock (dumps).</summary>
    public void CopyTo(ICollection<Goroutine> into)
    {
        for (Chunk? chunk = _head; chunk is not null; chunk = chunk.Next)
        {
            for (int i = chunk.Head; i < chunk.Tail; i++)
            {
                into.Add(chunk.Items[i]!);
            }
        }
    }

    private void AppendChunk()
    {
        Chunk chunk;
        if (_spare is not null)
        {
            chunk = _spare;
            _spare = chunk.Next;
            _spareCount--;
            chunk.Next = null;
        }
        else
        {
            chunk = new Chunk();
        }

        _tail.Next = chunk;
        _tail = chunk;
    }

    // The head chunk is empty: reset it, and pool it unless it is the only chunk.
    private void RecycleHead()
    {
        Chunk chunk = _head;
        chunk.Head = 0;
        chunk.Tail = 0;
        if (chunk.Next is null)
        {
            return; // the only chunk: it stays, empty, as head and tail
        }

        _head = chunk.Next;
        chunk.Next = null;
        if (_spareCount < SparePoolLimit)
        {
            chunk.Next = _spare;
            _spare = chunk;
            _spareCount++;
        }
    }

    private sealed class Chunk
    {
        public readonly Goroutine?[] Items = new Goroutine?[ChunkSize];
        public int Head;
        public int Tail;
        public Chunk? Next;
    }
}
