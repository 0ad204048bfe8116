// Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Scheduling;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Scheduling;

public sealed class BlockingRegionTests : RuntimeTest
{
    [Fact]
    public async Task Dispose_ProcessorRetakenAndNowIdle_GoroutineContinuesAsItself()
    {
        Settings.SetMaxProcs(1);
        long handoffsBefore = Go.ReadStatistics().Handoffs;
        using var otherRan = new ManualResetEventSlim();

        await GoTest.RunAsync(async () =>
        {
            long id = Go.CurrentGoroutineId;
            SynchronizationContext? context = SynchronizationContext.Current;
            Go.Run(otherRan.Set); // queued on this goroutine's processor, the only one
            using (Go.EnterBlockingRegion())
            {
                Assert.Equal(GoroutineStatus.Syscall, Goroutine.Running!.Status);

                // It can run only if sysmon takes the processor from this blocked thread.
                GoTest.WaitFor(otherRan, "the goroutine queued behind the blocking region");
            }

            Assert.Equal(id, Go.CurrentGoroutineId);
            Assert.Same(context, SynchronizationContext.Current);
            Assert.Equal(GoroutineStatus.Running, Goroutine.Running!.Status);
            await Go.YieldAsync();
            Assert.Equal(id, Go.CurrentGoroutineId);
        });

        Assert.True(Go.ReadStatistics().Handoffs > handoffsBefore, "The processor was not handed off.");
    }

    [Fact]
    public async Task Dispose_ProcessorRetakenAndBusy_GoroutineWaitsForAProcessorAndContinues()
    {
        // The goroutine leaves its region while the processor it lost runs a goroutine that
        // spins until the region is over: Dispose must queue it and wait for a processor
        // (sysmon hands the spinner's processor to another machine, which hands it over).
        Settings.SetMaxProcs(1);
        using var spinnerStarted = new ManualResetEventSlim();
        bool regionLeft = false;
        Task? spinner = null;

        await GoTest.RunAsync(async () =>
        {
            long id = Go.CurrentGoroutineId;
            int thread = Environment.CurrentManagedThreadId;
            spinner = GoTest.Start(() =>
            {
                spinnerStarted.Set();
                GoTest.SpinUntil(() => Volatile.Read(ref regionLeft), "the blocked goroutine to leave its region");
                return Task.CompletedTask;
            });
            using (Go.EnterBlockingRegion())
            {
                GoTest.WaitFor(spinnerStarted, "the goroutine queued behind the blocking region");
            }

            Volatile.Write(ref regionLeft, true);
            Assert.Equal(id, Go.CurrentGoroutineId);
            Assert.Equal(thread, Environment.CurrentManagedThreadId);
            Assert.Equal(GoroutineStatus.Running, Goroutine.Running!.Status);
            await Go.YieldAsync();
            Assert.Equal(id, Go.CurrentGoroutineId);
        });

        Assert.NotNull(spinner);
        await spinner.Within(what: "the spinning goroutine");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Dispose_AfterAnAwaitInsideTheRegion_ThrowsAndTheRuntimeStaysWhole(bool resumeOnTheGoroutine)
    {
        // The await ends the step with the region open: the machine ends it there, and the late
        // Dispose (on whichever thread the await resumed) fails instead of touching that machine,
        // which runs other goroutines by then.
        Settings.SetMaxProcs(2);
        Exception? error = await GoTest.RunAsync(async () =>
        {
            BlockingRegion region = Go.EnterBlockingRegion();
            await Task.Delay(1).ConfigureAwait(resumeOnTheGoroutine);
            try
            {
                region.Dispose();
                return null;
            }
            catch (InvalidOperationException e)
            {
                return e;
            }
        });

        Assert.NotNull(error);
        Assert.StartsWith("A blocking region was disposed after an await inside it", error.Message, StringComparison.Ordinal);

        // No processor stays marked as in a blocking region, and goroutines still run everywhere.
        Assert.True(
            Poll.Until(() => Array.TrueForAll(Scheduler.Instance.Processors, p => p.Status != ProcessorStatus.Syscall), TestTimeouts.Default),
            "A processor stayed in the blocking region's state.");
        int ran = 0;
        await GoTest.RunAsync(async () =>
        {
            var group = new Goroutines.Sync.WaitGroup();
            for (int i = 0; i < 1_000; i++)
            {
                group.Go(async () =>
                {
                    await Go.YieldAsync();
                    Interlocked.Increment(ref ran);
                });
            }

            await group.WaitAsync();
        });
        Assert.Equal(1_000, ran);
        await GoTest.RunAsync(async () =>
        {
            using (Go.EnterBlockingRegion())
            {
                Thread.Sleep(1); // a region used rightly afterwards is not taken for the misused one
            }

            await Go.YieldAsync();
        });
    }

    [Fact]
    public async Task Dispose_OfARegionEndedAtAnAwait_AfterAnotherRegionOpenedAndClosed_StillThrows()
    {
        Exception? error = await GoTest.RunAsync(async () =>
        {
            BlockingRegion first = Go.EnterBlockingRegion();
            await Task.Delay(1);
            using (Go.EnterBlockingRegion())
            {
                Thread.Sleep(1);
            }

            try
            {
                first.Dispose();
                return null;
            }
            catch (InvalidOperationException e)
            {
                return e;
            }
        });

        Assert.NotNull(error);
        Assert.True(
            Poll.Until(() => Array.TrueForAll(Scheduler.Instance.Processors, p => p.Status != ProcessorStatus.Syscall), TestTimeouts.Default),
            "A processor stayed in the blocking region's state.");
    }
}
