// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

namespace Goroutines.Scheduling;

// GoroutineList: one shard of the registry of live goroutines (Go's allgs), which
// goroutine dumps, the leak checker and the deadlock detector enumerate. Each
// processor has one, filled by its owner as it spawns; the scheduler has one more,
// under its lock, for goroutines spawned from threads without a processor.
//
// The registry holds goroutines strongly, as Go's allgs does: a goroutine parked on
// a channel nobody references is still listed, so a dump shows it and the leak
// checker finds it. (The leak detector's collection pass lets go of parked entries
// for a moment, under this list's lock, to ask the garbage collector which of them
// nothing else can reach; see Diagnostics/LeakDetector.cs.)
//
// Spawning is W1's hot path, so adding is an owner-only store and a count increment,
// with no atomic instruction. Exit does nothing here: a dead goroutine stays in its
// slot until the array is full, when the owner sweeps the dead out (in place, or
// into an array twice the live count), which keeps adding amortized O(1) and lets
// the array shrink back after a burst.
//
// Readers take the lock, so a sweep never moves an entry under a reader; adding runs
// beside a reader because it only writes at and after the published count.
//
// Invariants:
// - Slots [0, _count) hold registered goroutines (dead ones until swept) or null
//   (let go of by the leak detector); slots from _count on are null.
// - Only the owner (or, for the shared list, a holder of the scheduler's lock) adds.
// - A sweep and every reader hold _lock; a goroutine is in at most one slot of one list.
[DebuggerDisplay("{_count} slots of {_slots.Length}")]
internal sealed class GoroutineList
{
    private const int InitialCapacity = 256;

    private readonly Lock _lock = new();
    private Goroutine?[] _slots = new Goroutine?[InitialCapacity];
    private int _count;

    /// <summary>Registers a goroutine just spawned. The owner of the list only.</summary>
    public void Add(Goroutine g)
    {
        Goroutine?[] slots = _slots;
        int count = _count;
        if ((uint)count >= (uint)slots.Length)
        {
            (slots, count) = SweepForRoom();
        }

        slots[count] = g;
        Volatile.Write(ref _count, count + 1); // publishes the slot to readers
    }

    /// <summary>Registers a goroutine spawned from a thread without a processor: the shared list. Any thread.</summary>
    public void AddShared(Goroutine g)
    {
        lock (_lock)
        {
            Add(g);
        }
    }

    /// <summary>Adds the live goroutines of this list to <paramref name="into"/>. Any thread.</summary>
    public void CopyLiveTo(List<Goroutine> into)
    {
        lock (_lock)
        {
            Goroutine?[] slots = _slots;
            int count = Math.Min(Volatile.Read(ref _count), slots.Length);
            for (int i = 0; i < count; i++)
            {
                if (slots[i] is { HasExited: false } g)
                {
                    into.Add(g);
                }
            }
        }
    }

    /// <summary>
    /// Lets go of every goroutine for which <paramref name="release"/> returns true, so that only
    /// references from outside the registry keep it alive, and returns where each one was, for
    /// <see cref="Restore"/>. Any thread; the leak detector's collection pass.
    /// </summary>
    public List<(int Slot, Goroutine Goroutine)> Release(Func<Goroutine, bool> release)
    {
        var released = new List<(int, Goroutine)>();
        lock (_lock)
        {
            Goroutine?[] slots = _slots;
            int count = Math.Min(Volatile.Read(ref _count), slots.Length);
            for (int i = 0; i < count; i++)
            {
                if (slots[i] is { } g && release(g))
                {
                    released.Add((i, g));
                    slots[i] = null;
                }
            }
        }

        return released;
    }

    /// <summary>
    /// Puts back a goroutine let go of by <see cref="Release"/> into its slot, or returns false if
    /// a sweep meanwhile dropped the slot (then the caller registers it elsewhere). Any thread.
    /// </summary>
    public bool Restore(int slot, Goroutine g)
    {
        lock (_lock)
        {
            if (slot < Volatile.Read(ref _count) && _slots[slot] is null)
            {
                _slots[slot] = g;
                return true;
            }

            return false;
        }
    }

    // The array is full: sweep the dead out, in place if that frees at least half of it,
    // else (or if it would stay more than seven eighths empty after a burst) into an array
    // twice the live count. Rare: once per array's worth of spawns.
    private (Goroutine?[] Slots, int Count) SweepForRoom()
    {
        lock (_lock)
        {
            Goroutine?[] slots = _slots;
            int live = 0;
            for (int i = 0; i < slots.Length; i++)
            {
                if (slots[i] is { HasExited: false })
                {
                    live++;
                }
            }

            bool reuse = live <= slots.Length / 2 && (live >= slots.Length / 8 || slots.Length == InitialCapacity);
            Goroutine?[] target = reuse
                ? slots
                : new Goroutine?[Math.Max(InitialCapacity, live * 2)];
            int kept = 0;
            for (int i = 0; i < slots.Length; i++)
            {
                if (slots[i] is { HasExited: false } g)
                {
                    target[kept++] = g;
                }
            }

            Array.Clear(target, kept, target.Length - kept);
            _slots = target;
            Volatile.Write(ref _count, kept);
            return (target, kept);
        }
    }
}
