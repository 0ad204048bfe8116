// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

namespace Goroutines.Scheduling;

// LocalRunQueue: a processor's runnable goroutines — Go's p.runq, p.runqhead,
// p.runqtail and p.runnext.
//
// A ring of 256 slots (256, as Go and tokio) plus a one-slot `runNext`. The owning
// processor pushes at the tail and pops at the head; thieves on other machines take
// half of the ring from the head with one compare-and-swap. The head is therefore
// moved only by CAS (owner and thieves race for it); the tail is written only by
// the owner, with release semantics, after the slots it publishes.
//
// `runNext` holds the goroutine that the running goroutine just readied (or
// spawned). It runs next and inherits the current time slice, so a pair of
// goroutines that ping-pong stays on one processor with warm caches; sysmon's
// preemption keeps such a pair from starving the rest (Go: runqput's `next`).
//
// Rejected: a lock per queue (every pop would take it; Go and tokio both show the
// lock-free ring is worth its care); an unbounded queue (a hog spawning forever
// would grow it without the overflow that hands half to the global queue).
//
// Invariants:
// - tail - head <= Capacity, as unsigned arithmetic that wraps.
// - Slots in [head, tail) are published: written before the release store of tail.
// - Only the owner pushes; only the owner and TryStealInto move the head.
// - Slots outside [head, tail) hold no goroutine except the taken ones, [_clearedTo,
//   head), until the ring next runs dry (TryPop clears them then) or the leak detector
//   has it cleared (ClearStaleSlots: an idle processor's under the scheduler lock, the
//   caller's own by its owner). A stale reference keeps a goroutine alive, and would
//   hide it from the leak detector if it leaked. Clearing each slot as it is popped
//   would add a store to a line thieves read, on every pop, and would still leave the
//   slots thieves took, which only the owner may clear.
internal sealed class LocalRunQueue
{
    /// <summary>Slots in the ring: 256, as Go and tokio.</summary>
    public const int Capacity = 256;

    private const uint Mask = Capacity - 1;

    private readonly Goroutine?[] _ring = new Goroutine?[Capacity];

    // Scratch space for TryPushOverflow: half a ring plus the goroutine being pushed. Owner only.
    private readonly Goroutine?[] _overflowBatch = new Goroutine?[(Capacity / 2) + 1];

    // Moved by CAS from the owner (TryPop) and thieves (TryGrab). Read with acquire.
    private uint _head;

    // Written by the owner only, with release (pairs with the acquire in TryGrab).
    private uint _tail;

    // Set by the owner only (a release store when empty, an exchange when occupied); taken by the
    // owner or, in the last round of stealing, by a thief (CAS).
    private Goroutine? _runNext;

    // The head when the taken slots were last cleared: slots in [_clearedTo, head) were taken
    // since (by the owner's pops or by thieves) and still name their goroutines. Owner only (or
    // the holder of the scheduler lock for an idle processor).
    private uint _clearedTo;

    /// <summary>The head position; it moves whenever the owner or a thief takes from the ring. Any thread.</summary>
    public uint Head => Volatile.Read(ref _head);

    /// <summary>Approximate number of queued goroutines, runNext included. Any thread.</summary>
    public int Count
    {
        get
        {
            uint head = Volatile.Read(ref _head);
            uint tail = Volatile.Read(ref _tail);
            int ring = (int)(tail - head);
            return (ring is < 0 or > Capacity ? 0 : ring) + (Volatile.Read(ref _runNext) is null ? 0 : 1);
        }
    }

    /// <summary>Whether the queue looks empty (racy, as Go's runqempty). Any thread.</summary>
    public bool IsEmpty
    {
        get
        {
            // Read head, tail and runNext, then make sure tail did not move meanwhile: a
            // push to runNext kicks the old runNext to the tail, so a naive read could
            // miss both (Go: runqempty).
            while (true)
            {
                uint head = Volatile.Read(ref _head);
                uint tail = Volatile.Read(ref _tail);
                Goroutine? next = Volatile.Read(ref _runNext);
                if (tail == Volatile.Read(ref _tail))
                {
                    return head == tail && next is null;
                }
            }
        }
    }

