// Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Scheduling;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Scheduling;

public sealed class SystemMonitorTests : RuntimeTest
{
    [Fact]
    public async Task Retake_GoroutineSpinsWithoutAwaitingOnOnlyProcessor_OtherGoroutineStillRuns()
    {
        Settings.SetMaxProcs(1);
        RuntimeStatistics before = Go.ReadStatistics();
        bool stop = false;
        using var spinning = new ManualResetEventSlim();
        int spinnerThread = 0;
        int stopperThread = 0;

        // No await, no runtime call: only sysmon can get the processor back from this loop.
        Task spinner = GoTest.Start(() =>
        {
            Volatile.Write(ref spinnerThread, Environment.CurrentManagedThreadId);
            spinning.Set();
            long deadline = Environment.TickCount64 + (long)TestTimeouts.Default.TotalMilliseconds;
            while (!Volatile.Read(ref stop))
            {
                if (Environment.TickCount64 > deadline)
                {
                    throw new TimeoutException("The flag was never set: the other goroutine did not run.");
                }
            }

            return Task.CompletedTask;
        });
        GoTest.WaitFor(spinning, "the spinner to start");

        Task stopper = GoTest.Start(() =>
        {
            Volatile.Write(ref stopperThread, Environment.CurrentManagedThreadId);
            Volatile.Write(ref stop, true);
            return Task.CompletedTask;
        });

        await stopper.Within(what: "the goroutine queued behind the spinner");
        await spinner.Within(what: "the spinner to see the flag");
        Assert.NotEqual(Volatile.Read(ref spinnerThread), Volatile.Read(ref stopperThread));
        RuntimeStatistics after = Go.ReadStatistics();
        Assert.True(after.Handoffs > before.Handoffs, "The processor was not handed off.");

        // A thread that runs is not blocked: the hog lost its processor by the 10 ms rule only.
        Assert.Equal(before.BlockedCallHandoffs, after.BlockedCallHandoffs);
    }

    [Fact]
    public async Task BlockedCall_OutsideRegionOnOnlyProcessor_HandedOffAsABlockedCallOnLinux()
    {
        Settings.SetMaxProcs(1);
        long blockedBefore = Go.ReadStatistics().BlockedCallHandoffs;

        // A kernel wait outside any blocking region; only the goroutine queued behind it can end it.
        using var release = new ManualResetEvent(initialState: false);
        Task blocker = GoTest.Start(() =>
        {
            Task releaser = GoTest.Start(() =>
            {
                release.Set();
                return Task.CompletedTask;
            });
            Assert.True(release.WaitOne(TestTimeouts.Default), "the goroutine queued behind the blocked one never ran");
            return releaser;
        });

        await blocker.Within(what: "the blocked goroutine and the one that releases it");
        long blockedHandoffs = Go.ReadStatistics().BlockedCallHandoffs - blockedBefore;
        if (OperatingSystem.IsLinux())
        {
            Assert.True(blockedHandoffs >= 1, "sysmon did not see the thread asleep in the kernel");
        }
        else
        {
            Assert.Equal(0, blockedHandoffs); // elsewhere the 10 ms rule hands it off
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task BlockingCall_OnOnlyProcessor_OtherGoroutinesOfItsProcessorComplete(bool inBlockingRegion)
    {
        const int others = 10;
        Settings.SetMaxProcs(1);
        using var release = new ManualResetEventSlim();
        var othersDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int remaining = others;
        int blockerReturned = 0;

        Task blocker = GoTest.Start(() =>
        {
            // Spawned from here, the others sit in this goroutine's own processor's run queue
            // (there is no other processor to steal them).
            for (int i = 0; i < others; i++)
            {
                Go.Run(() =>
                {
                    if (Interlocked.Decrement(ref remaining) == 0)
                    {
                        othersDone.SetResult();
                    }
                });
            }

            if (inBlockingRegion)
            {
                using (Go.EnterBlockingRegion())
                {
                    GoTest.WaitFor(release, "the test to release the blocked goroutine");
                }
            }
            else
            {
                GoTest.WaitFor(release, "the test to release the blocked goroutine");
            }

            Volatile.Write(ref blockerReturned, 1);
            return Task.CompletedTask;
        });

        try
        {
            await othersDone.Task.Within(what: $"the goroutines queued behind the blocked one ({Volatile.Read(ref remaining)} left)");
            Assert.Equal(0, Volatile.Read(ref blockerReturned));
        }
        finally
        {
            release.Set();
        }

        await blocker.Within(what: "the released goroutine");
        Assert.Equal(1, Volatile.Read(ref blockerReturned));
    }

    [Fact]
    public async Task BlockedCalls_PastHalfTheThreadLimit_KeepTheirProcessorsInsteadOfExhaustingThreads()
    {
        Settings.SetMaxProcs(2);
        int limit = 2 * (Go.ReadStatistics().Threads + 8);
        Settings.SetMaxThreads(limit);
        const int Blockers = 60; // more than the limit leaves room for: without the bound, the hand-offs exhaust it
        long refusedBefore = Scheduler.Instance.StuckHandoffsRefused;

        using var release = new ManualResetEvent(initialState: false);
        var tasks = new Task[Blockers];
        for (int i = 0; i < Blockers; i++)
        {
            tasks[i] = GoTest.Start(() =>
            {
                Assert.True(release.WaitOne(TestTimeouts.Default), "never released");
                return Task.CompletedTask;
            });
        }

        // Sysmon hands blocked processors off until half the limit (at once on Linux, by the 10 ms rule
        // elsewhere), then refuses, with goroutines still queued.
        bool refused = Poll.Until(() => Scheduler.Instance.StuckHandoffsRefused > refusedBefore, TestTimeouts.Default);
        int threadsAtRefusal = Go.ReadStatistics().Threads;
        release.Set();
        await Task.WhenAll(tasks).Within(what: "the blocked goroutines, released");

        Assert.True(refused, $"sysmon never reached the bound ({Go.ReadStatistics().Threads} threads of {limit})");
        Assert.True(threadsAtRefusal <= limit / 2, $"{threadsAtRefusal} threads at the bound, past half the limit of {limit}");
        Assert.True(Go.ReadStatistics().Threads <= limit / 2, $"{Go.ReadStatistics().Threads} threads, past half the limit of {limit}");
    }
}
