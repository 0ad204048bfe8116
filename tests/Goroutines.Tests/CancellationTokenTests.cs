// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Sync;
using Goroutines.Tests.TestSupport;
using Goroutines.Time;

using Xunit;

using GoMutex = Goroutines.Sync.Mutex;

namespace Goroutines.Tests;

/// <summary>
/// The CancellationToken forms of the channel, select, sync and sleep operations: a canceled
/// operation throws OperationCanceledException with its token and leaves everything as if it had
/// never been tried; one that completed first keeps its effect. The races run a cancel against
/// a completion many times and check that nothing is lost or duplicated.
/// </summary>
public sealed class CancellationTokenTests : RuntimeTest
{
    private const int Rounds = 10_000;

    [Fact]
    public async Task SendAndReceive_CanceledWhileRendezvousRaces_BothHappenOrNeither()
    {
        var channel = new Chan<int>();
        int completed = 0;
        int canceled = 0;
        await GoTest.RunAsync(async () =>
        {
            var done = new Chan<(bool Sent, bool Received, int Value)>(1);
            for (int i = 0; i < Rounds; i++)
            {
                using var cts = new CancellationTokenSource();
                bool sent = false;
                int round = i;
                var sender = new WaitGroup();
                sender.Go(async () =>
                {
                    try
                    {
                        await channel.SendAsync(round, cts.Token);
                        sent = true;
                    }
                    catch (OperationCanceledException e) when (e.CancellationToken == cts.Token)
                    {
                    }
                });
                Go.Run(async () =>
                {
                    try
                    {
                        int value = await channel.ReceiveAsync(cts.Token);
                        await done.SendAsync((false, true, value));
                    }
                    catch (OperationCanceledException e) when (e.CancellationToken == cts.Token)
                    {
                        await done.SendAsync((false, false, -1));
                    }
                });
                if (i % 2 == 0)
                {
                    await Go.YieldAsync();
                }

                cts.Cancel();
                (_, bool received, int got) = await done.ReceiveAsync();
                await sender.WaitAsync();

                Assert.Equal(sent, received); // an unbuffered send completes exactly when a receive does
                if (received)
                {
                    Assert.Equal(i, got);
                    completed++;
                }
                else
                {
                    canceled++;
                }
            }

            Assert.False(channel.TryReceive(out _)); // nothing left behind
        }, TimeSpan.FromMinutes(3));

        Assert.Equal(Rounds, completed + canceled);
    }

    [Fact]
    public async Task SendAsync_BufferedCanceledRaces_EverySuccessfulSendIsReceivedOnce()
    {
        var channel = new Chan<int>(4);
        var sentValues = new List<int>();
        var receivedValues = new List<int>();
        await GoTest.RunAsync(async () =>
        {
            for (int i = 0; i < Rounds; i++)
            {
                using var cts = new CancellationTokenSource();
                int value = i;
                var round = new WaitGroup();
                round.Go(async () =>
                {
                    try
                    {
                        await channel.SendAsync(value, cts.Token);
                        sentValues.Add(value); // one sender per round: no race on the list
                    }
                    catch (OperationCanceledException)
                    {
                    }
                });
                if (i % 2 == 0)
                {
                    await Go.YieldAsync(); // let the send start (and often finish, or park on a full buffer) first
                }

                cts.Cancel();
                await round.WaitAsync();
                if (i % 3 == 0)
                {
                    while (channel.TryReceive(out int left))
                    {
                        receivedValues.Add(left);
                    }
                }
            }

            while (channel.TryReceive(out int value))
            {
                receivedValues.Add(value);
            }
        }, TimeSpan.FromMinutes(3));

        Assert.Equal(sentValues, receivedValues);
    }

    [Fact]
    public async Task SelectWaitAsync_CanceledWhileASenderRaces_CaseRanExactlyWhenValueTaken()
    {
        var channel = new Chan<int>();
        await GoTest.RunAsync(async () =>
        {
            var select = new Select();
            for (int i = 0; i < Rounds / 2; i++)
            {
                using var cts = new CancellationTokenSource();
                var sender = new WaitGroup();
                bool sent = false;
                int value = i;
                sender.Go(async () =>
                {
                    var give = new Select();
                    sent = await give.Send(channel, value).Default().WaitAsync() == 0;
                });
                int chosen = -1;
                bool canceled = false;
                try
                {
                    cts.Cancel();
                    chosen = await select.Receive(channel).WaitAsync(cts.Token);
                }
                catch (OperationCanceledException e) when (e.CancellationToken == cts.Token)
                {
                    canceled = true;
                }

                await sender.WaitAsync();
                Assert.True(canceled); // canceled before the round: no case may run
                Assert.Equal(-1, chosen);
                Assert.False(sent);
            }
        }, TimeSpan.FromMinutes(3));
    }