    /// <summary>
    /// Queues <paramref name="goroutine"/>; into runNext when <paramref name="next"/>, kicking
    /// the previous occupant to the tail. When the ring is full, half of it and the
    /// goroutine move to <paramref name="overflow"/> in one batch. Owner processor only.
    /// </summary>
    /// <remarks>Go: runqput.</remarks>
    public void Push(Goroutine goroutine, bool next, Scheduler overflow)
    {
        if (next)
        {
            // Only the owner puts a goroutine into runNext (thieves only take one out, by CAS), so
            // an empty runNext stays empty until this store: a release store, no locked instruction.
            // As with the ring's tail below, the caller's wakep reads may pass the store; a machine
            // that stops spinning at that moment may miss the goroutine, which is never stranded:
            // its owner runs it when its step ends (Scheduler.cs, the delicate dance).
            if (Volatile.Read(ref _runNext) is null)
            {
                Volatile.Write(ref _runNext, goroutine);
                return;
            }

            Goroutine? old = Interlocked.Exchange(ref _runNext, goroutine);
            if (old is null)
            {
                return;
            }

            goroutine = old;
        }

        while (true)
        {
            uint head = Volatile.Read(ref _head); // acquire: pairs with the CAS of consumers
            uint tail = _tail;
            if (tail - head < Capacity)
            {
                _ring[tail & Mask] = goroutine;
                Volatile.Write(ref _tail, tail + 1); // release: publishes the slot to thieves
                return;
            }

            if (TryPushOverflow(goroutine, head, tail, overflow))
            {
                return;
            }
        }
    }

    /// <summary>Moves half of a full ring plus <paramref name="goroutine"/> to the global queue. Owner only.</summary>
    /// <remarks>Go: runqputslow.</remarks>
    private bool TryPushOverflow(Goroutine goroutine, uint head, uint tail, Scheduler overflow)
    {
        // Copy first and commit with the CAS: until it succeeds, thieves may take these.
        uint n = (tail - head) / 2;
        Debug.Assert(n == Capacity / 2, "overflow only from a full ring");
        Goroutine?[] batch = _overflowBatch;
        for (uint i = 0; i < n; i++)
        {
            batch[i] = _ring[(head + i) & Mask];
        }

        if (Interlocked.CompareExchange(ref _head, head + n, head) != head)
        {
            Array.Clear(batch, 0, (int)n); // the copies would keep goroutines alive (and hide a leak)
            return false; // a thief took some; the ring has room again
        }

        batch[n] = goroutine;
        overflow.PutGlobalRange(batch, (int)n + 1);
        Array.Clear(batch);
        return true;
    }

    /// <summary>Moves the runNext goroutine, if any, to the tail of the ring. Owner processor only.</summary>
    public void DemoteRunNext(Scheduler overflow)
    {
        if (Interlocked.Exchange(ref _runNext, null) is { } next)
        {
            Push(next, next: false, overflow);
        }
    }

    /// <summary>
    /// Takes the next goroutine: runNext first (then <paramref name="inheritTime"/> is true),
    /// else the head of the ring. Owner processor only.
    /// </summary>
    /// <remarks>Go: runqget.</remarks>
    public Goroutine? TryPop(out bool inheritTime)
    {
        Goroutine? next = Volatile.Read(ref _runNext);
        if (next is not null && Interlocked.CompareExchange(ref _runNext, null, next) == next)
        {
            inheritTime = true;
            return next;
        }

        inheritTime = false;
        while (true)
        {
            uint head = Volatile.Read(ref _head);
            uint tail = _tail;
            if (tail == head)
            {
                ClearTakenSlots(head);
                return null;
            }

            Goroutine? g = _ring[head & Mask];
            if (Interlocked.CompareExchange(ref _head, head + 1, head) == head)
            {
                return g;
            }
        }
    }

    /// <summary>
    /// Adds the queued goroutines to <paramref name="into"/>, racily: one taken or stolen meanwhile
    /// may be missed or seen twice. Any thread (dumps).
    /// </summary>
    public void CopyTo(ICollection<Goroutine> into)
    {
        uint head = Volatile.Read(ref _head);
        uint tail = Volatile.Read(ref _tail);
        for (uint i = head; tail - i is > 0 and <= Capacity; i++)
        {
            if (Volatile.Read(ref _ring[i & Mask]) is { } g)
            {
                into.Add(g);
            }
        }

        if (Volatile.Read(ref _runNext) is { } next)
        {
            into.Add(next);
        }
    }

