// Licensed under the MIT License.

using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Scheduling;
using Goroutines.Sync;
using Goroutines.Testing;
using Goroutines.Tests.TestSupport;
using Goroutines.Time;

using Xunit;

using Mutex = Goroutines.Sync.Mutex;

namespace Goroutines.Tests.Sync;

public sealed class MutexTests : RuntimeTest
{
    [Fact]
    public async Task LockAsync_Free_CompletesAtOnceAndTryLockFailsUntilUnlock()
    {
        var mu = new Mutex();
        await GoTest.RunAsync(async () =>
        {
            ValueTask<MutexScope> locking = mu.LockAsync();
            Assert.True(locking.IsCompletedSuccessfully);
            await locking;
            Assert.False(mu.TryLock());
            mu.Unlock();
            Assert.True(mu.TryLock());
            mu.Unlock();
        });
    }

    [Fact]
    public async Task LockAsync_Held_ParksWithReasonUntilUnlock()
    {
        var mu = new Mutex();
        Assert.True(mu.TryLock());
        Spawned waiter = await Spawned.ParkedAsync(
            async () =>
            {
                using (await mu.LockAsync())
                {
                }
            },
            WaitReason.SyncMutexLock);

        mu.Unlock();
        await waiter.Completion.Within(what: "the waiter after the unlock");
        Assert.True(mu.TryLock(), "The waiter's using block did not unlock the mutex.");
        mu.Unlock();
    }

    [Fact]
    public async Task LockAsync_EightGoroutinesIncrementing_ExcludeEachOther()
    {
        const int goroutines = 8;
        const int increments = 20_000;
        var mu = new Mutex();
        var group = new WaitGroup();
        long counter = 0;
        int inside = 0;
        int overlaps = 0;
        await GoTest.RunAsync(async () =>
        {
            for (int g = 0; g < goroutines; g++)
            {
                group.Go(async () =>
                {
                    for (int i = 0; i < increments; i++)
                    {
                        using (await mu.LockAsync())
                        {
                            if (Interlocked.Increment(ref inside) != 1)
                            {
                                Interlocked.Increment(ref overlaps);
                            }

                            counter++; // deliberately not atomic: the mutex is what protects it
                            Interlocked.Decrement(ref inside);
                        }
                    }
                });
            }

            await group.WaitAsync();
        });

        Assert.Equal(0, overlaps);
        Assert.Equal((long)goroutines * increments, counter);
    }

    [Fact]
    public async Task Unlock_WaiterWaitedOverOneMillisecond_HandsTheLockOverInsteadOfLettingANewcomerTakeIt()
    {
        // Go's starvation mode, step by step on one processor (so nothing runs behind our back), in
        // a bubble, whose clock measures the waits: a waiter that waited over 1 ms and then lost the
        // lock to a newcomer switches the mutex to starvation mode; the next unlock hands it the
        // lock, and a newcomer's TryLock fails.
        Settings.SetMaxProcs(1);
        var order = new EventOrder();
        await SyncTest.RunAsync(async () =>
        {
            var mu = new Mutex();
            await mu.LockAsync();
            Goroutine? waiterGoroutine = null;
            var waiter = new WaitGroup();
            waiter.Go(async () =>
            {
                waiterGoroutine = Goroutine.Running;
                order.Expect(2);
                await mu.LockAsync();
                order.Expect(4);
                mu.Unlock();
            });

            order.Expect(1);
            await SyncTest.WaitAsync();
            Assert.True(IsParkedOnMutex(waiterGoroutine), "The waiter did not park on the mutex.");

            // The condition under test is time itself: the waiter must have waited over 1 ms.
            await Clock.SleepAsync(TimeSpan.FromMilliseconds(2));

            mu.Unlock();               // normal mode: wakes the waiter, which must compete...
            Assert.True(mu.TryLock()); // ...and a running newcomer wins
            Assert.Equal(GoroutineStatus.Runnable, waiterGoroutine!.Status);
            await SyncTest.WaitAsync();
            Assert.True(IsParkedOnMutex(waiterGoroutine), "The woken waiter did not find the mutex held and park again.");
            order.Expect(3);           // it switched the mutex to starvation mode and queued first

            mu.Unlock();                // starvation mode: handed to the waiter
            Assert.False(mu.TryLock()); // a newcomer cannot take it
            await waiter.WaitAsync();
            order.Finish(5);

            Assert.True(mu.TryLock(), "The mutex did not leave starvation mode after its last waiter.");
            mu.Unlock();
        }).WaitAsync(TestTimeouts.Default);
    }

