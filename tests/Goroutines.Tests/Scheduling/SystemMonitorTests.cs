// Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Scheduling;

public sealed class SystemMonitorTests : RuntimeTest
{
    [Fact]
    public async Task Retake_GoroutineSpinsWithoutAwaitingOnOnlyProcessor_OtherGoroutineStillRuns()
    {
        Settings.SetMaxProcs(1);
        long handoffsBefore = Go.ReadStatistics().Handoffs;
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
        Assert.True(Go.ReadStatistics().Handoffs > handoffsBefore, "The processor was not handed off.");
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
}
