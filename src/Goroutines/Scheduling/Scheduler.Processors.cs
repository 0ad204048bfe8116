// Licensed under the MIT License.

using System;
using System.Threading;

namespace Goroutines.Scheduling;

// GOMAXPROCS changes and the runtime's counters.
//
// Go resizes under stop-the-world. A stackless runtime cannot stop a goroutine that
// never reaches a safe point, so shrinking is lazy: processors beyond the new count
// are marked Retiring; an idle one retires at once, an owned one when its machine
// next enters the scheduling loop (its queue goes global). Until then
// more than GOMAXPROCS processors may briefly run goroutines.
//
// Invariant: every processor numbered GOMAXPROCS or above is Retiring (retired, or
// about to be: never idle, as PutIdleProcessorLocked retires it instead), and none
// below is; so a resize touches only the processors between the old count and the new
// one, and holds the scheduler lock for time linear in them.
internal sealed partial class Scheduler
{
    /// <summary>
    /// The most processors there can be: a goroutine records the processor whose registry shard
    /// holds it in 16 bits (GoroutineList.cs). Larger settings are capped, as Go capped GOMAXPROCS
    /// at 1,024 before 1.10.
    /// </summary>
    public const int MaxProcessors = ushort.MaxValue;

    /// <summary>Sets GOMAXPROCS and returns the previous value; a value below 1 only reads it.</summary>
    /// <remarks>Go: runtime.GOMAXPROCS and procresize.</remarks>
    public int SetMaxProcs(int n)
    {
        int previous;
        int added = 0;
        n = Math.Min(n, MaxProcessors);
        lock (_lock)
        {
            previous = _maxProcs;
            if (n < 1 || n == previous)
            {
                return previous;
            }

            if (n > _processors.Length)
            {
                Processor[] grown = new Processor[n];
                Array.Copy(_processors, grown, _processors.Length);
                for (int i = _processors.Length; i < n; i++)
                {
                    grown[i] = new Processor(i);
                    grown[i].Status = ProcessorStatus.Retired;
                }

                Volatile.Write(ref _processors, grown);
            }

            // Only the processors between the old and the new count change (the invariant in the
            // header), and the idle list is walked once: a resize is linear, 65,535 -> 2 included.
            for (int i = previous; i < n; i++)
            {
                Processor processor = _processors[i];
                processor.Retiring = false;
                if (processor.Status == ProcessorStatus.Retired)
                {
                    PutIdleProcessorLocked(processor);
                    added++;
                }
            }

            if (n < previous)
            {
                for (int i = n; i < previous; i++)
                {
                    _processors[i].Retiring = true;
                }

                RetireIdleProcessorsLocked(n);
            }

            Volatile.Write(ref _maxProcs, n);
        }

        for (int i = 0; i < added; i++)
        {
            Wakep();
        }

        return previous;
    }

    // Takes the idle processors numbered from count up off the idle list, in one walk, and retires them.
    private void RetireIdleProcessorsLocked(int count)
    {
        int removed = 0;
        ref Processor? link = ref _idleProcessors;
        while (link is { } processor)
        {
            if (processor.Id < count)
            {
                link = ref processor.IdleLink;
                continue;
            }

            link = processor.IdleLink;
            processor.IdleLink = null;
            processor.Status = ProcessorStatus.Retired;
            removed++;
        }

        Volatile.Write(ref _idleProcessorCount.Value, _idleProcessorCount.Value - removed);
    }

    /// <summary>Live goroutines: spawned minus exited, summed over processors (Go: gcount).</summary>
    public long GoroutineCount
    {
        get
        {
            long count = SpawnedOffProcessor - ExitedOffProcessor;
            foreach (Processor processor in Processors)
            {
                count += Volatile.Read(ref processor.Spawned) - Volatile.Read(ref processor.Exited);
            }

            return Math.Max(count, 0);
        }
    }

    /// <summary>A snapshot of the runtime's counters.</summary>
    public RuntimeStatistics ReadStatistics()
    {
        long steals = 0, preemptions = OffProcessorPreemptions;
        int localQueued = 0;
        foreach (Processor processor in Processors)
        {
            steals += Volatile.Read(ref processor.Steals);
            preemptions += Volatile.Read(ref processor.Preemptions);
            localQueued += processor.RunQueue.Count;
        }

        return new RuntimeStatistics
        {
            Goroutines = GoroutineCount,
            MaxProcs = MaxProcs,
            IdleProcessors = IdleProcessorCount,
            Threads = MachineCount,
            IdleThreads = IdleMachineCount,
            SpinningThreads = SpinningMachines,
            GlobalRunQueue = GlobalCount,
            LocalRunQueues = localQueued,
            Steals = steals,
            Preemptions = preemptions,
            Handoffs = Handoffs,
            BlockedCallHandoffs = BlockedCallHandoffs,
            IOWaiting = IOWaiterCount,
        };
    }
}
