// Licensed under the MIT License.

using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Scheduling;

public sealed class SchedulerTests : RuntimeTest
{
    [Fact]
    public async Task Run_AMillionSynchronousGoroutines_AllRunToCompletion()
    {
        const int count = 1_000_000;
        int ran = 0;
        int remaining = count;
        var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Spawned from a goroutine, so they go through the spawner's local run queue, its
        // overflow into the global queue and the other machines' steals.
        await GoTest.RunAsync(() =>
        {
            for (int i = 0; i < count; i++)
            {
                Go.Run(() =>
                {
                    Interlocked.Increment(ref ran);
                    if (Interlocked.Decrement(ref remaining) == 0)
                    {
                        allDone.SetResult();
                    }
                });
            }

            return Task.CompletedTask;
        });

        await allDone.Task.Within(TimeSpan.FromSeconds(60), $"{count} goroutines (ran {Volatile.Read(ref ran)})");
        Assert.Equal(count, Volatile.Read(ref ran));
    }

    [Fact]
    public async Task Run_AHundredThousandAsyncGoroutinesThatYield_AllRunToCompletion()
    {
        const int count = 100_000;
        int ran = 0;
        int remaining = count;
        var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        await GoTest.RunAsync(() =>
        {
            for (int i = 0; i < count; i++)
            {
                Go.Run(async () =>
                {
                    long id = Go.CurrentGoroutineId;
                    await Go.YieldAsync();
                    if (Go.CurrentGoroutineId == id)
                    {
                        Interlocked.Increment(ref ran);
                    }

                    if (Interlocked.Decrement(ref remaining) == 0)
                    {
                        allDone.SetResult();
                    }
                });
            }

            return Task.CompletedTask;
        });

        await allDone.Task.Within(TimeSpan.FromSeconds(60), $"{count} goroutines (ran {Volatile.Read(ref ran)})");
        Assert.Equal(count, Volatile.Read(ref ran));
    }

    [Fact]
    public async Task Run_SpawnerHoldsItsProcessor_IdleProcessorStealsItsGoroutines()
    {
        // The spawner queues goroutines on its own processor and then keeps that processor
        // busy until one of them has run on another thread. With GOMAXPROCS=2 that is the
        // other processor's machine stealing from the spawner's queue. (Sysmon hands a busy
        // processor off only when nobody has taken from its queue for 10 ms, and a hand-off
        // moves no goroutine between queues: the steal counter tells the two apart.)
        const int count = 64;
        Settings.SetMaxProcs(2);
        long stealsBefore = Go.ReadStatistics().Steals;
        var threads = new ConcurrentDictionary<int, int>(); // thread id -> goroutines it ran; the spawner's included
        int ranElsewhere = 0;
        int remaining = count;
        var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        await GoTest.RunAsync(() =>
        {
            int self = Environment.CurrentManagedThreadId;
            threads.TryAdd(self, 0);
            for (int i = 0; i < count; i++)
            {
                Go.Run(() =>
                {
                    int thread = Environment.CurrentManagedThreadId;
                    threads.AddOrUpdate(thread, 1, static (_, n) => n + 1);
                    if (thread != self)
                    {
                        Interlocked.Increment(ref ranElsewhere);
                    }

                    if (Interlocked.Decrement(ref remaining) == 0)
                    {
                        allDone.SetResult();
                    }
                });
            }

            GoTest.SpinUntil(() => Volatile.Read(ref ranElsewhere) > 0, "a goroutine of the busy processor to run on another thread");
            return Task.CompletedTask;
        });

        await allDone.Task.Within(what: $"{count} goroutines");
        Assert.True(Volatile.Read(ref ranElsewhere) > 0);
        Assert.True(threads.Count >= 2, $"The spawner and its goroutines ran on one thread: {string.Join(", ", threads.Keys)}.");
        long stealsAfter = Go.ReadStatistics().Steals;
        Assert.True(stealsAfter > stealsBefore, $"Steals did not increase: {stealsBefore} -> {stealsAfter}.");
    }
}
