// Licensed under the MIT License.

namespace Goroutines.Scheduling;

/// <summary>The scheduler's lock-protected counters, read together.</summary>
/// <param name="MaxProcs">GOMAXPROCS.</param>
/// <param name="IdleProcessors">Processors on the idle list.</param>
/// <param name="Threads">Threads created, sysmon included (Go: mcount).</param>
/// <param name="SpinningThreads">Machines looking for work to steal.</param>
/// <param name="IdleThreads">Machines parked on the idle list.</param>
/// <param name="GlobalRunQueue">Goroutines in the global run queue.</param>
internal readonly record struct SchedulerCounts(
    int MaxProcs,
    int IdleProcessors,
    int Threads,
    int SpinningThreads,
    int IdleThreads,
    int GlobalRunQueue);
