// Licensed under the MIT License.

using System;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Contexts;
using Goroutines.Diagnostics;
using Goroutines.Sync;
using Goroutines.Testing;
using Goroutines.Tests.TestSupport;
using Goroutines.Time;

using Xunit;

using Timer = Goroutines.Time.Timer;

namespace Goroutines.Tests.Testing;

public sealed class SyncTestTests : RuntimeTest
{
    private static readonly DateTimeOffset Epoch = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task RunAsync_Sleep_AdvancesTheBubbleClockAtOnceAndExactly()
    {
        DateTimeOffset before = default, after = default;
        TimeSpan slept = default;

        await SyncTest.RunAsync(async () =>
        {
            before = Clock.Provider.GetUtcNow();
            Instant start = Clock.Now();
            await Clock.SleepAsync(TimeSpan.FromHours(5));
            slept = Clock.Since(start);
            after = Clock.Provider.GetUtcNow();
        }).WaitAsync(TestTimeouts.Default);

        Assert.Equal(Epoch, before);
        Assert.Equal(TimeSpan.FromHours(5), slept);
        Assert.Equal(Epoch + TimeSpan.FromHours(5), after);
    }

    [Fact]
    public async Task RunAsync_TickerAndTimer_FireInDeadlineOrderOnTheBubbleClock()
    {
        var fired = new System.Collections.Generic.List<string>();

        await SyncTest.RunAsync(async () =>
        {
            using var ticker = new Ticker(TimeSpan.FromSeconds(2));
            var timer = new Timer(TimeSpan.FromSeconds(5));
            Instant start = Clock.Now();
            for (int i = 0; i < 3; i++)
            {
                var select = new Select().Receive(ticker.C).Receive(timer.C);
                int chosen = await select.WaitAsync();
                fired.Add($"{(chosen == 0 ? "tick" : "timer")}@{Clock.Since(start).TotalSeconds}");
            }
        }).WaitAsync(TestTimeouts.Default);

        Assert.Equal(["tick@2", "tick@4", "timer@5"], fired);
    }

    [Fact]
    public async Task RunAsync_ContextWithTimeout_ExpiresAtItsDeadlineOnTheBubbleClock()
    {
        TimeSpan waited = default;
        Exception? error = null;

        await SyncTest.RunAsync(async () =>
        {
            (Context ctx, CancelFunc cancel) = Context.WithTimeout(Context.Background, TimeSpan.FromMinutes(3));
            Instant start = Clock.Now();
            await ctx.Done.ReceiveAsync();
            waited = Clock.Since(start);
            error = ctx.Err;
            cancel();
        }).WaitAsync(TestTimeouts.Default);

        Assert.Equal(TimeSpan.FromMinutes(3), waited);
        Assert.IsType<DeadlineExceededException>(error);
    }

