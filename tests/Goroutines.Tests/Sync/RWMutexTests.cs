// Licensed under the MIT License.

using System.Threading;
using System.Threading.Tasks;

using Goroutines.Scheduling;
using Goroutines.Sync;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Sync;

public sealed class RWMutexTests : RuntimeTest
{
    [Fact]
    public async Task RLockAsync_SeveralReaders_HoldTheLockTogetherAndExcludeWriters()
    {
        var rw = new RWMutex();
        await GoTest.RunAsync(async () =>
        {
            using (await rw.RLockAsync())
            {
                Assert.True(rw.TryRLock(), "A second reader could not join the first.");
                Assert.False(rw.TryLock(), "A writer got in beside readers.");
                rw.RUnlock();
            }

            Assert.True(rw.TryLock(), "A writer could not take a free mutex.");
            Assert.False(rw.TryRLock(), "A reader got in beside a writer.");
            rw.Unlock();
        });
    }

    [Fact]
    public async Task LockAsync_WaitingWriter_BlocksNewReadersUntilItHasBeenIn()
    {
        var rw = new RWMutex();
        var order = new EventOrder();
        await rw.RLockAsync(); // the first reader, held by the test
        Spawned writer = await Spawned.ParkedAsync(
            async () =>
            {
                using (await rw.LockAsync())
                {
                    order.Expect(1);
                }
            },
            WaitReason.SyncRWMutexLock);

        Assert.False(rw.TryRLock(), "A new reader overtook the waiting writer.");
        Spawned reader = await Spawned.ParkedAsync(
            async () =>
            {
                using (await rw.RLockAsync())
                {
                    order.Expect(2);
                }
            },
            WaitReason.SyncRWMutexRLock);

        rw.RUnlock(); // the last reader out lets the writer in; its unlock lets the queued reader in
        await writer.Completion.Within(what: "the writer");
        await reader.Completion.Within(what: "the reader queued behind the writer");
        order.Finish(3);
    }

    [Fact]
    public async Task LockAndRLock_ReadersAndWritersLooping_NeverOverlapWrongly()
    {
        const int rounds = 5_000;
        var rw = new RWMutex();
        var group = new WaitGroup();
        int readers = 0;
        int writers = 0;
        int violations = 0;
        long written = 0;
        await GoTest.RunAsync(async () =>
        {
            for (int g = 0; g < 4; g++)
            {
                group.Go(async () =>
                {
                    for (int i = 0; i < rounds; i++)
                    {
                        using (await rw.LockAsync())
                        {
                            if (Interlocked.Increment(ref writers) != 1 || Volatile.Read(ref readers) != 0)
                            {
                                Interlocked.Increment(ref violations);
                            }

                            written++; // guarded by the write lock
                            Interlocked.Decrement(ref writers);
                        }
                    }
                });
                group.Go(async () =>
                {
                    for (int i = 0; i < rounds; i++)
                    {
                        using (await rw.RLockAsync())
                        {
                            Interlocked.Increment(ref readers);
                            if (Volatile.Read(ref writers) != 0)
                            {
                                Interlocked.Increment(ref violations);
                            }

                            Interlocked.Decrement(ref readers);
                        }
                    }
                });
            }

            await group.WaitAsync();
        });

        Assert.Equal(0, violations);
        Assert.Equal(4L * rounds, written);
    }

    [Fact]
    public void RUnlockAndUnlock_NotHeld_ReportGoFatalErrorsAndThrow()
    {
        using var capture = new PanicCapture();
        var rw = new RWMutex();
        Assert.Equal("sync: RUnlock of unlocked RWMutex", Assert.Throws<SynchronizationLockException>(rw.RUnlock).Message);
        Assert.Equal("sync: Unlock of unlocked RWMutex", Assert.Throws<SynchronizationLockException>(rw.Unlock).Message);
        Assert.Equal(2, capture.Captured.Count);
        Assert.All(capture.Captured, p => Assert.True(p.IsFatal));
        Assert.True(rw.TryLock(), "A misuse left the mutex in a broken state.");
        rw.Unlock();
    }

    [Fact]
    public void RUnlock_MisuseRacingWithACorrectWriter_NeverStrandsIt()
    {
        var rw = new RWMutex();
        MisuseRace.AssertCorrectUserFinishes(
            misuse: rw.RUnlock,
            correctRound: () =>
            {
                rw.Lock();
                rw.Unlock();
            },
            rounds: 100_000,
            what: "writer");
        Assert.True(rw.TryLock(), "The mutex was left in a broken state.");
        rw.Unlock();
    }

    [Fact]
    public async Task Lock_FromPlainThread_ExcludesGoroutineReaders()
    {
        var rw = new RWMutex();
        rw.Lock();
        Spawned reader = await Spawned.ParkedAsync(async () => (await rw.RLockAsync()).Dispose(), WaitReason.SyncRWMutexRLock);
        Assert.False(reader.Completion.IsCompleted);
        rw.Unlock();
        await reader.Completion.Within(what: "the reader after the writer left");
    }
}
