// Licensed under the MIT License.

using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Scheduling;
using Goroutines.Sync;
using Goroutines.Tests.TestSupport;

using Xunit;

using Mutex = Goroutines.Sync.Mutex;

namespace Goroutines.Tests.Sync;

public sealed class CondTests : RuntimeTest
{
    [Fact]
    public async Task Signal_ThreeWaiters_WakesOneAtATimeInArrivalOrderEachHoldingTheMutex()
    {
        var mu = new Mutex();
        var cond = new Cond(mu);
        var woken = new List<int>();
        var waiters = new Spawned[3];
        for (int i = 0; i < waiters.Length; i++)
        {
            int n = i;
            waiters[i] = await Spawned.ParkedAsync(
                async () =>
                {
                    await mu.LockAsync();
                    await cond.WaitAsync();
                    woken.Add(n); // guarded by the mutex, which WaitAsync locked again
                    mu.Unlock();
                },
                WaitReason.SyncCondWait);
        }

        for (int i = 0; i < waiters.Length; i++)
        {
            cond.Signal();
            await waiters[i].Completion.Within(what: $"waiter {i} after signal {i}");
            for (int later = i + 1; later < waiters.Length; later++)
            {
                Assert.True(waiters[later].IsParked(WaitReason.SyncCondWait), $"Signal {i} woke waiter {later} too.");
            }
        }

        Assert.Equal([0, 1, 2], woken);
    }

    [Fact]
    public async Task Broadcast_ManyWaiters_WakesEveryOne()
    {
        const int count = 20;
        var mu = new Mutex();
        var cond = new Cond(mu);
        bool ready = false;
        int released = 0;
        var group = new WaitGroup();
        await GoTest.RunAsync(async () =>
        {
            for (int i = 0; i < count; i++)
            {
                group.Go(async () =>
                {
                    await mu.LockAsync();
                    while (!ready)
                    {
                        await cond.WaitAsync();
                    }

                    released++;
                    mu.Unlock();
                });
            }

            await GoTest.YieldUntilAsync(() => group.Count == count, "every waiter to start");
            using (await mu.LockAsync())
            {
                ready = true;
            }

            cond.Broadcast();
            await group.WaitAsync();
        });

        Assert.Equal(count, released);
    }

    [Fact]
    public async Task WaitAsync_MutexNotHeld_ThrowsAndLeavesNoWaiterBehind()
    {
        using var capture = new PanicCapture();
        var mu = new Mutex();
        var cond = new Cond(mu);
        await Assert.ThrowsAsync<SynchronizationLockException>(async () => await cond.WaitAsync());

        // The failed wait must not swallow the next signal.
        Spawned waiter = await Spawned.ParkedAsync(
            async () =>
            {
                await mu.LockAsync();
                await cond.WaitAsync();
                mu.Unlock();
            },
            WaitReason.SyncCondWait);
        cond.Signal();
        await waiter.Completion.Within(what: "the waiter after the signal");
    }
}
