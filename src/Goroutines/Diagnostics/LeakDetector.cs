// Licensed under the MIT License.

using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;

using Goroutines.Scheduling;

namespace Goroutines.Diagnostics;

// LeakDetector: finds goroutines that can never run again, by asking the garbage
// collector (the idea of Go 1.26's leak-detecting GC, built from .NET's parts).
//
// A parked goroutine is referenced by whatever can wake it: its waiter sits in a
// channel's queue, a mutex's semaphore, a timer heap, or a .NET task's continuation
// list, and that is held by whoever can still send, unlock or complete. Besides, the
// registry holds every goroutine (Scheduling/GoroutineList.cs). So if the registry
// lets go of the parked goroutines for one full collection, those that nothing else
// reaches are garbage: no code can ever wake them. They are leaked.
//
// One pass, under s_passLock (before the collection, idle processors' rings drop
// the stale references of the goroutines they ran, and GoroutineLeaks.FindLeaked has
// the calling goroutine's own processor do the same; a busy processor whose ring has
// not run dry since it ran a goroutine may hide it until it does, never invent a leak;
// see LocalRunQueue.cs):
//   1. Each registry shard releases its parked goroutines (under the shard's lock;
//      spawning goes on beside it), those found leaked before too: held by the registry,
//      a leaked goroutine would keep alive whatever it references, such as the channel
//      of a goroutine that was still runnable during an earlier pass and parked since,
//      which would then never be found (a sieve's chain of filters, caught mid-flow).
//      Each released goroutine gets a sentinel, attached with a ConditionalWeakTable, so
//      the goroutine does not keep it alive: when the goroutine becomes unreachable, so
//      does its sentinel, whose finalizer then runs with the goroutine's whole graph
//      intact (a finalizer resurrects what it reaches).
//      The pass itself keeps only weak references.
//   2. A full blocking collection, then the finalizers: each sentinel of an
//      unreachable goroutine reports it, unless the goroutine exited meanwhile (a
//      goroutine woken during the pass may run, exit and be collected: not a leak).
//      The pass returns the ones not marked before.
//   3. Every released goroutine that has not exited goes back into its slot (the
//      shard held a placeholder there meanwhile): survivors, and leaked ones too,
//      marked, so dumps show them "(leaked)" and they stay counted, as Go keeps its
//      leaked goroutines.
// No false positives: a goroutine is reported only if the collector proved nothing
// outside the registry references it while it was parked. A goroutine whose channel
// sits in a static field is reachable and never reported, even if no code will send.
//
// Invariants:
// - One pass at a time; dumps wait for a pass to finish (they read the registry).
// - After a pass every goroutine it released and that has not exited is in its slot again.
internal static class LeakDetector
{
    private static readonly Lock s_passLock = new();

    // Goroutines found leaked, kept as a side table: rare, and a field would cost every goroutine.
    private static readonly ConditionalWeakTable<Goroutine, object> s_leaked = [];
    private static readonly ConditionalWeakTable<Goroutine, Sentinel> s_sentinels = [];

    /// <summary>Serializes readers of the whole registry with a pass (a dump during a pass would miss goroutines).</summary>
    public static Lock PassLock => s_passLock;

    /// <summary>Whether a pass found <paramref name="g"/> leaked.</summary>
    public static bool IsMarkedLeaked(Goroutine g) => s_leaked.TryGetValue(g, out _);

    /// <summary>
    /// Runs one pass and returns the goroutines it found leaked that no pass had found before
    /// (marked from now on), by id. Any thread but a goroutine's own (the pass blocks its thread
    /// for a full collection).
    /// </summary>
    public static List<Goroutine> FindLeaked()
    {
        lock (s_passLock)
        {
            var found = new ConcurrentQueue<Goroutine>();
            List<Released> released = ReleaseParked(found);
            Scheduler.Instance.ClearIdleProcessorsStaleSlots();
            GC.Collect();
            GC.WaitForPendingFinalizers();

            var unreachable = new List<Goroutine>();
            var leaked = new List<Goroutine>();
            while (found.TryDequeue(out Goroutine? g))
            {
                unreachable.Add(g);
                if (!IsMarkedLeaked(g))
                {
                    s_leaked.AddOrUpdate(g, g);
                    leaked.Add(g);
                }
            }

            Restore(released, unreachable);
            leaked.Sort(static (a, b) => a.Id.CompareTo(b.Id));
            return leaked;
        }
    }

    // Step 1, in a method of its own so that no strong reference to a released goroutine
    // survives in the caller's frame across the collection.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static List<Released> ReleaseParked(ConcurrentQueue<Goroutine> found)
    {
        var released = new List<Released>();
        foreach (GoroutineList list in Scheduler.Instance.GoroutineLists)
        {
            foreach ((int slot, Goroutine g) in list.Release(static g => g.Status == GoroutineStatus.Waiting))
            {
                var sentinel = new Sentinel(g, found);
                s_sentinels.AddOrUpdate(g, sentinel);
                released.Add(new Released(list, slot, g.Id, new WeakReference<Goroutine>(g), new WeakReference<Sentinel>(sentinel)));
            }
        }

        return released;
    }

    // Step 3: every released goroutine back into the registry, survivors and leaked alike.
    private static void Restore(List<Released> released, List<Goroutine> unreachable)
    {
        var leakedById = new Dictionary<long, Goroutine>(unreachable.Count);
        foreach (Goroutine g in unreachable)
        {
            leakedById[g.Id] = g;
        }

        foreach (Released entry in released)
        {
            if (entry.Sentinel.TryGetTarget(out Sentinel? sentinel))
            {
                sentinel.Disarm(); // survived: its goroutine may exit later, not a leak
            }

            Goroutine? g = entry.Goroutine.TryGetTarget(out Goroutine? alive) ? alive : leakedById.GetValueOrDefault(entry.Id);
            if (g is null)
            {
                continue; // woken, exited and collected during the pass
            }

            s_sentinels.Remove(g);
            entry.List.Restore(entry.Slot, g);
        }
    }

    private readonly record struct Released(GoroutineList List, int Slot, long Id, WeakReference<Goroutine> Goroutine, WeakReference<Sentinel> Sentinel);

    // Finalized when its goroutine became unreachable while released; reports it if it is still parked.
    private sealed class Sentinel(Goroutine goroutine, ConcurrentQueue<Goroutine> found)
    {
        ~Sentinel()
        {
            if (!_disarmed && !goroutine.HasExited && goroutine.Status == GoroutineStatus.Waiting)
            {
                found.Enqueue(goroutine);
            }
        }

        private volatile bool _disarmed;

        /// <summary>Its goroutine survived the pass: no report when it is collected later.</summary>
        public void Disarm() => _disarmed = true;
    }
}