    [Fact]
    public async Task SelectWaitAsync_CancelRacesASender_CaseRanExactlyWhenTheSendCompleted()
    {
        var channel = new Chan<int>();
        int ran = 0;
        await GoTest.RunAsync(async () =>
        {
            var select = new Select();
            for (int i = 0; i < Rounds; i++)
            {
                using var cts = new CancellationTokenSource();
                int value = i;
                bool sent = false;
                var sender = new WaitGroup();
                sender.Go(async () =>
                {
                    try
                    {
                        await channel.SendAsync(value, cts.Token);
                        sent = true;
                    }
                    catch (OperationCanceledException)
                    {
                    }
                });
                var canceler = new WaitGroup();
                canceler.Go(cts.Cancel); // a racer of its own, waited for before the token is disposed
                bool caseRan = false;
                try
                {
                    Assert.Equal(0, await select.Receive(channel).WaitAsync(cts.Token));
                    Assert.Equal(value, select.Received<int>());
                    caseRan = true;
                    ran++;
                }
                catch (OperationCanceledException e) when (e.CancellationToken == cts.Token)
                {
                }

                await sender.WaitAsync();
                await canceler.WaitAsync();
                Assert.Equal(sent, caseRan); // an unbuffered send completes exactly when the case runs
                Assert.False(channel.TryReceive(out _));
            }
        }, TimeSpan.FromMinutes(3));

        Assert.InRange(ran, 0, Rounds);
    }

    [Fact]
    public async Task MutexLockAsync_CancelRacesTheUnlock_LockHeldExactlyWhenItReturned()
    {
        var mutex = new GoMutex();
        await GoTest.RunAsync(async () =>
        {
            for (int i = 0; i < Rounds / 5; i++)
            {
                using var cts = new CancellationTokenSource();
                await mutex.LockAsync();
                Task<bool> waiter = GoTest.Start(async () =>
                {
                    try
                    {
                        await mutex.LockAsync(cts.Token);
                        return true;
                    }
                    catch (OperationCanceledException e) when (e.CancellationToken == cts.Token)
                    {
                        return false;
                    }
                });
                await Go.YieldAsync();
                var canceler = new WaitGroup();
                canceler.Go(cts.Cancel); // a racer of its own, waited for before the token is disposed
                mutex.Unlock();
                bool locked = await waiter.Within();
                if (locked)
                {
                    Assert.False(mutex.TryLock()); // held by the waiter's return
                    mutex.Unlock();
                }

                // Canceled or not, the mutex ends free: a canceled wait's helper gives back what it gets.
                await GoTest.YieldUntilAsync(() => mutex.TryLock(), "the mutex to be free");
                mutex.Unlock();
                await canceler.WaitAsync();
            }
        }, TimeSpan.FromMinutes(3));
    }

    [Fact]
    public async Task RWMutexLocks_CanceledWhileHeld_ThrowAndLeaveItFree()
    {
        var rw = new RWMutex();
        await GoTest.RunAsync(async () =>
        {
            using var cts = new CancellationTokenSource();
            await rw.LockAsync();
            Task<Exception?> writer = Capture(() => rw.LockAsync(cts.Token).AsTask());
            Task<Exception?> reader = Capture(() => rw.RLockAsync(cts.Token).AsTask());
            await Go.YieldAsync();
            cts.Cancel();

            Assert.IsAssignableFrom<OperationCanceledException>(await writer.Within());
            Assert.IsAssignableFrom<OperationCanceledException>(await reader.Within());
            rw.Unlock();
            await GoTest.YieldUntilAsync(() => rw.TryLock(), "the write lock to be free");
            rw.Unlock();
            using (await rw.RLockAsync(CancellationToken.None))
            {
                Assert.False(rw.TryLock());
            }
        });
    }

    [Fact]
    public async Task WaitGroupWaitAsync_Canceled_ThrowsAndTheGroupStillCompletes()
    {
        var group = new WaitGroup();
        group.Add(1);
        await GoTest.RunAsync(async () =>
        {
            using var cts = new CancellationTokenSource();
            Task<Exception?> waiter = Capture(() => group.WaitAsync(cts.Token).AsTask());
            await Go.YieldAsync();
            cts.Cancel();
            OperationCanceledException error = Assert.IsAssignableFrom<OperationCanceledException>(await waiter.Within());
            Assert.Equal(cts.Token, error.CancellationToken);

            group.Done();
            await group.WaitAsync(new CancellationTokenSource().Token);
        });
    }