    /// <summary>
    /// Clears the ring's stale references (the slots outside [head, tail): taken by the owner or
    /// by thieves), so they keep no goroutine alive. The owner processor, or, for an idle
    /// processor (which has no owner), the holder of the scheduler lock.
    /// </summary>
    /// <remarks>
    /// Thieves may run meanwhile. A thief that read a head older than the one read here fails its
    /// compare-and-swap, so whatever it copied from a cleared slot is dropped; one that read this
    /// head or a newer one copies only slots in [head, tail), which stay as they are (no push
    /// moves the tail meanwhile: only the owner pushes, and it is here).
    /// </remarks>
    public void ClearStaleSlots()
    {
        uint head = Volatile.Read(ref _head); // acquire: pairs with the CAS of consumers
        uint tail = _tail;
        for (uint free = Capacity - (tail - head), i = 0; i < free; i++)
        {
            _ring[(tail + i) & Mask] = null;
        }

        _clearedTo = head;
    }

    // The ring has just been found empty (head == tail; only the owner pushes, and it is here):
    // clears the slots taken since the last time, so that a processor whose ring drains keeps no
    // goroutine alive that it ran or that thieves took from it. One store per taken slot, made
    // when the queue runs dry rather than on every pop (see the header). Owner only.
    private void ClearTakenSlots(uint head)
    {
        uint taken = Math.Min(head - _clearedTo, Capacity);
        for (uint i = 1; i <= taken; i++)
        {
            _ring[(head - i) & Mask] = null;
        }

        _clearedTo = head;
    }

    /// <summary>
    /// Steals about half of <paramref name="victim"/>'s goroutines into this queue and returns
    /// one of them to run, or null. With <paramref name="stealRunNext"/>, an empty ring
    /// yields the victim's runNext. Called by the owner of this queue.
    /// </summary>
    /// <remarks>Go: runqsteal.</remarks>
    public Goroutine? TryStealInto(LocalRunQueue victim, bool stealRunNext)
    {
        uint tail = _tail;
        uint n = victim.TryGrab(_ring, tail, stealRunNext);
        if (n == 0)
        {
            return null;
        }

        n--;
        Goroutine? g = _ring[(tail + n) & Mask];
        _ring[(tail + n) & Mask] = null; // not published: it runs now, and a stale copy would keep it alive
        if (n == 0)
        {
            return g;
        }

        Debug.Assert(tail - Volatile.Read(ref _head) + n < Capacity, "a steal overflowed the thief's ring");
        Volatile.Write(ref _tail, tail + n); // release: publishes the stolen slots
        return g;
    }

    /// <summary>
    /// Copies half of this ring into <paramref name="batch"/> from <paramref name="batchHead"/>
    /// and commits the take with one CAS of the head. Any thread.
    /// </summary>
    /// <remarks>Go: runqgrab.</remarks>
    private uint TryGrab(Goroutine?[] batch, uint batchHead, bool stealRunNext)
    {
        while (true)
        {
            uint head = Volatile.Read(ref _head);
            uint tail = Volatile.Read(ref _tail); // acquire: pairs with the owner's release in Push
            uint n = tail - head;
            n -= n / 2;
            if (n == 0)
            {
                if (stealRunNext)
                {
                    Goroutine? next = Volatile.Read(ref _runNext);
                    if (next is not null)
                    {
                        // The owner is likely about to run it (it readied it and is about to
                        // park): sleep a moment first, so a ping-pong pair is not torn apart and a
                        // thief that finds nothing else does not loop hot over the owner's queue
                        // (Go: usleep(3) in runqgrab). A busy spin here cost W3 2.2x on two cores.
                        ThreadNap.Sleep(3);
                        if (Interlocked.CompareExchange(ref _runNext, null, next) != next)
                        {
                            continue;
                        }

                        batch[batchHead & Mask] = next;
                        return 1;
                    }
                }

                return 0;
            }

            if (n > Capacity / 2)
            {
                continue; // read an inconsistent head and tail
            }

            for (uint i = 0; i < n; i++)
            {
                batch[(batchHead + i) & Mask] = _ring[(head + i) & Mask];
            }

            if (Interlocked.CompareExchange(ref _head, head + n, head) == head)
            {
                return n;
            }

            // Lost the race: the copies lie beyond the thief's tail, where no pop would ever
            // clear them. The thief owns that ring, and those slots are unpublished.
            for (uint i = 0; i < n; i++)
            {
                batch[(batchHead + i) & Mask] = null;
            }
        }
    }
}
