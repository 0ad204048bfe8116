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

            for (int i = 0; i < n; i++)
            {
                Processor processor = _processors[i];
                processor.Retiring = false;
                if (processor.Status == ProcessorStatus.Retired)
                {
                    PutIdleProcessorLocked(processor);
                    added++;
                }
            }

            for (int i = n; i < _processors.Length; i++)
            {
                Processor processor = _processors[i];
                processor.Retiring = true;
                if (processor.Status == ProcessorStatus.Idle)
                {
                    RemoveIdleProcessorLocked(processor);
                    processor.Status = ProcessorStatus.Retired;
                }
            }

            Volatile.Write(ref _maxProcs, n);
        }

        for (int i = 0; i < added; i++)
        {
            Wakep();
        }

        return previous;
    }

    private void RemoveIdleProcessorLocked(Processor processor)
    {
        ref Processor? link = ref _idleProcessors;
        while (link is not null)
        {
            if (link == processor)
            {
                link = processor.IdleLink;
                processor.IdleLink = null;
                Volatile.Write(ref _idleProcessorCount.Value, _idleProcessorCount.Value - 1);
                return;
            }

            link = ref link.IdleLink;
        }
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
            IOWaiting = IOWaiterCount,
        };
    }
}
