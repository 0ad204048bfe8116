// Licensed under the MIT License.

using System;
using System.Linq;

using Goroutines.Scheduling;

namespace Goroutines.Tests.TestSupport;

/// <summary>
/// Changes GOMAXPROCS and the thread limit for one test and puts the values the test found
/// back on dispose, so that every test starts from the runtime's defaults.
/// </summary>
public sealed class RuntimeSettings : IDisposable
{
    private int? _originalMaxProcs;
    private int? _originalMaxThreads;

    /// <summary>Calls <see cref="Go.SetMaxProcs"/>, remembering the first previous value; returns the previous value.</summary>
    /// <remarks>
    /// After shrinking, waits until every processor beyond <paramref name="n"/> stopped running
    /// (shrinking is lazy: an owned processor retires when its machine next enters the
    /// scheduler), so goroutines started afterwards see the new limit, and until every machine
    /// is parked. Call it only while none of the test's goroutines run.
    /// </remarks>
    public int SetMaxProcs(int n)
    {
        int previous = Go.SetMaxProcs(n);
        _originalMaxProcs ??= previous;
        if (n >= 1 && n < previous)
        {
            WaitForProcessorsToSettle(n);
        }

        return previous;
    }

    /// <summary>Calls <see cref="Go.SetMaxThreads"/>, remembering the first previous value; returns the previous value.</summary>
    public int SetMaxThreads(int threads)
    {
        int previous = Go.SetMaxThreads(threads);
        _originalMaxThreads ??= previous;
        return previous;
    }

    /// <summary>Restores the values found before the first change.</summary>
    public void Dispose()
    {
        if (_originalMaxThreads is { } threads)
        {
            Go.SetMaxThreads(threads);
            _originalMaxThreads = null;
        }

        if (_originalMaxProcs is { } procs)
        {
            Go.SetMaxProcs(procs);
            _originalMaxProcs = null;
        }
    }

    private static void WaitForProcessorsToSettle(int n)
    {
        // A processor beyond n that is Idle (it may still sit on the idle list, marked Retiring)
        // or Retired never runs a goroutine's step from the scheduler again. Then wait for every
        // machine to park too, so the test starts from a quiet runtime: no machine is still on
        // its way to a processor it took before the change (the state in which growing right
        // after shrinking once handed one processor to two machines). Nothing of the test runs
        // yet, so all machines park.
        bool settled = Poll.Until(
            () => Scheduler.Instance.Processors.Skip(n).All(p => p.Status is ProcessorStatus.Idle or ProcessorStatus.Retired)
                && Go.ReadStatistics() is { Threads: var threads, IdleThreads: var idle } && idle == threads - 1,
            TestTimeouts.Default);
        if (!settled)
        {
            RuntimeStatistics statistics = Go.ReadStatistics();
            throw new TimeoutException(
                $"The runtime did not settle within {TestTimeouts.Default.TotalSeconds} s after GOMAXPROCS={n}: " +
                $"processors {string.Join(", ", Scheduler.Instance.Processors.Select(p => $"P{p.Id} {p.Status}"))}; " +
                $"{statistics.IdleThreads} of {statistics.Threads - 1} machines parked.");
        }
    }
}
