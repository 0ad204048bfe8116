// Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Contexts;
using Goroutines.Scheduling;
using Goroutines.Sync;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Sync;

public sealed class WeightedSemaphoreTests : RuntimeTest
{
    [Fact]
    public void TryAcquire_WithinAndBeyondTheSize_SucceedsThenFails()
    {
        var semaphore = new WeightedSemaphore(10);
        Assert.True(semaphore.TryAcquire(7));
        Assert.False(semaphore.TryAcquire(4));
        Assert.True(semaphore.TryAcquire(3));
        semaphore.Release(10);
        Assert.True(semaphore.TryAcquire(10));
        semaphore.Release(10);
    }

    [Fact]
    public async Task AcquireAsync_LargeWaiterAtTheHead_IsNotOvertakenBySmallerOnes()
    {
        var semaphore = new WeightedSemaphore(10);
        Assert.True(semaphore.TryAcquire(8));
        Spawned large = await Spawned.ParkedAsync(async () => await semaphore.AcquireAsync(5), WaitReason.SyncSemaphoreAcquire);

        // Two units are free, but the large waiter came first: the small one queues behind it.
        Assert.False(semaphore.TryAcquire(1));
        Spawned small = await Spawned.ParkedAsync(async () => await semaphore.AcquireAsync(1), WaitReason.SyncSemaphoreAcquire);

        semaphore.Release(3); // five free: enough for the large waiter, which takes them all
        await large.Completion.Within(what: "the large waiter");
        Assert.True(small.IsParked(WaitReason.SyncSemaphoreAcquire), "The small waiter was granted out of order.");

        semaphore.Release(5); // the large waiter's weight, released on its behalf
        await small.Completion.Within(what: "the small waiter");
        semaphore.Release(6); // the five left of the first eight, and the small waiter's one
        Assert.True(semaphore.TryAcquire(10), "Weight leaked.");
        semaphore.Release(10);
    }

    [Fact]
    public async Task AcquireAsync_ManyGoroutinesOfMixedWeights_NeverHoldMoreThanTheSize()
    {
        const int size = 3;
        const int goroutines = 20;
        const int rounds = 200;
        var semaphore = new WeightedSemaphore(size);
        var group = new WaitGroup();
        long held = 0;
        int violations = 0;
        await GoTest.RunAsync(async () =>
        {
            for (int g = 0; g < goroutines; g++)
            {
                long weight = (g % size) + 1;
                group.Go(async () =>
                {
                    for (int i = 0; i < rounds; i++)
                    {
                        await semaphore.AcquireAsync(weight);
                        if (Interlocked.Add(ref held, weight) > size)
                        {
                            Interlocked.Increment(ref violations);
                        }

                        await Go.YieldAsync();
                        Interlocked.Add(ref held, -weight);
                        semaphore.Release(weight);
                    }
                });
            }

            await group.WaitAsync();
        });

        Assert.Equal(0, violations);
        Assert.True(semaphore.TryAcquire(size), "Weight leaked.");
        semaphore.Release(size);
    }

    [Fact]
    public void Release_MoreThanHeld_ThrowsGoPanicMessage()
    {
        var semaphore = new WeightedSemaphore(5);
        Assert.True(semaphore.TryAcquire(2));
        var error = Assert.Throws<SynchronizationLockException>(() => semaphore.Release(3));
        Assert.Equal("semaphore: released more than held", error.Message);
        semaphore.Release(2);
    }

