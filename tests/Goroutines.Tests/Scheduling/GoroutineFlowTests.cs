// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Scheduling;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Scheduling;

/// <summary>
/// A goroutine as one sequential flow made of several async flows: flows that yield in the same
/// step, flows that outlive their goroutine, pairs that ready each other, execution contexts.
/// </summary>
public sealed class GoroutineFlowTests : RuntimeTest
{
    [Fact]
    public async Task YieldAsync_TwoFlowsOfOneGoroutineYieldInTheSameStep_BothResume()
    {
        int resumed = 0;

        await GoTest.RunAsync(async () =>
        {
            async Task YieldOnce()
            {
                await Go.YieldAsync();
                Interlocked.Increment(ref resumed);
            }

            await Task.WhenAll(YieldOnce(), YieldOnce(), YieldOnce()).Within(what: "three flows that each yield once");
        });

        Assert.Equal(3, Volatile.Read(ref resumed));
    }

    [Fact]
    public async Task Post_TwoContinuationsPostedInOneStep_RunInPostOrder()
    {
        var order = new List<int>();
        await GoTest.RunAsync(async () =>
        {
            var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            async Task After(Task t, int n)
            {
                await t;
                order.Add(n);
            }

            Task a = After(first.Task, 1);
            Task b = After(second.Task, 2);
            first.SetResult(); // both continuations are posted to this goroutine by its own step
            second.SetResult();
            await Task.WhenAll(a, b).Within(what: "both flows");
        });

        Assert.Equal([1, 2], order);
    }

    [Fact]
    public async Task YieldAsync_AfterAContinuationWasPostedInTheSameStep_RunsAfterIt()
    {
        var order = new List<int>();
        await GoTest.RunAsync(async () =>
        {
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            async Task Waiter()
            {
                await gate.Task;
                order.Add(1);
            }

            Task waiter = Waiter();
            gate.SetResult(); // posted first
            await Go.YieldAsync(); // yields second
            order.Add(2);
            await waiter.Within(what: "the waiter");
        });

        Assert.Equal([1, 2], order);
    }

    [Fact]
    public async Task Post_GoroutineKeepsPostingToItself_WorkPostedFromOutsideStillRuns()
    {
        // A loop of Task.Yield posts the goroutine's continuation to itself at every step; the
        // continuation of a foreign await (posted from a timer thread) must still get its turn.
        bool done = false;

        await GoTest.RunAsync(async () =>
        {
            async Task SetAfterForeignAwait()
            {
                await Task.Delay(1); // not a wait: a continuation posted from a timer thread the runtime does not own
                Volatile.Write(ref done, true);
            }

            Task setter = SetAfterForeignAwait();
            while (!Volatile.Read(ref done))
            {
                await Task.Yield();
            }

            await setter;
        });

        Assert.True(Volatile.Read(ref done));
    }

    [Fact]
    public async Task Post_NestedAsyncMethodCompletesLater_CallerResumesOnTheSameGoroutine()
    {
        await GoTest.RunAsync(async () =>
        {
            Goroutine self = Goroutine.Running!;
            var gate = new Goroutines.Channels.Chan<int>();
            Go.Run(async () => await gate.SendAsync(7));

            async ValueTask<int> ReceiveTwice() => await gate.ReceiveAsync() + await Task.Run(() => 1);

            for (int i = 0; i < 3; i++)
            {
                int got = await ReceiveTwice(); // completes later, posting this continuation to the goroutine
                Assert.Same(self, Goroutine.Running);
                Assert.Equal(8, got);
                if (i < 2)
                {
                    Go.Run(async () => await gate.SendAsync(7));
                }
            }
        });
    }

    [Fact]
    public async Task YieldAsync_FlowYieldsInTheStepItsGoroutineReturns_ResumesAsOrphanOfThatGoroutine()
    {
        long parent = 0;
        var resumed = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);

        async Task Straggler()
        {
            await Go.YieldAsync();
            resumed.SetResult(Goroutine.Running?.ParentId ?? -1);
        }

