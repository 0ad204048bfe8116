// Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Sync;

using GoMutex = Goroutines.Sync.Mutex;

namespace Goroutines.Stress.Scenarios;

/// <summary>
/// The sync primitives under contention, in every form: a Mutex taken by LockAsync, Lock (the
/// thread blocks) and TryLock, which must exclude (nobody else inside, and the counter it guards
/// exact); an RWMutex whose readers must never see a writer's pair half updated; a Cond over a
/// bounded queue whose items must all arrive; a WeightedSemaphore whose holders must never hold
/// more than its size; a Once whose function must run once however many call it.
/// </summary>
internal static class SyncPrimitives
{
    public static async Task<long> RunAsync(Random random)
    {
        int goroutines = random.Next(2, 33);
        int operations = random.Next(500, 5_000);
        long moved = 0;
        moved += await MutexAsync(goroutines, operations, new Random(random.Next()));
        moved += await RWMutexAsync(goroutines, operations, new Random(random.Next()));
        moved += await CondQueueAsync(goroutines, operations, new Random(random.Next()));
        moved += await SemaphoreAsync(goroutines, operations, new Random(random.Next()));
        moved += await OnceAsync(goroutines);
        return moved;
    }

    private static async Task<long> MutexAsync(int goroutines, int operations, Random random)
    {
        var mutex = new GoMutex();
        long counter = 0;
        int inside = 0;
        int overlaps = 0;
        var all = new WaitGroup();
        for (int g = 0; g < goroutines; g++)
        {
            var choices = new Random(random.Next());
            all.Go(async () =>
            {
                for (int i = 0; i < operations; i++)
                {
                    switch (choices.Next(3))
                    {
                        case 0:
                            await mutex.LockAsync();
                            break;
                        case 1:
#pragma warning disable GOR003 // all three forms of Lock are exercised
                            mutex.Lock(); // blocks the thread, in a blocking region
#pragma warning restore GOR003
                            break;
                        default:
                            while (!mutex.TryLock())
                            {
                                await Go.YieldAsync();
                            }

                            break;
                    }

                    if (Interlocked.Exchange(ref inside, 1) != 0)
                    {
                        Interlocked.Increment(ref overlaps);
                    }

                    counter++; // guarded by the mutex alone
                    if (choices.Next(8) == 0)
                    {
                        await Go.YieldAsync(); // held across a park
                    }

                    Volatile.Write(ref inside, 0);
                    mutex.Unlock();
                }
            });
        }

        await all.WaitAsync();
        long expected = (long)goroutines * operations;
        StressFailure.Check(overlaps == 0 && counter == expected, $"Mutex: {overlaps} overlaps, counter {counter} of {expected}");
        return expected;
    }

    private static async Task<long> RWMutexAsync(int goroutines, int operations, Random random)
    {
        var rw = new RWMutex();
        long first = 0;
        long second = 0;
        int torn = 0;
        var all = new WaitGroup();
        for (int g = 0; g < goroutines; g++)
        {
            var choices = new Random(random.Next());
            bool writer = g % 4 == 0;
            all.Go(async () =>
            {
                for (int i = 0; i < operations; i++)
                {
                    if (writer)
                    {
                        using (await rw.LockAsync())
                        {
                            first++;
                            if (choices.Next(4) == 0)
                            {
                                await Go.YieldAsync();
                            }

                            second++;
                        }
                    }
                    else
                    {
#pragma warning disable GOR003 // both forms of RLock are exercised
                        using (choices.Next(2) == 0 ? await rw.RLockAsync() : rw.RLock())
#pragma warning restore GOR003
                        {
                            if (Volatile.Read(ref first) != Volatile.Read(ref second))
                            {
                                Interlocked.Increment(ref torn);
                            }
                        }
                    }
                }
            });
        }

        await all.WaitAsync();
        long writes = (long)((goroutines + 3) / 4) * operations;
        StressFailure.Check(torn == 0 && first == writes && second == writes, $"RWMutex: {torn} torn reads, {first}/{second} of {writes} writes");
        return (long)goroutines * operations;
    }

    private static async Task<long> CondQueueAsync(int goroutines, int operations, Random random)
    {
        var mutex = new GoMutex();
        var changed = new Cond(mutex);
        int capacity = random.Next(1, 9);
        int queued = 0;
        long produced = 0;
        long consumed = 0;
        int producers = Math.Max(1, goroutines / 2);
        int consumers = Math.Max(1, goroutines - producers);
        long total = (long)producers * operations;
        var all = new WaitGroup();
        for (int p = 0; p < producers; p++)
        {
            all.Go(async () =>
            {
                for (int i = 0; i < operations; i++)
                {
                    await mutex.LockAsync();
                    while (queued == capacity)
                    {
                        await changed.WaitAsync();
                    }

                    queued++;
                    produced++;
                    mutex.Unlock();
                    changed.Broadcast();
                }
            });
        }

        for (int c = 0; c < consumers; c++)
        {
            all.Go(async () =>
            {
                while (true)
                {
                    await mutex.LockAsync();
                    while (queued == 0 && consumed + queued < total)
                    {
                        await changed.WaitAsync();
                    }

                    if (queued == 0)
                    {
                        mutex.Unlock();
                        changed.Broadcast();
                        return; // everything was consumed
                    }

                    queued--;
                    consumed++;
                    mutex.Unlock();
                    changed.Broadcast();
                }
            });
        }

        await all.WaitAsync();
        StressFailure.Check(produced == total && consumed == total && queued == 0, $"Cond queue: {produced} produced, {consumed} consumed of {total}, {queued} left");
        return total;
    }

    private static async Task<long> SemaphoreAsync(int goroutines, int operations, Random random)
    {
        long size = random.Next(1, 17);
        var semaphore = new WeightedSemaphore(size);
        long held = 0;
        long excess = 0;
        var all = new WaitGroup();
        for (int g = 0; g < goroutines; g++)
        {
            var choices = new Random(random.Next());
            all.Go(async () =>
            {
                for (int i = 0; i < operations / 10; i++)
                {
                    long weight = choices.NextInt64(1, size + 1);
                    if (choices.Next(4) == 0)
                    {
                        if (!semaphore.TryAcquire(weight))
                        {
                            continue;
                        }
                    }
                    else
                    {
                        await semaphore.AcquireAsync(weight);
                    }

                    if (Interlocked.Add(ref held, weight) > size)
                    {
                        Interlocked.Increment(ref excess);
                    }

                    await Go.YieldAsync();
                    Interlocked.Add(ref held, -weight);
                    semaphore.Release(weight);
                }
            });
        }

        await all.WaitAsync();
        StressFailure.Check(excess == 0 && held == 0, $"WeightedSemaphore of {size}: held more {excess} times, {held} still held");
        return (long)goroutines * (operations / 10);
    }

    private static async Task<long> OnceAsync(int goroutines)
    {
        var once = new Once();
        int runs = 0;
        var all = new WaitGroup();
        for (int g = 0; g < goroutines; g++)
        {
            all.Go(async () => await once.DoAsync(async () =>
            {
                await Go.YieldAsync();
                Interlocked.Increment(ref runs);
            }));
        }

        await all.WaitAsync();
        StressFailure.Check(runs == 1, $"Once: ran {runs} times");
        return goroutines;
    }
}
