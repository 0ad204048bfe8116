// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

namespace Goroutines.Scheduling;

// GoroutineList: one shard of the registry of live goroutines (Go's allgs), which
// goroutine dumps, the leak checker and the deadlock detector enumerate. Each
// processor has one, which its owner fills with the goroutines whose first step it
// runs. A goroutine joins at its first step rather than at its spawn, on the
// processor that runs it: one that never parks then lives and dies in that step, so
// joining and leaving are stores into lines this processor just wrote. Registered
// at spawn, the exit's store landed in a line the spawning processor wrote long
// before, a cache miss per goroutine: W1 1.5x. Goroutines not started yet are in
// the run queues, where dumps find them (Scheduler.LiveGoroutines).
//
// The registry holds goroutines strongly, as Go's allgs does: a goroutine parked on
// a channel nobody references is still listed, so a dump shows it and the leak
// checker finds it. (The leak detector's collection pass lets go of parked entries
// for a moment, under this list's lock, to ask the garbage collector which of them
// nothing else can reach; see Diagnostics/LeakDetector.cs.)
//
// Most goroutines die young, and the registry must not change that:
//   - A goroutine keeps its slot for life (its shard and index are in the goroutine),
//     and its exit clears the slot with one plain store, from whichever thread runs
//     the exit. A dead goroutine is then garbage at once: an old registry that kept
//     young goroutines alive until a sweep carried them into older generations, and
//     the sweep had to dereference each to tell the dead (W1 1.6x, skynet 1.5x).
//   - Slots live in fixed chunks of 1,024 (small-object heap), allocated as the count
//     reaches them and never moved, so growing copies nothing, leaves no large array
//     behind, and an exit's store always lands in the goroutine's own chunk. Only the
//     directory of chunks is replaced when it grows.
//   - Adding is owner-only, with no atomic instruction: a free slot from the owner's
//     stack, else the next never-used one, else a sweep. The sweep (under the lock)
//     collects cleared slots onto a bounded stack, resuming where the last one
//     stopped; when they are scarce (less than a quarter of the slots it scanned) the
//     capacity grows by half, so adding stays amortized O(1).
//
// Why a slot is never cleared under a goroutine that reuses it: the owner reuses a
// slot only after it read it cleared, and an exit clears its slot once. The leak
// detector never clears a slot: it parks a placeholder in it (never reused) and puts
// the goroutine back only over its own placeholder.
//
// Readers take the lock, which sweeps and directory growth also take; adding runs
// beside a reader, since a slot is published by one reference store.
//
// Invariants:
// - Slots [0, _count) hold a registered goroutine, the placeholder, or null (free:
//   on the free stack, or cleared since the last sweep); _count <= _capacity, and
//   every chunk below _count is allocated.
// - Only the owner adds; sweeps, directory growth and every reader hold _lock.
// - A goroutine is in at most one slot of one list, the one its RegistrySlot names.
[DebuggerDisplay("{_count} slots used of {_capacity}, {_freeCount} free on the stack")]
internal sealed class GoroutineList
{
    private const int ChunkShift = 10;
    private const int ChunkSize = 1 << ChunkShift;
    private const int ChunkMask = ChunkSize - 1;
    private const int FreeStackSize = 256;

    // Parked in a slot whose goroutine the leak detector released: occupied, not free. It never
    // runs, and holds no execution context alive.
    private static readonly Goroutine s_released = new(0, static () => { }, 0, "(released)", null, 0, exitSignal: null, executionContext: null);

    private readonly Lock _lock = new();
    private readonly ushort _shard;
    private Goroutine?[]?[] _chunks = new Goroutine?[]?[4];
    private int _capacity = ChunkSize;
    private int _count;

    // Free slots below _count, found by sweeps: a bounded stack. Owner only.
    private readonly int[] _free = new int[FreeStackSize];
    private int _freeCount;

    // Where the next sweep resumes. Under _lock.
    private int _sweepCursor;

    /// <summary>Creates the shard of the processor numbered <paramref name="shard"/>.</summary>
    public GoroutineList(int shard) => _shard = checked((ushort)shard);

