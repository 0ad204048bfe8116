// Licensed under the MIT License.

using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Scheduling;
using Goroutines.Sync;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Sync;

public sealed class WaitGroupTests : RuntimeTest
{
    [Fact]
    public async Task WaitAsync_CounterZero_CompletesAtOnce()
    {
        var group = new WaitGroup();
        await GoTest.RunAsync(async () =>
        {
            ValueTask wait = group.WaitAsync();
            Assert.True(wait.IsCompletedSuccessfully);
            await wait;
        });
    }

    [Fact]
    public async Task WaitAsync_CounterPositive_ParksWithReasonUntilTheLastDone()
    {
        var group = new WaitGroup();
        group.Add(3);
        Spawned waiter = await Spawned.ParkedAsync(async () => await group.WaitAsync(), WaitReason.SyncWaitGroupWait);

        group.Done();
        group.Done();
        Assert.Equal(1, group.Count);
        Assert.True(waiter.IsParked(WaitReason.SyncWaitGroupWait), "The waiter returned before the counter reached zero.");

        group.Done();
        await waiter.Completion.Within(what: "the waiter released by the last Done");
        Assert.Equal(0, group.Count);
    }

    [Fact]
    public async Task WaitAsync_ManyWaiters_AllReleasedByOneDone()
    {
        const int waiters = 10;
        var group = new WaitGroup();
        group.Add(1);
        Spawned[] parked = new Spawned[waiters];
        for (int i = 0; i < waiters; i++)
        {
            parked[i] = await Spawned.ParkedAsync(async () => await group.WaitAsync(), WaitReason.SyncWaitGroupWait);
        }

        group.Done();
        await Task.WhenAll(parked.Select(p => p.Completion)).Within(what: "every waiter");
    }

    [Fact]
    public async Task Go_ThousandGoroutines_WaitReturnsAfterEveryOneRan()
    {
        const int goroutines = 1_000;
        var group = new WaitGroup();
        int ran = 0;
        await GoTest.RunAsync(async () =>
        {
            for (int i = 0; i < goroutines; i++)
            {
                group.Go(async () =>
                {
                    await Go.YieldAsync();
                    Interlocked.Increment(ref ran);
                });
            }

            await group.WaitAsync();
            Assert.Equal(goroutines, Volatile.Read(ref ran));
        });
    }

    [Fact]
    public async Task Go_FunctionPanics_CountsItDoneAndReportsThePanic()
    {
        using var capture = new PanicCapture();
        var group = new WaitGroup();
        group.Go(() => throw new InvalidOperationException("boom"));
        group.Go(async () =>
        {
            await Go.YieldAsync();
            throw new InvalidOperationException("boom later");
        });

        await Task.Run(group.Wait).Within(what: "the wait after two panicking goroutines");
        var panics = await capture.WaitForAsync(2);
        Assert.Equal(["boom", "boom later"], panics.Select(p => p.Exception!.Message).Order());
    }

    [Fact]
    public void Add_CounterGoesNegative_ThrowsGoPanicMessage()
    {
        var group = new WaitGroup();
        group.Add(1);
        group.Done();
        var error = Assert.ThrowsAny<InvalidOperationException>(group.Done);
        Assert.Equal("sync: negative WaitGroup counter", error.Message);
    }

    [Fact]
    public async Task Wait_FromPlainThread_BlocksUntilZero()
    {
        var group = new WaitGroup();
        group.Add(1);
        using var waiting = new ManualResetEventSlim();
        var waiter = new Thread(() =>
        {
            waiting.Set();
            group.Wait();
        })
        { IsBackground = true };
        waiter.Start();
        GoTest.WaitFor(waiting, "the thread to start waiting");
        Assert.True(waiter.IsAlive);

        await GoTest.RunAsync(() =>
        {
            group.Done();
            return Task.CompletedTask;
        });
        Assert.True(waiter.Join(TestTimeouts.Default), "The blocked thread was not released.");
    }

    [Fact]
    public async Task WaitAsync_GroupReusedForManyRounds_EveryRoundWaitsForItsOwnWork()
    {
        const int rounds = 200;
        var group = new WaitGroup();
        await GoTest.RunAsync(async () =>
        {
            for (int round = 0; round < rounds; round++)
            {
                int done = 0;
                for (int i = 0; i < 4; i++)
                {
                    group.Go(async () =>
                    {
                        await Go.YieldAsync();
                        Interlocked.Increment(ref done);
                    });
                }

                await group.WaitAsync();
                Assert.Equal(4, Volatile.Read(ref done));
            }
        });
    }
}