    [Fact]
    public async Task CondWaitAsync_CancelRacesASignal_EverySignalWakesExactlyOneWaiter()
    {
        var mutex = new GoMutex();
        var cond = new Cond(mutex);
        await GoTest.RunAsync(async () =>
        {
            for (int i = 0; i < Rounds / 5; i++)
            {
                using var cts = new CancellationTokenSource();
                var plainWoken = new Chan<bool>(1);
                var cancelableDone = new Chan<bool>(1);
                var waiting = new Chan<int>(2);
                Go.Run(async () =>
                {
                    await mutex.LockAsync();
                    await waiting.SendAsync(1); // still holding the lock: the wait below joins the list before anyone else locks
                    try
                    {
                        await cond.WaitAsync(cts.Token);
                        await cancelableDone.SendAsync(true);
                    }
                    catch (OperationCanceledException)
                    {
                        await cancelableDone.SendAsync(false);
                    }
                    finally
                    {
                        mutex.Unlock();
                    }
                });
                Go.Run(async () =>
                {
                    await mutex.LockAsync();
                    await waiting.SendAsync(2);
                    await cond.WaitAsync();
                    mutex.Unlock();
                    await plainWoken.SendAsync(true);
                });
                await waiting.ReceiveAsync();
                await waiting.ReceiveAsync();
                using (await mutex.LockAsync())
                {
                    // Both sent while holding the lock and let go of it only inside their waits: both are on the list.
                }

                var canceler = new WaitGroup();
                canceler.Go(cts.Cancel); // a racer of its own, waited for before the token is disposed
                cond.Signal();
                bool cancelableWoken = await cancelableDone.ReceiveAsync();
                if (cancelableWoken)
                {
                    Assert.False(plainWoken.TryReceive(out _)); // the one signal went to the cancelable waiter
                    cond.Signal();
                }

                Assert.True(await plainWoken.ReceiveAsync()); // canceled: the signal was the plain waiter's
                await canceler.WaitAsync();
            }
        }, TimeSpan.FromMinutes(3));
    }

    [Fact]
    public async Task WeightedSemaphoreAcquireAsync_Canceled_NothingHeld()
    {
        var semaphore = new WeightedSemaphore(2);
        await GoTest.RunAsync(async () =>
        {
            using var cts = new CancellationTokenSource();
            await semaphore.AcquireAsync(2);
            Task<Exception?> waiter = Capture(() => semaphore.AcquireAsync(1, cts.Token).AsTask());
            await Go.YieldAsync();
            cts.Cancel();
            Assert.IsAssignableFrom<OperationCanceledException>(await waiter.Within());

            semaphore.Release(2);
            Assert.True(semaphore.TryAcquire(2)); // the canceled waiter holds nothing
            semaphore.Release(2);
        });
    }

    [Fact]
    public async Task SleepAsync_Canceled_EndsEarlyWithTheToken()
    {
        await GoTest.RunAsync(async () =>
        {
            using var cts = new CancellationTokenSource();
            Task<Exception?> sleeper = Capture(() => Clock.SleepAsync(TimeSpan.FromHours(1), cts.Token).AsTask());
            await Go.YieldAsync();
            cts.Cancel();
            OperationCanceledException error = Assert.IsAssignableFrom<OperationCanceledException>(await sleeper.Within());
            Assert.Equal(cts.Token, error.CancellationToken);

            await Clock.SleepAsync(TimeSpan.FromMilliseconds(1), new CancellationTokenSource().Token); // not canceled: sleeps
        });
    }

    [Fact]
    public async Task Operations_TokenAlreadyCanceled_ThrowAndDoNothing()
    {
        var channel = new Chan<int>(1);
        var mutex = new GoMutex();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await GoTest.RunAsync(async () =>
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => channel.SendAsync(1, cts.Token).AsTask());
            Assert.Equal(0, channel.Count);
            channel.TrySend(2);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => channel.ReceiveAsync(cts.Token).AsTask());
            Assert.Equal(1, channel.Count);
            var select = new Select();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => select.Receive(channel).WaitAsync(cts.Token).AsTask());
            Assert.Equal(1, channel.Count);
            Assert.Equal(0, await select.Receive(channel).WaitAsync()); // the canceled round left nothing behind
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => mutex.LockAsync(cts.Token).AsTask());
            Assert.True(mutex.TryLock());
            mutex.Unlock();
        });
    }

    [Fact]
    public async Task Chan_AsAsyncEnumerable_LinqOperatorsAndWithCancellation()
    {
        var numbers = new Chan<int>(10);
        for (int i = 1; i <= 6; i++)
        {
            numbers.TrySend(i);
        }

        numbers.Close();
        await GoTest.RunAsync(async () =>
        {
            int[] even = await numbers.Where(n => n % 2 == 0).ToArrayAsync();
            Assert.Equal([2, 4, 6], even);

            var forever = new Chan<int>();
            using var cts = new CancellationTokenSource();
            Task<Exception?> ranging = Capture(async () =>
            {
                await foreach (int value in forever.ToReceiveOnly().WithCancellation(cts.Token))
                {
                    Assert.Fail($"received {value} from a channel nobody sends on");
                }
            });
            await Go.YieldAsync();
            cts.Cancel();
            Assert.IsAssignableFrom<OperationCanceledException>(await ranging.Within());
        });
    }

    // Runs an operation on a goroutine of its own and returns what it threw (null if nothing).
    private static Task<Exception?> Capture(Func<Task> operation) =>
        GoTest.Start(async () =>
        {
            try
            {
                await operation();
                return (Exception?)null;
            }
            catch (Exception e)
            {
                return e;
            }
        });
}
