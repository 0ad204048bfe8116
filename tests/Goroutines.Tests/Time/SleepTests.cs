// Licensed under the MIT License.

using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Scheduling;
using Goroutines.Sync;
using Goroutines.Testing;
using Goroutines.Tests.TestSupport;
using Goroutines.Time;

using Xunit;

namespace Goroutines.Tests.Time;

/// <summary>
/// Sleeping. What a sleep does is tested in bubbles (<see cref="SyncTest"/>), where each wake-up
/// is asserted at its exact virtual instant. The runtime's own path stays on the runtime's clock:
/// sleepers spread over every processor's timer heap (<see cref="FakeRuntimeClock"/>), a thread
/// blocked in Sleep (which a bubble cannot see), the system clock, the system monitor's firing
/// behind a processor that never yields, and replacing the clock.
/// </summary>
public sealed class SleepTests : RuntimeTest
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    [Fact]
    public async Task SleepAsync_ParksWithReasonUntilTheDurationPassed()
    {
        await SyncTest.RunAsync(async () =>
        {
            Instant start = Clock.Now();
            Goroutine? sleeper = null;
            var woke = new Chan<TimeSpan>(1);
            Go.Run(async () =>
            {
                sleeper = Goroutine.Running;
                await Clock.SleepAsync(Second);
                woke.TrySend(Clock.Since(start));
            });

            await Clock.SleepAsync(Second - Tick);
            Assert.True(
                sleeper is { Status: GoroutineStatus.Waiting, WaitReason: WaitReason.Sleep },
                $"The sleeper woke before its duration passed: it is {sleeper?.Status} ({sleeper?.WaitReason}).");

            Assert.Equal(Second, await woke.ReceiveAsync());
        }).WaitAsync(TestTimeouts.Default);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public async Task SleepAsync_NonPositiveDuration_CompletesAtOnce(int seconds)
    {
        await SyncTest.RunAsync(async () =>
        {
            Instant start = Clock.Now();
            ValueTask sleep = Clock.SleepAsync(TimeSpan.FromSeconds(seconds));
            Assert.True(sleep.IsCompletedSuccessfully);
            await sleep;
            Assert.Equal(TimeSpan.Zero, Clock.Since(start));
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task SleepAsync_ManySleepers_EachWakesAtItsDeadlineInOrder()
    {
        // 2,000 goroutines sleep 1..200 s spread over every processor's heap; the clock then moves one
        // second at a time. After each step, exactly the sleepers due by then have woken. (A bubble
        // keeps its sleepers in a heap of its own: this tests the processors' heaps, on a replaced clock.)
        using var clock = FakeRuntimeClock.Install();
        const int sleepers = 2_000;
        var random = new Random(7);
        int[] seconds = Enumerable.Range(0, sleepers).Select(_ => random.Next(1, 201)).ToArray();
        int[] wokeAt = new int[sleepers];
        int elapsed = 0;
        var scheduled = new WaitGroup();
        var group = new WaitGroup();
        scheduled.Add(sleepers);
        group.Add(sleepers);
        for (int i = 0; i < sleepers; i++)
        {
            int index = i;
            Go.Run(async () =>
            {
                ValueTask sleep = Clock.SleepAsync(TimeSpan.FromSeconds(seconds[index]));
                scheduled.Done();
                await sleep;
                wokeAt[index] = Volatile.Read(ref elapsed);
                group.Done();
            });
        }

        await GoTest.RunAsync(async () => await scheduled.WaitAsync());
        for (int second = 1; second <= 200; second++)
        {
            Volatile.Write(ref elapsed, second);
            clock.Advance(Second);
            int due = seconds.Count(s => s <= second);
            await GoTest.YieldUntilAsync(() => Go.NumGoroutine - GoroutinesAtStart == sleepers - due, $"the sleepers due at {second} s to wake");
        }

        await GoTest.RunAsync(async () => await group.WaitAsync());
        for (int i = 0; i < sleepers; i++)
        {
            Assert.Equal(seconds[i], wokeAt[i]);
        }
    }

    [Fact]
    public async Task Sleep_PlainThread_BlocksUntilTheDurationPassed()
    {
        using var clock = FakeRuntimeClock.Install();
        PlainThread sleeper = PlainThread.Start(() => Clock.Sleep(Second));
        sleeper.WaitUntilBlocked("the plain thread to sleep");

        clock.Advance(Second);

        await sleeper.Completion.Within(what: "the plain thread's sleep");
    }

    [Fact]
    public async Task Sleep_OnAGoroutineWithOneProcessor_HandsTheProcessorOn()
    {
        Settings.SetMaxProcs(1);
        using var clock = FakeRuntimeClock.Install();
        Spawned sleeper = await Spawned.StartAsync(() =>
        {
            Clock.Sleep(Second);
            return Task.CompletedTask;
        });
        sleeper.WaitUntilInBlockingRegion();

        // The only processor was handed on: another goroutine runs while the sleeper blocks.
        await GoTest.RunAsync(() => Task.CompletedTask);

        clock.Advance(Second);
        await sleeper.Completion.Within(what: "the blocking sleep");
    }

    [Fact]
    public async Task SleepAsync_SystemClock_WakesAfterTheDuration()
    {
        TimeSpan duration = TimeSpan.FromMilliseconds(5);
        TimeSpan slept = await GoTest.RunAsync(async () =>
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            await Clock.SleepAsync(duration);
            return System.Diagnostics.Stopwatch.GetElapsedTime(start);
        });

        Assert.True(slept >= duration, $"Slept {slept.TotalMilliseconds} ms of {duration.TotalMilliseconds}.");
    }

    [Fact]
    public async Task SleepAsync_EveryProcessorHeldByALoopThatNeverYields_StillWakes()
    {
        // The sleeper's timer sits in the heap of a processor whose goroutine never reaches a safe
        // point: the system monitor fires it and hands a processor to the woken goroutine.
        Settings.SetMaxProcs(1);
        using var release = new ManualResetEventSlim();
        var started = new Chan<bool>(1);
        Task hog = GoTest.Start(async () =>
        {
            await started.SendAsync(true);
            while (!release.IsSet)
            {
                Thread.SpinWait(100);
            }
        });

        Task sleeper = GoTest.Start(async () =>
        {
            await started.ReceiveAsync();
            await Clock.SleepAsync(TimeSpan.FromMilliseconds(1));
        });

        try
        {
            await sleeper.Within(what: "the sleeper behind a hog");
        }
        finally
        {
            release.Set();
        }

        await hog.Within(what: "the hog to stop");
    }

    [Fact]
    public void Provider_Null_Throws() => Assert.Throws<ArgumentNullException>(() => Clock.Provider = null!);

    [Fact]
    public async Task Provider_Replaced_QueuedTimersKeepTheirRemainingTime()
    {
        var timer = new Goroutines.Time.Timer(TimeSpan.FromHours(1));
        using var clock = FakeRuntimeClock.Install();

        clock.Advance(TimeSpan.FromMinutes(59));
        Assert.False(timer.C.TryReceive(out _), "The timer fired early after the clock changed.");

        clock.Advance(TimeSpan.FromMinutes(1));
        await GoTest.RunAsync(async () => await timer.C.ReceiveAsync());
    }
}