        await GoTest.RunAsync(() =>
        {
            parent = Go.CurrentGoroutineId;
            _ = Straggler(); // not awaited: the goroutine returns in the step in which it yielded
            return Task.CompletedTask;
        });

        Assert.Equal(parent, await resumed.Task.Within(what: "the straggling flow"));
    }

    [Fact]
    public async Task Ready_WaiterOfAFlowThatOutlivedItsGoroutine_ResumesAsOrphanNotInAReusedGoroutine()
    {
        SignalWaiter waiter = SignalWaiter.Rent();
        long parent = 0;
        using var parked = new ManualResetEventSlim();
        var resumed = new TaskCompletionSource<(long Id, long Parent)>(TaskCreationOptions.RunContinuationsAsynchronously);

        async Task Straggler()
        {
            ValueTask park = waiter.ParkAsync(WaitReason.Parked);
            parked.Set();
            await park;
            resumed.SetResult((Go.CurrentGoroutineId, Goroutine.Running?.ParentId ?? -1));
        }

        await GoTest.RunAsync(() =>
        {
            parent = Go.CurrentGoroutineId;
            _ = Straggler();
            return Task.CompletedTask;
        });

        GoTest.WaitFor(parked, "the straggler to park");

        // Let goroutine objects be reused meanwhile; none of them may receive the continuation.
        for (int i = 0; i < 100; i++)
        {
            await GoTest.RunAsync(() => Task.CompletedTask);
        }

        waiter.Ready();
        (long id, long orphanParent) = await resumed.Task.Within(what: "the straggler's continuation");
        Assert.NotEqual(parent, id);
        Assert.Equal(parent, orphanParent);
    }

    [Fact]
    public async Task Ready_PairReadyingEachOtherThroughRunNext_DoesNotStarveTheirProcessor()
    {
        // Two goroutines hand a token back and forth through runNext, inheriting one time slice;
        // a goroutine queued behind them must still run once sysmon sees the slice expire.
        Settings.SetMaxProcs(1);
        bool stop = false;
        var otherRan = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        SignalWaiter? toA = null;
        SignalWaiter? toB = null;
        using var bothParked = new CountdownEvent(2);

        async Task Bounce(Func<SignalWaiter?> mine, Action<SignalWaiter> setMine, Func<SignalWaiter?> theirs)
        {
            bool first = true;
            while (!Volatile.Read(ref stop))
            {
                SignalWaiter w = SignalWaiter.Rent();
                setMine(w);
                ValueTask park = w.ParkAsync(WaitReason.Parked);
                if (first)
                {
                    first = false;
                    bothParked.Signal();
                }

                if (theirs() is { } other)
                {
                    other.Ready();
                }

                await park;
            }
        }

        Task a = GoTest.Start(() => Bounce(() => Volatile.Read(ref toA), w => Volatile.Write(ref toA, w), () => Interlocked.Exchange(ref toB, null)));
        Task b = GoTest.Start(() => Bounce(() => Volatile.Read(ref toB), w => Volatile.Write(ref toB, w), () => Interlocked.Exchange(ref toA, null)));
        Assert.True(bothParked.Wait(TestTimeouts.Default), "both partners to start");

        Go.Run(() => otherRan.SetResult()); // from outside: the global queue
        await otherRan.Task.Within(what: "a goroutine queued behind a ping-pong pair");

        // A partner may park after a release went by: release whatever is parked until both ended.
        Volatile.Write(ref stop, true);
        Task pair = Task.WhenAll(a, b);
        bool ended = Poll.Until(
            () =>
            {
                Interlocked.Exchange(ref toA, null)?.Ready();
                Interlocked.Exchange(ref toB, null)?.Ready();
                return pair.IsCompleted;
            },
            TestTimeouts.Default);
        Assert.True(ended, "The ping-pong pair did not stop.");
        await pair;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_BodyEndsOffTheRuntimeWhileAnotherFlowOfItParksOnAChannel_GoroutineExits(bool inALaterStep)
    {
        // The step ends with a park reason (the other flow's channel receive), but the root itself
        // left the runtime: its end must still be seen.
        long before = Go.NumGoroutine;
        var never = new Chan<int>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Goroutine g = await StartLeavingBesideAParkedFlowAsync(never, gate.Task, () => finished.SetResult(), inALaterStep);

        gate.SetResult();
        await finished.Task.Within(what: "the body");

        bool exited = Poll.Until(() => g.HasExited, TestTimeouts.Default);
        string state = $"{g.Status} ({g.WaitReason})";
        never.Close(); // wakes the other flow, whose step would see the end: after the evidence is taken
        Assert.True(exited, $"The body returned, yet the goroutine did not exit: {state}.");
        Assert.True(Poll.Until(() => Go.NumGoroutine == before, TestTimeouts.Default), $"NumGoroutine stayed at {Go.NumGoroutine}, expected {before}.");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_BodyThrowsOffTheRuntimeWhileAnotherFlowOfItParksOnAChannel_PanicReportedWithoutWaitingForThatFlow(bool inALaterStep)
    {
        var never = new Chan<int>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Goroutine g = await StartLeavingBesideAParkedFlowAsync(never, gate.Task, () => throw new InvalidOperationException("boom"), inALaterStep);

        gate.SetResult();

        bool reported = Poll.Until(() => Panics.Captured.Count > 0, TestTimeouts.Default);
        string state = $"{g.Status} ({g.WaitReason})";
        never.Close(); // wakes the other flow: after the evidence is taken
        await Panics.WaitForAsync(1);
        GoroutinePanic panic = Assert.Single(Panics.TakeAll());
        Assert.True(reported, $"The body's exception was reported only once the other flow woke: goroutine {state}.");
        Assert.IsType<InvalidOperationException>(panic.Exception);
    }

    [Fact]
    public async Task Run_AsyncLocalOfTheSpawner_FlowsIntoTheGoroutineAndDoesNotLeakOut()
    {
        var local = new AsyncLocal<string?>();
        local.Value = "spawner";
        string? seenInside = null;
        string? seenByNext = "unset";

        await GoTest.RunAsync(async () =>
        {
            seenInside = local.Value;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (ExecutionContext.SuppressFlow())
            {
                // Two synchronous goroutines on this processor: the first sets the value, the second
                // (spawned without flow) must not see it on the same thread.
                Go.Run(() => local.Value = "leaked");
                Go.Run(() =>
                {
                    seenByNext = local.Value;
                    done.SetResult();
                });
            }

            await done.Task.Within(what: "the second goroutine");
        });

        Assert.Equal("spawner", seenInside);
        Assert.Null(seenByNext);
    }

    // Spawns a goroutine whose body (in its first step, or after a yield in a later one: the root
    // task is known then) starts a second flow that parks receiving from never, then leaves the
    // runtime (awaits gate with ConfigureAwait(false)) and ends with end; returns the goroutine
    // once it parked.
    private static async Task<Goroutine> StartLeavingBesideAParkedFlowAsync(Chan<int> never, Task gate, Action end, bool inALaterStep)
    {
        var started = new TaskCompletionSource<Goroutine>(TaskCreationOptions.RunContinuationsAsynchronously);
        Go.Run(async () =>
        {
            if (inALaterStep)
            {
                await Go.YieldAsync();
            }

            started.SetResult(Goroutine.Running!);
            _ = ReceiveOnceAsync(never);
#pragma warning disable GOR002 // Leaving the goroutine is the point: its end must still be seen.
            await gate.ConfigureAwait(false);
#pragma warning restore GOR002
            end();
        });

        Goroutine g = await started.Task.Within();
        Assert.True(Poll.Until(() => g.Status == GoroutineStatus.Waiting, TestTimeouts.Default), "The goroutine never parked.");
        return g;
    }

    private static async Task ReceiveOnceAsync(Chan<int> channel) => _ = await channel.ReceiveWithOkAsync();
}
