// Licensed under the MIT License.

namespace Goroutines;

/// <summary>
/// A snapshot of the scheduler's counters, read without stopping anything: each value is
/// exact for its own source at the moment it was read, not for all of them together.
/// </summary>
public readonly record struct RuntimeStatistics
{
    /// <summary>Live goroutines (Go's <c>runtime.NumGoroutine</c>).</summary>
    public long Goroutines { get; init; }

    /// <summary>GOMAXPROCS: processors that may run goroutines at once.</summary>
    public int MaxProcs { get; init; }

    /// <summary>Processors with nothing to run.</summary>
    public int IdleProcessors { get; init; }

    /// <summary>OS threads the runtime created (machines, plus sysmon).</summary>
    public int Threads { get; init; }

    /// <summary>Machines parked for want of work.</summary>
    public int IdleThreads { get; init; }

    /// <summary>Machines looking for work to steal.</summary>
    public int SpinningThreads { get; init; }

    /// <summary>Goroutines in the global run queue.</summary>
    public int GlobalRunQueue { get; init; }

    /// <summary>Goroutines in the processors' local run queues.</summary>
    public int LocalRunQueues { get; init; }

    /// <summary>Successful steals from another processor's queue, since start.</summary>
    public long Steals { get; init; }

    /// <summary>Goroutines that yielded at a safe point because sysmon asked them to, since start.</summary>
    public long Preemptions { get; init; }

    /// <summary>Processors handed to another thread because their own was stuck, since start.</summary>
    public long Handoffs { get; init; }

    /// <summary>
    /// Of <see cref="Handoffs"/>, those whose goroutine was blocked in a system call outside any
    /// blocking region (the kernel had its thread asleep: <c>Thread.Sleep</c>, a synchronous read,
    /// a contended lock), since start. Linux only; elsewhere such goroutines lose their processor
    /// by the 10 ms rule for goroutines that do not come back.
    /// </summary>
    public long BlockedCallHandoffs { get; init; }

    /// <summary>Goroutines parked in the netpoller, waiting for a socket (wait reason <c>IO wait</c>).</summary>
    public int IOWaiting { get; init; }
}
