// Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Tasks;

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
}