    [Fact]
    public async Task WaitAsync_ReturnsOnceEveryOtherGoroutineIsDurablyBlocked()
    {
        int progress = 0;

        await SyncTest.RunAsync(async () =>
        {
            var gate = new Chan<int>();
            Go.Run(async () =>
            {
                for (int i = 0; i < 1000; i++)
                {
                    await Go.YieldAsync();
                }

                progress = 1;
                await gate.ReceiveAsync(); // durably blocked from here
                progress = 2;
            });

            await SyncTest.WaitAsync();
            Assert.Equal(1, progress);
            await gate.SendAsync(0);
            await SyncTest.WaitAsync();
            Assert.Equal(2, progress);
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task WaitAsync_GoroutineReceivingFromAnOutsideChannel_IsNotDurablyBlocked()
    {
        var outside = new Chan<int>();
        int received = 0;

        Task bubble = SyncTest.RunAsync(async () =>
        {
            Go.Run(async () => received = await outside.ReceiveAsync());
            await SyncTest.WaitAsync(); // waits for the goroutine: a channel from outside is not the bubble's to wake
            Assert.Equal(42, received);
        });
        await outside.SendAsync(42);

        await bubble.WaitAsync(TestTimeouts.Default);
        Assert.Equal(42, received);
    }

    [Fact]
    public async Task RunAsync_ReceiveOnAnOutsideChannelCompletedBeforeItsAwait_LeavesTheNextSleepDurable()
    {
        // The receive queues a waiter on an outside channel but never parks (a send completes it
        // first): the park that follows, a sleep, is durable, so the clock jumps.
        var outside = new Chan<int>();
        bool sameStep = false;
        TimeSpan slept = TimeSpan.MinValue;

        for (int attempt = 0; attempt < 5 && !sameStep; attempt++)
        {
            await SyncTest.RunAsync(async () =>
            {
                ValueTask<int> pending = outside.ReceiveAsync();
                if (!outside.TrySend(7))
                {
                    // Asked to yield at the receive's safe point (a first, JIT-slow step): the receive
                    // queues in a later step, which is not the case under test. Finish and try again.
                    await outside.SendAsync(7);
                    await pending;
                    return;
                }

                sameStep = true;
                Assert.Equal(7, await pending);
                Instant start = Clock.Now();
                await Clock.SleepAsync(TimeSpan.FromSeconds(1));
                slept = Clock.Since(start);
            }).WaitAsync(TestTimeouts.Default);
        }

        Assert.True(sameStep, "Every attempt was asked to yield before its receive queued.");
        Assert.Equal(TimeSpan.FromSeconds(1), slept);
    }

    [Fact]
    public async Task RunAsync_ForeignAwait_DoesNotLetTimeAdvance()
    {
        bool sleeperWoke = false;
        TimeSpan elapsedDuringForeignAwait = TimeSpan.MaxValue;

        await SyncTest.RunAsync(async () =>
        {
            Instant start = Clock.Now();
            Go.Run(async () =>
            {
                await Clock.SleepAsync(TimeSpan.FromSeconds(1));
                sleeperWoke = true;
            });
            await Task.Delay(20); // a .NET task: the body is not durably blocked, so the bubble's time stands still
            elapsedDuringForeignAwait = Clock.Since(start);
            Assert.False(sleeperWoke, "The bubble's clock moved while a goroutine awaited a foreign task.");
        }).WaitAsync(TestTimeouts.Default);

        Assert.Equal(TimeSpan.Zero, elapsedDuringForeignAwait);
        Assert.True(sleeperWoke, "The sleeper did not finish after the body returned.");
    }

    [Fact]
    public async Task RunAsync_BodyReturnsWhileGoroutinesSleep_WaitsForThemAsTimeAdvances()
    {
        int done = 0;

        await SyncTest.RunAsync(() =>
        {
            for (int i = 1; i <= 3; i++)
            {
                TimeSpan delay = TimeSpan.FromDays(i);
                Go.Run(async () =>
                {
                    await Clock.SleepAsync(delay);
                    System.Threading.Interlocked.Increment(ref done);
                });
            }

            return Task.CompletedTask;
        }).WaitAsync(TestTimeouts.Default);

        Assert.Equal(3, done);
    }

    [Fact]
    public async Task RunAsync_EveryGoroutineBlockedWithNoTimer_FailsWithTheDeadlockAndTheDump()
    {
        ExpectParkedForever(1);

        DeadlockException error = await Assert.ThrowsAsync<DeadlockException>(
            () => SyncTest.RunAsync(async () => await new Chan<int>().ReceiveAsync()).WaitAsync(TestTimeouts.Default));

        Assert.Equal("deadlock: all goroutines in bubble are blocked", error.Message);
        Assert.Contains("[chan receive]", error.Dump, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_BodyReturnsLeavingAGoroutineBlockedForever_FailsWithItsDump()
    {
        ExpectParkedForever(1);

        GoroutineLeakException error = await Assert.ThrowsAsync<GoroutineLeakException>(() => SyncTest.RunAsync(() =>
        {
            var never = new Chan<int>();
            Go.Run(async () => await never.SendAsync(1));
            return Task.CompletedTask;
        }).WaitAsync(TestTimeouts.Default));

        GoroutineInfo left = Assert.Single(error.Goroutines);
        Assert.Equal("chan send", left.WaitReason);
    }

    [Fact]
    public async Task RunAsync_GoroutinePanics_FailsWithItsException()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => SyncTest.RunAsync(async () =>
        {
            var done = new Chan<int>();
            Go.Run(async () =>
            {
                await Clock.SleepAsync(TimeSpan.FromSeconds(1));
                throw new InvalidOperationException("boom in a bubble");
            });
            await done.ReceiveAsync();
        }).WaitAsync(TestTimeouts.Default));

        Assert.Equal("boom in a bubble", error.Message);
        ExpectParkedForever(1); // the body, left waiting on a channel nobody else holds
    }

    [Fact]
    public async Task ChannelOfABubble_UsedFromOutside_Throws()
    {
        Chan<int> inside = default;
        await SyncTest.RunAsync(() =>
        {
            inside = new Chan<int>(1);
            return Task.CompletedTask;
        }).WaitAsync(TestTimeouts.Default);

        var error = Assert.Throws<InvalidOperationException>(() => inside.TrySend(1));
        Assert.Contains("outside", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SynchronousWait_InsideABubble_ThrowsNotSupported()
    {
        var error = await Assert.ThrowsAsync<NotSupportedException>(() => SyncTest.RunAsync(() =>
        {
            Clock.Sleep(TimeSpan.FromSeconds(1));
            return Task.CompletedTask;
        }).WaitAsync(TestTimeouts.Default));

        Assert.Contains("SleepAsync", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WaitAsync_OutsideABubble_Throws()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await SyncTest.WaitAsync());
    }

    [Fact]
    public async Task MutexHeldAcrossASleep_LetsTimeAdvance()
    {
        TimeSpan waited = default;

        await SyncTest.RunAsync(async () =>
        {
            var mu = new Mutex();
            var wg = new WaitGroup();
            Instant start = Clock.Now();
            wg.Add(2);
            Go.Run(async () =>
            {
                using (await mu.LockAsync())
                {
                    await Clock.SleepAsync(TimeSpan.FromSeconds(10));
                }

                wg.Done();
            });
            Go.Run(async () =>
            {
                await Clock.SleepAsync(TimeSpan.FromSeconds(1));
                using (await mu.LockAsync())
                {
                    waited = Clock.Since(start);
                }

                wg.Done();
            });
            await wg.WaitAsync();
        }).WaitAsync(TestTimeouts.Default);

        Assert.Equal(TimeSpan.FromSeconds(10), waited);
    }

    [Fact]
    public async Task TwoBubbles_RunAtOnce_EachOnItsOwnClock()
    {
        TimeSpan first = default, second = default;

        Task a = SyncTest.RunAsync(async () =>
        {
            Instant start = Clock.Now();
            for (int i = 0; i < 100; i++)
            {
                await Clock.SleepAsync(TimeSpan.FromSeconds(1));
            }

            first = Clock.Since(start);
        });
        Task b = SyncTest.RunAsync(async () =>
        {
            Instant start = Clock.Now();
            for (int i = 0; i < 100; i++)
            {
                await Clock.SleepAsync(TimeSpan.FromMinutes(1));
            }

            second = Clock.Since(start);
        });
        await Task.WhenAll(a, b).WaitAsync(TestTimeouts.Default);

        Assert.Equal(TimeSpan.FromSeconds(100), first);
        Assert.Equal(TimeSpan.FromMinutes(100), second);
    }
}