    /// <summary>Registers a goroutine at its first step. The owner of the list only.</summary>
    public void Add(Goroutine g)
    {
        int slot;
        if (_freeCount > 0)
        {
            slot = _free[--_freeCount];
        }
        else if (_count < _capacity)
        {
            slot = AddNewSlot();
        }
        else
        {
            slot = SweepForRoom();
        }

        g.RegistryShard = _shard;
        g.RegistrySlot = slot;
        Volatile.Write(ref ChunkOf(slot)![slot & ChunkMask], g); // publishes the goroutine's fields to readers
    }

    /// <summary>Clears the slot of <paramref name="g"/>, which is exiting. Any thread, once.</summary>
    public void Remove(Goroutine g) => ChunkOf(g.RegistrySlot)![g.RegistrySlot & ChunkMask] = null;

    /// <summary>Adds the live goroutines of this list to <paramref name="into"/>. Any thread.</summary>
    public void CopyLiveTo(List<Goroutine> into)
    {
        lock (_lock)
        {
            int count = Volatile.Read(ref _count);
            for (int slot = 0; slot < count; slot++)
            {
                if (Volatile.Read(ref ChunkOf(slot)![slot & ChunkMask]) is { HasExited: false } g && g != s_released)
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
            int count = Volatile.Read(ref _count);
            for (int slot = 0; slot < count; slot++)
            {
                ref Goroutine? entry = ref ChunkOf(slot)![slot & ChunkMask];
                Goroutine? g = Volatile.Read(ref entry);
                if (g is not null && g != s_released && release(g)
                    && Interlocked.CompareExchange(ref entry, s_released, g) == g)
                {
                    released.Add((slot, g));
                }
            }
        }

        return released;
    }

    /// <summary>
    /// Puts <paramref name="g"/>, released by <see cref="Release"/>, back into its slot, unless it
    /// exited meanwhile (its exit cleared the slot). Any thread.
    /// </summary>
    public void Restore(int slot, Goroutine g)
    {
        lock (_lock)
        {
            Interlocked.CompareExchange(ref ChunkOf(slot)![slot & ChunkMask], g, s_released);
        }
    }

    // The chunk that holds slot (null if not allocated yet). The directory may be replaced by a
    // larger copy, but a chunk never moves, so any directory the caller read finds it.
    private Goroutine?[]? ChunkOf(int slot)
    {
        Goroutine?[]?[] chunks = Volatile.Read(ref _chunks);
        int index = slot >> ChunkShift;
        return index < chunks.Length ? chunks[index] : null;
    }

    // Allocates the chunk that starts at slot, growing the directory if needed. Owner, as the count reaches it.
    private void AddChunk(int slot)
    {
        lock (_lock)
        {
            int index = slot >> ChunkShift;
            Goroutine?[]?[] chunks = _chunks;
            if (index >= chunks.Length)
            {
                var grown = new Goroutine?[]?[chunks.Length * 2];
                Array.Copy(chunks, grown, chunks.Length);
                chunks = grown;
            }

            chunks[index] = new Goroutine?[ChunkSize];
            Volatile.Write(ref _chunks, chunks); // publishes the chunk with the directory
        }
    }

    // No slot is left: collect cleared slots onto the free stack, resuming where the last sweep
    // stopped; if they are scarce (less than a quarter of the slots scanned), grow the capacity by
    // half instead. Returns a slot to use. Scans read slots, never goroutines.
    private int SweepForRoom()
    {
        int scanned = 0;
        lock (_lock)
        {
            int count = _count;
            while (scanned < count && _freeCount < _free.Length)
            {
                int slot = _sweepCursor;
                _sweepCursor = slot + 1 == count ? 0 : slot + 1;
                scanned++;
                if (Volatile.Read(ref ChunkOf(slot)![slot & ChunkMask]) is null)
                {
                    _free[_freeCount++] = slot;
                }
            }

            if (_freeCount * 4 >= scanned && _freeCount > 0)
            {
                return _free[--_freeCount];
            }

            _capacity += Math.Max(ChunkSize, (_capacity / 2) & ~ChunkMask);
        }

        // The free ones found stay on the stack for later; take a never-used slot now.
        return AddNewSlot();
    }

    // The next never-used slot, its chunk allocated first: readers bound by the count. Owner only.
    private int AddNewSlot()
    {
        int slot = _count;
        if ((slot & ChunkMask) == 0 && ChunkOf(slot) is null)
        {
            AddChunk(slot);
        }

        Volatile.Write(ref _count, slot + 1);
        return slot;
    }
}