    private static bool IsParkedOnMutex(Goroutine? g) =>
        g is { Status: GoroutineStatus.Waiting, WaitReason: WaitReason.SyncMutexLock };

    [Fact]
    public void Unlock_Unlocked_ReportsGoFatalErrorAndThrows()
    {
        using var capture = new PanicCapture();
        var mu = new Mutex();
        var error = Assert.Throws<SynchronizationLockException>(mu.Unlock);
        Assert.Equal("sync: unlock of unlocked mutex", error.Message);
        GoroutinePanic fatal = Assert.Single(capture.Captured);
        Assert.True(fatal.IsFatal);
        Assert.Equal("fatal error: sync: unlock of unlocked mutex", fatal.Message);
        Assert.True(mu.TryLock(), "The failed unlock left the mutex in a broken state.");
        mu.Unlock();
    }

    [Fact]
    public void Unlock_MisuseRacingWithACorrectLocker_NeverStrandsIt()
    {
        // A thread that keeps unlocking an unlocked mutex (its errors go to a handler, so the
        // program goes on) must not corrupt the state seen by a thread that uses it correctly.
        var mu = new Mutex();
        MisuseRace.AssertCorrectUserFinishes(
            misuse: mu.Unlock,
            correctRound: () =>
            {
                try
                {
                    mu.Lock();
                    mu.Unlock();
                }
                catch (SynchronizationLockException)
                {
                    // the misuser unlocked our hold first: that is its misuse, not a hang
                }
            },
            rounds: 200_000,
            what: "locker");
        Assert.True(mu.TryLock(), "The mutex was left in a broken state.");
        mu.Unlock();
    }

    [Fact]
    public async Task Lock_ThreadsBlockedAndWoken_EveryWakeIsCountedUntilItsThreadRuns()
    {
        // The count of readied blocked threads decides whether a yielding goroutine gives its core
        // away (Scheduler.Loop): a wake it kept would make every later yield a sched_yield.
        const int rounds = 500;
        var mu = new Mutex();
        long counter = 0;
        Thread thread = StartLockingThread(mu, rounds, () => counter++);
        await GoTest.RunAsync(async () =>
        {
            var lockers = new WaitGroup();
            for (int g = 0; g < 4; g++)
            {
                lockers.Go(async () =>
                {
                    for (int i = 0; i < rounds; i++)
                    {
#pragma warning disable GOR003 // the blocking form is the subject: it blocks the goroutine's thread in a region
                        using (mu.Lock())
#pragma warning restore GOR003
                        {
                            counter++;
                            await Go.YieldAsync(); // held across a yield, so that others block
                        }
                    }
                });
            }

            await lockers.WaitAsync();
        });
        Assert.True(thread.Join(TestTimeouts.Default), "The plain thread did not finish.");
        Assert.Equal(5L * rounds, counter);
        Assert.Equal(0, Scheduler.Instance.BlockedThreadsWoken);
    }

    [Fact]
    public async Task Lock_FromPlainThreads_ExcludeGoroutines()
    {
        const int rounds = 2_000;
        var mu = new Mutex();
        long counter = 0;
        Thread thread = StartLockingThread(mu, rounds, () => counter++);
        await GoTest.RunAsync(async () =>
        {
            for (int i = 0; i < rounds; i++)
            {
                using (await mu.LockAsync())
                {
                    counter++;
                }
            }
        });
        Assert.True(thread.Join(TestTimeouts.Default), "The plain thread did not finish.");
        Assert.Equal(2L * rounds, counter);
    }

    // A plain thread that takes mu with the blocking Lock() rounds times and runs inside under it.
    private static Thread StartLockingThread(Mutex mu, int rounds, Action inside)
    {
        var thread = new Thread(() =>
        {
            for (int i = 0; i < rounds; i++)
            {
                using (mu.Lock())
                {
                    inside();
                }
            }
        })
        { IsBackground = true };
        thread.Start();
        return thread;
    }
}
