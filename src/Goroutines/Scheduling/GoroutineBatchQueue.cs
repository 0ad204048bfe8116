// Licensed under the MIT License.

using System.Diagnostics;

namespace Goroutines.Scheduling;

// GoroutineBatchQueue: a FIFO of batches of goroutines, intrusive and unsynchronized;
// the scheduler keeps the global free list in one, under its lock (Go: sched.gFree).
//
// A batch is a chain of goroutines linked through SchedLink; its first goroutine
// carries the batch's tail, count and the link to the next batch. Putting or taking
// a whole batch is O(1) and touches only that first goroutine, so the scheduler
// lock is held for a few stores, never for a walk over goroutines whose cache lines
// live on another core. A processor adopts a taken batch as its free list as is.
//
// Rejected: one list of goroutines, as Go (taking 32 walks 32 cold objects under the
// lock); the chunked arrays of GlobalRunQueue (a free list is consumed one goroutine
// at a time anyway, so the links cost nothing extra).
//
// Invariants:
// - Count is the sum of the counts of the batches.
// - Every batch's last goroutine has a null SchedLink.
internal struct GoroutineBatchQueue
{
    private Goroutine? _head;
    private Goroutine? _tail;

    /// <summary>Number of goroutines in all batches.</summary>
    public int Count { get; private set; }

    /// <summary>Appends a chain of <paramref name="count"/> goroutines linked through SchedLink.</summary>
    public void Put(Goroutine first, Goroutine last, int count)
    {
        Debug.Assert(count > 0, "a batch is never empty");
        last.SchedLink = null;
        first.BatchTail = last;
        first.BatchCount = count;
        first.NextBatch = null;
        if (_tail is null)
        {
            _head = first;
        }
        else
        {
            _tail.NextBatch = first;
        }

        _tail = first;
        Count += count;
    }

    /// <summary>
    /// Takes whole batches from the head, as many as fit in <paramref name="limit"/> (but always at
    /// least one), and returns them as one chain; null when empty.
    /// </summary>
    public Goroutine? TakeBatches(int limit, out Goroutine? last, out int count)
    {
        Goroutine? first = _head;
        last = null;
        count = 0;
        if (first is null)
        {
            return null;
        }

        Goroutine? batch = first;
        while (batch is not null && (count == 0 || count + batch.BatchCount <= limit))
        {
            if (last is not null)
            {
                last.SchedLink = batch;
            }

            last = batch.BatchTail;
            count += batch.BatchCount;
            Goroutine? next = batch.NextBatch;
            batch.NextBatch = null;
            batch.BatchTail = null;
            batch = next;
        }

        _head = batch;
        if (batch is null)
        {
            _tail = null;
        }

        Count -= count;
        return first;
    }

    /// <summary>Takes the single goroutine at the head; the rest of its batch stays in place.</summary>
    public Goroutine? TakeOne()
    {
        Goroutine? first = _head;
        if (first is null)
        {
            return null;
        }

        Goroutine? rest = first.SchedLink;
        if (rest is null)
        {
            _head = first.NextBatch;
            if (_head is null)
            {
                _tail = null;
            }
        }
        else
        {
            rest.BatchTail = first.BatchTail;
            rest.BatchCount = first.BatchCount - 1;
            rest.NextBatch = first.NextBatch;
            _head = rest;
            if (_tail == first)
            {
                _tail = rest;
            }
        }

        first.SchedLink = null;
        first.BatchTail = null;
        first.NextBatch = null;
        Count--;
        return first;
    }
}