    [Fact]
    public async Task AcquireAsync_MoreThanTheSize_ThrowsBecauseItCouldNeverBeGranted()
    {
        var semaphore = new WeightedSemaphore(5);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await semaphore.AcquireAsync(6));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WeightedSemaphore(-1));
    }

    [Fact]
    public async Task AcquireAsyncWithContext_ContextAlreadyDone_FailsEvenThoughTheWeightIsFree()
    {
        var semaphore = new WeightedSemaphore(10);
        var (ctx, cancel) = Context.WithCancelCause(Context.Background);
        var cause = new InvalidOperationException("request aborted");
        cancel(cause);

        var error = await Assert.ThrowsAsync<ContextCanceledException>(async () => await semaphore.AcquireAsync(ctx, 1));

        Assert.Same(Context.Canceled, error.Err);
        Assert.Same(cause, error.Cause);
        Assert.Throws<ContextCanceledException>(() => semaphore.Acquire(ctx, 1));
        Assert.True(semaphore.TryAcquire(10), "A failed acquisition changed the semaphore.");
        semaphore.Release(10);
    }

    [Fact]
    public async Task AcquireAsyncWithContext_WeightFree_AcquiresAtOnce()
    {
        var semaphore = new WeightedSemaphore(3);
        var (ctx, cancel) = Context.WithCancel(Context.Background);
        ValueTask acquire = semaphore.AcquireAsync(ctx, 2);
        Assert.True(acquire.IsCompletedSuccessfully);
        await acquire;
        semaphore.Acquire(Context.Background, 1);
        Assert.False(semaphore.TryAcquire(1));
        semaphore.Release(3);
        cancel();
    }

    [Fact]
    public async Task AcquireAsyncWithContext_Granted_ReturnsHoldingTheWeight()
    {
        var semaphore = new WeightedSemaphore(2);
        var (ctx, cancel) = Context.WithCancel(Context.Background);
        Assert.True(semaphore.TryAcquire(2));
        Spawned waiter = await Spawned.ParkedAsync(async () => await semaphore.AcquireAsync(ctx, 2), WaitReason.Select);

        semaphore.Release(2);

        await waiter.Completion.Within(what: "the granted waiter");
        Assert.False(semaphore.TryAcquire(1), "The waiter returned without holding its weight.");
        semaphore.Release(2);
        cancel();
    }

    [Fact]
    public async Task AcquireAsyncWithContext_CanceledWhileWaiting_WithdrawsTheWaiterAndFails()
    {
        var semaphore = new WeightedSemaphore(2);
        Assert.True(semaphore.TryAcquire(2));
        var (ctx, cancel) = Context.WithCancel(Context.Background);
        Spawned waiter = await Spawned.ParkedAsync(async () => await semaphore.AcquireAsync(ctx, 1), WaitReason.Select);

        cancel();

        var error = await Assert.ThrowsAsync<ContextCanceledException>(() => waiter.Completion.Within(what: "the canceled waiter"));
        Assert.Same(Context.Canceled, error.Err);
        semaphore.Release(2);
        Assert.True(semaphore.TryAcquire(2), "The withdrawn waiter was left in the queue or granted weight.");
        semaphore.Release(2);
    }

    [Fact]
    public async Task AcquireAsyncWithContext_HeadWaiterWithdrawn_GrantsTheWaitersBehindThatNowFit()
    {
        var semaphore = new WeightedSemaphore(10);
        Assert.True(semaphore.TryAcquire(8));
        var (ctx, cancel) = Context.WithCancel(Context.Background);
        Spawned large = await Spawned.ParkedAsync(async () => await semaphore.AcquireAsync(ctx, 5), WaitReason.Select);
        Spawned small = await Spawned.ParkedAsync(async () => await semaphore.AcquireAsync(2), WaitReason.SyncSemaphoreAcquire);

        cancel(); // the large waiter leaves the head; two units are free for the small one

        await Assert.ThrowsAsync<ContextCanceledException>(() => large.Completion.Within(what: "the withdrawn large waiter"));
        await small.Completion.Within(what: "the small waiter behind it");
        semaphore.Release(10);
        Assert.True(semaphore.TryAcquire(10), "Weight leaked.");
        semaphore.Release(10);
    }

    [Fact]
    public async Task AcquireAsyncWithContext_WeightLargerThanSize_WaitsForTheContextWithoutHoldingOthersUp()
    {
        var semaphore = new WeightedSemaphore(2);
        var (ctx, cancel) = Context.WithCancel(Context.Background);
        Spawned doomed = await Spawned.ParkedAsync(async () => await semaphore.AcquireAsync(ctx, 3), WaitReason.ChanReceive);

        Assert.True(semaphore.TryAcquire(2), "A request that can never be granted was queued ahead of others.");
        semaphore.Release(2);
        cancel();

        await Assert.ThrowsAsync<ContextCanceledException>(() => doomed.Completion.Within(what: "the oversized request"));
    }

    [Fact]
    public async Task AcquireAsyncWithContext_GrantRacingCancel_NeverLeaksWeight()
    {
        const int iterations = 1_000;
        Settings.SetMaxProcs(Math.Max(2, Go.MaxProcs));
        var semaphore = new WeightedSemaphore(1);
        int acquired = 0;
        await GoTest.RunAsync(async () =>
        {
            for (int i = 0; i < iterations; i++)
            {
                Assert.True(semaphore.TryAcquire(1));
                var (ctx, cancel) = Context.WithCancel(Context.Background);
                var outcome = new Chan<bool>(1);
                Go.Run(async () =>
                {
                    try
                    {
                        await semaphore.AcquireAsync(ctx, 1);
                        await outcome.SendAsync(true);
                    }
                    catch (ContextCanceledException)
                    {
                        await outcome.SendAsync(false);
                    }
                });
                // A weight of 0 always fits, so TryAcquire(0) fails exactly while someone is queued.
                await GoTest.YieldUntilAsync(() => !semaphore.TryAcquire(0), "the waiter to queue");
                await Together.RunAsync(
                    () => semaphore.Release(1),
                    () => cancel());

                if (await outcome.ReceiveAsync())
                {
                    acquired++;
                    semaphore.Release(1);
                }

                Assert.True(semaphore.TryAcquire(1), $"Iteration {i}: weight leaked.");
                semaphore.Release(1);
            }
        });

        Assert.InRange(acquired, 0, iterations);
    }

    [Fact]
    public async Task AcquireWithContext_FromPlainThread_FailsWhenCanceled()
    {
        var semaphore = new WeightedSemaphore(1);
        Assert.True(semaphore.TryAcquire(1));
        var (ctx, cancel) = Context.WithCancel(Context.Background);
        PlainThread thread = PlainThread.Start(() => semaphore.Acquire(ctx, 1));
        thread.WaitUntilBlocked("Acquire with a context");

        cancel();

        await Assert.ThrowsAsync<ContextCanceledException>(() => thread.Completion.Within(what: "the blocked acquisition"));
        semaphore.Release(1);
    }

    [Fact]
    public async Task AcquireAsyncWithContext_InvalidArguments_Throw()
    {
        var semaphore = new WeightedSemaphore(1);
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await semaphore.AcquireAsync(null!, 1));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await semaphore.AcquireAsync(Context.Background, -1));
    }
}
