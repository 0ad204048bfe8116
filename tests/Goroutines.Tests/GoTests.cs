// Licensed under the MIT License.

using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests;

public sealed class GoTests : RuntimeTest
{
    [Fact]
    public void Run_NullFunction_ThrowsArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>("function", () => Go.Run((Action)null!));
        Assert.Throws<ArgumentNullException>("function", () => Go.Run((Func<Task>)null!));
        Assert.Throws<ArgumentNullException>("function", () => Go.Run((Func<ValueTask>)null!));
    }

    [Fact]
    public void Main_NullFunction_ThrowsArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>("main", () => Go.Main(null!));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void SetMaxThreads_LessThanOne_ThrowsArgumentOutOfRangeException(int threads)
    {
        Assert.Throws<ArgumentOutOfRangeException>(nameof(threads), () => Go.SetMaxThreads(threads));
    }

    [Fact]
    public void SetMaxStack_LessThan256KiB_ThrowsArgumentOutOfRangeException()
    {
        Assert.Throws<ArgumentOutOfRangeException>("bytes", () => Go.SetMaxStack((256 * 1024) - 1));
    }

    [Fact]
    public async Task Main_CalledFromGoroutine_ThrowsInvalidOperationException()
    {
        bool mainRan = false;
        await GoTest.RunAsync(() =>
        {
            Assert.Throws<InvalidOperationException>(() => Go.Main(() =>
            {
                mainRan = true;
                return Task.CompletedTask;
            }));
            return Task.CompletedTask;
        });
        Assert.False(mainRan);
    }

    [Fact]
    public async Task Main_MainReturnsWhileOtherGoroutinesAreBlocked_Returns()
    {
        const int blocked = 3;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var allBlocked = new CountdownEvent(blocked);
        int finished = 0;
        var allFinished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long mainId = 0;

        try
        {
            await Task.Run(() => Go.Main(async () =>
            {
                mainId = Go.CurrentGoroutineId;
                for (int i = 0; i < blocked; i++)
                {
                    Go.Run(async () =>
                    {
                        allBlocked.Signal();
                        await release.Task;
                        if (Interlocked.Increment(ref finished) == blocked)
                        {
                            allFinished.SetResult();
                        }
                    });
                }

                await Go.YieldAsync();
            })).Within(what: "Go.Main to return");

            Assert.NotEqual(0, mainId);
            Assert.Equal(0, Volatile.Read(ref finished));
        }
        finally
        {
            release.SetResult();
        }

        Assert.True(allBlocked.Wait(TestTimeouts.Default), "The other goroutines did not start.");
        await allFinished.Task.Within(what: "the released goroutines");
    }

    [Fact]
    public async Task Main_BodyFinishesOffTheRuntimeAfterParkingOnAChannel_Returns()
    {
        // The main goroutine first parks on a channel (resumed in a step of its own), then leaves
        // the runtime through ConfigureAwait(false) and returns on a thread-pool thread: its end
        // happens in no step, and Go.Main must still see it.
        bool? finishedOffTheRuntime = null;
        await Task.Run(() => Go.Main(async () =>
        {
            var values = new Goroutines.Channels.Chan<int>();
            Go.Run(async () => await values.SendAsync(1));
            Assert.Equal(1, await values.ReceiveAsync());
#pragma warning disable GOR002 // Leaving the goroutine is the point: its end must still be seen.
            await Task.Delay(1).ConfigureAwait(false);
#pragma warning restore GOR002
            finishedOffTheRuntime = Goroutines.Scheduling.Machine.Current is null;
        })).Within(what: "Go.Main to return");

        Assert.True(finishedOffTheRuntime, "The body's end ran on a machine: it never left the runtime.");
    }

    [Fact]
    public async Task Run_BodyFinishesOffTheRuntime_GoroutineExits()
    {
        long before = Go.NumGoroutine;
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await GoTest.RunAsync(() =>
        {
            Go.Run(async () =>
            {
                await Go.YieldAsync();
#pragma warning disable GOR002 // Leaving the goroutine is the point: its end must still be seen.
                await Task.Delay(1).ConfigureAwait(false);
#pragma warning restore GOR002
                finished.SetResult();
            });
            return Task.CompletedTask;
        });

        await finished.Task.Within(what: "the goroutine's body");
        Assert.True(Poll.Until(() => Go.NumGoroutine == before, TestTimeouts.Default), $"NumGoroutine stayed at {Go.NumGoroutine}, expected {before}: the goroutine's exit went unseen.");
    }

    [Fact]
    public void SetMaxProcs_ZeroOrNegative_OnlyReads()
    {
        int current = Go.MaxProcs;
        Assert.Equal(current, Go.SetMaxProcs(0));
        Assert.Equal(current, Go.SetMaxProcs(-1));
        Assert.Equal(current, Go.MaxProcs);
        Assert.Equal(current, Go.ReadStatistics().MaxProcs);
    }

    [Fact]
    public void SetMaxProcs_NewValue_ReturnsPreviousValue()
    {
        int original = Go.MaxProcs;
        Assert.Equal(original, Settings.SetMaxProcs(original + 1));
        Assert.Equal(original + 1, Go.MaxProcs);
        Assert.Equal(original + 1, Settings.SetMaxProcs(1));
        Assert.Equal(1, Go.MaxProcs);
        Assert.Equal(1, Settings.SetMaxProcs(original));
        Assert.Equal(original, Go.MaxProcs);
        Assert.Equal(original, Go.ReadStatistics().MaxProcs);
    }

    [Fact]
    public void SetMaxThreads_NewValue_ReturnsPreviousValueStartingFromTenThousand()
    {
        // Every test restores the limit it changes, so each one finds the default.
        Assert.Equal(10_000, Settings.SetMaxThreads(5_000));
        Assert.Equal(5_000, Settings.SetMaxThreads(6_000));
        Assert.Equal(6_000, Settings.SetMaxThreads(10_000));
    }

    [Fact]
    public async Task SetMaxThreads_LimitReached_ReportsFatalThreadExhaustion()
    {
        // Every machine the runtime has gets a goroutine that blocks it inside a blocking
        // region; sysmon hands each blocked machine's processor on to run the next goroutine.
        // Once every machine is blocked, the next hand-off needs a thread the limit forbids.
        using var release = new ManualResetEventSlim();
        int threads = Go.ReadStatistics().Threads;
        int count = threads + 2; // more goroutines than machines (the count includes sysmon)
        int remaining = count;
        var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Settings.SetMaxThreads(threads);
        try
        {
            for (int i = 0; i < count; i++)
            {
                Go.Run(() =>
                {
                    using (Go.EnterBlockingRegion())
                    {
                        GoTest.WaitFor(release, "the test to release the blocked goroutines");
                    }

                    if (Interlocked.Decrement(ref remaining) == 0)
                    {
                        allDone.SetResult();
                    }
                });
            }

            GoroutinePanic fatal = (await Panics.WaitForAsync(1))[0];
            Assert.True(fatal.IsFatal);
            Assert.Null(fatal.Exception);
            Assert.Equal("fatal error: thread exhaustion", fatal.Message);
            Assert.Contains($"runtime: program exceeds {threads}-thread limit", fatal.Report, StringComparison.Ordinal);
            Assert.Contains("fatal error: thread exhaustion", fatal.Report, StringComparison.Ordinal);
        }
        finally
        {
            Settings.Dispose(); // the limit first, or releasing would need threads it forbids
            release.Set();
        }

        await allDone.Task.Within(what: $"the released goroutines ({Volatile.Read(ref remaining)} left)");

        // Hand-offs may have hit the limit more than once before it was lifted; all are this error.
        Assert.All(Panics.TakeAll(), p => Assert.Equal("fatal error: thread exhaustion", p.Message));
    }

    [Fact]
    public async Task NumGoroutine_BlockedGoroutines_CountedUntilTheyExit()
    {
        const int count = 100;
        long before = Go.NumGoroutine;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var allStarted = new CountdownEvent(count);
        int remaining = count;
        var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        try
        {
            for (int i = 0; i < count; i++)
            {
                Go.Run(async () =>
                {
                    allStarted.Signal();
                    await release.Task;
                    if (Interlocked.Decrement(ref remaining) == 0)
                    {
                        allDone.SetResult();
                    }
                });
            }

            Assert.True(allStarted.Wait(TestTimeouts.Default), "The goroutines did not start.");
            Assert.True(Go.NumGoroutine >= before + count, $"NumGoroutine {Go.NumGoroutine}, expected at least {before + count}.");
            Assert.True(Go.ReadStatistics().Goroutines >= before + count);
        }
        finally
        {
            release.SetResult();
        }

        await allDone.Task.Within(what: "the released goroutines");
        Assert.True(Poll.Until(() => Go.NumGoroutine == before, TestTimeouts.Default), $"NumGoroutine stayed at {Go.NumGoroutine}, expected {before}.");
    }

    [Fact]
    public async Task CurrentGoroutineId_InsideAndOutsideGoroutines_UniquePerGoroutineAndZeroOutside()
    {
        Assert.Equal(0, Go.CurrentGoroutineId);
        long[] ids = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => GoTest.Start(() => Task.FromResult(Go.CurrentGoroutineId)))).Within();
        Assert.All(ids, id => Assert.True(id > 0));
        Assert.Equal(ids.Length, ids.Distinct().Count());
    }
}
