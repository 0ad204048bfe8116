// Licensed under the MIT License.

using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Scheduling;
using Goroutines.Sync;
using Goroutines.Testing;
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

    [Fact]
    public async Task WaitAsync_GroupReusedBeforeTheReleasedWaiterRan_ThrowsGosReusePanic()
    {
        // Explored: Done and the Add after it are one step, so the released waiter cannot run between them.
        await Explorer.ExploreAsync(
            async () =>
            {
                var group = new WaitGroup();
                group.Add(1);
                var outcome = new Chan<string>(1);
                Go.Run(async () =>
                {
                    try
                    {
                        await group.WaitAsync();
                        outcome.TrySend($"Wait returned with the counter at {group.Count}");
                    }
                    catch (InvalidOperationException e) when (e is IRuntimeError)
                    {
                        outcome.TrySend(e.Message);
                    }
                });
                await SyncTest.WaitAsync(); // the waiter is parked in Wait
                group.Done();
                group.Add(1);
                string seen = await outcome.ReceiveAsync();
                group.Done();
                Assert.Equal("sync: WaitGroup is reused before previous Wait has returned", seen);
            },
            new ExplorationOptions { Iterations = 20 });
    }

    [Fact]
    public async Task WaitAsync_CanceledThenGroupReused_TheAbandonedWaitReportsNoMisuse()
    {
        // Once its caller gave up, reusing the group is legitimate: the runtime's helper still
        // waiting on it must not report Go's reuse panic.
        var group = new WaitGroup();
        long before = Go.NumGoroutine;
        await GoTest.RunAsync(async () =>
        {
            group.Add(1);
            using var cancellation = new CancellationTokenSource();
            ValueTask wait = group.WaitAsync(cancellation.Token);
            await cancellation.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await wait);

            group.Done();
            group.Add(1); // reused, while the abandoned helper may not have run yet
            group.Done();
            await group.WaitAsync();
            await GoTest.YieldUntilAsync(() => Go.NumGoroutine == before + 1, "the abandoned wait's helper to end");
        });

        Assert.Empty(Panics.TakeAll());
    }
}
