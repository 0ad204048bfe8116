// Licensed under the MIT License.

using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Testing;
using Goroutines.Tests.TestSupport;
using Goroutines.Time;

using Xunit;

using Timer = Goroutines.Time.Timer;

namespace Goroutines.Tests.Time;

/// <summary>
/// Go's timers. Their behaviour is tested in bubbles (<see cref="SyncTest"/>), whose time jumps
/// to the next deadline as soon as every goroutine waits, so each firing is asserted at its exact
/// virtual instant. The runtime's own path on a replaced clock (a firing late past its deadline, a
/// provider's timer firing on another thread or inside its own change, a deadline beyond an
/// <see cref="ITimer"/>'s range) is tested with <see cref="FakeRuntimeClock"/>, and real firings
/// racing Stop and Reset on the system clock.
/// </summary>
public sealed class TimerTests : RuntimeTest
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    [Fact]
    public async Task C_DurationPassed_ReceivesTheClockTimeOfFiring()
    {
        await SyncTest.RunAsync(async () =>
        {
            Instant start = Clock.Now();
            var timer = new Timer(Second);

            await Clock.SleepAsync(Second - Tick);
            Assert.False(timer.C.TryReceive(out _), "The timer fired before its duration passed.");

            DateTimeOffset fired = await timer.C.ReceiveAsync();
            Assert.Equal(Second, Clock.Since(start));
            Assert.Equal(Clock.Provider.GetUtcNow(), fired);
            Assert.False(timer.Stop(), "Stop after the value was received should report the timer already fired.");
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public void C_FiredLate_ReceivesTheTimeItWasDue()
    {
        // A bubble fires every timer at its deadline: lateness needs a clock that jumps past it.
        using var clock = FakeRuntimeClock.Install();
        DateTimeOffset due = clock.GetUtcNow() + Second;
        var timer = new Timer(Second);

        clock.Advance(Second * 3);

        // Go 1.23 sends the current time less the firing's lateness: the deadline.
        Assert.True(timer.C.TryReceive(out DateTimeOffset fired));
        Assert.Equal(due, fired);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public async Task C_NonPositiveDuration_FiresAtOnce(int seconds)
    {
        await SyncTest.RunAsync(async () =>
        {
            Instant start = Clock.Now();
            var timer = new Timer(TimeSpan.FromSeconds(seconds));

            // Due now: it fires without the clock moving.
            DateTimeOffset fired = await timer.C.ReceiveAsync();
            Assert.Equal(TimeSpan.Zero, Clock.Since(start));
            Assert.Equal(start.Wall, fired);
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task Stop_BeforeFiring_ReturnsTrueAndNothingIsEverSent()
    {
        await SyncTest.RunAsync(async () =>
        {
            var timer = new Timer(Second);

            Assert.True(timer.Stop());
            await Clock.SleepAsync(Second * 10);

            Assert.False(timer.C.TryReceive(out _));
            Assert.False(timer.Stop(), "A second Stop should report the timer already stopped.");
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task Stop_FiredButNotReceived_ReturnsTrueAndTakesTheValueBack()
    {
        await SyncTest.RunAsync(async () =>
        {
            var timer = new Timer(Second);
            await Clock.SleepAsync(Second * 2); // it fired at 1 s, and nobody received

            // Go 1.23: the channel is synchronous in effect, so an unreceived value was never sent.
            Assert.True(timer.Stop());
            Assert.False(timer.C.TryReceive(out _), "A stale value was received after Stop returned.");
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task Reset_FiredButNotReceived_DropsTheStaleValueAndFiresAgainLater()
    {
        await SyncTest.RunAsync(async () =>
        {
            var timer = new Timer(Second);
            await Clock.SleepAsync(Second * 2); // it fired at 1 s, and nobody received
            Instant resetAt = Clock.Now();

            Assert.True(timer.Reset(Second * 2));
            Assert.False(timer.C.TryReceive(out _), "A value from before Reset was received after it.");

            await Clock.SleepAsync((Second * 2) - Tick);
            Assert.False(timer.C.TryReceive(out _), "The reset timer fired early.");
            DateTimeOffset fired = await timer.C.ReceiveAsync();
            Assert.Equal(Second * 2, Clock.Since(resetAt));
            Assert.Equal(resetAt.Wall + (Second * 2), fired);
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task Reset_StoppedTimer_ReturnsFalseAndRestartsIt()
    {
        await SyncTest.RunAsync(async () =>
        {
            Instant start = Clock.Now();
            var timer = new Timer(Second);
            timer.Stop();

            Assert.False(timer.Reset(Second));

            await timer.C.ReceiveAsync();
            Assert.Equal(Second, Clock.Since(start));
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task Reset_ActiveTimer_ReturnsTrueAndMovesTheDeadline()
    {
        await SyncTest.RunAsync(async () =>
        {
            Instant start = Clock.Now();
            var timer = new Timer(Second);

            Assert.True(timer.Reset(Second * 3));
            await Clock.SleepAsync((Second * 3) - Tick);
            Assert.False(timer.C.TryReceive(out _), "The timer fired at its old deadline.");

            await timer.C.ReceiveAsync();
            Assert.Equal(Second * 3, Clock.Since(start));
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task Reset_RacingTheFiring_NeverLetsTheOldValueThrough()
    {
        // One thread advances the clock past the deadline (firing the timer) while another resets
        // it far ahead. Whichever wins, once both returned: no value from the first deadline is
        // receivable, Reset saw the timer active, and the reset deadline fires exactly once.
        using var clock = FakeRuntimeClock.Install();
        for (int round = 0; round < 500; round++)
        {
            var timer = new Timer(Second);
            using var start = new Barrier(2);
            Task advance = Task.Run(() =>
            {
                start.SignalAndWait();
                clock.Advance(Second);
            });
            Task<bool> reset = Task.Run(() =>
            {
                start.SignalAndWait();
                return timer.Reset(TimeSpan.FromHours(1));
            });
            await Task.WhenAll(advance, reset).Within(what: "the racing advance and reset");

            Assert.True(await reset, $"Round {round}: Reset reported an inactive timer.");
            Assert.False(timer.C.TryReceive(out _), $"Round {round}: a value from before Reset was received after it.");

            clock.Advance(TimeSpan.FromHours(1));
            Assert.True(timer.C.TryReceive(out _), $"Round {round}: the reset deadline did not fire.");
            Assert.False(timer.C.TryReceive(out _), $"Round {round}: the timer fired twice.");
        }
    }

    [Fact]
    public async Task StopAndReset_GoroutinesRacingRealFirings_NothingArrivesAfterTheLastStop()
    {
        // On the system clock, timers of a few microseconds fire while their goroutines reset and
        // stop them, on every processor. Whatever interleaving happened, a value is never
        // received after a Stop returned.
        const int goroutines = 8;
        const int rounds = 2_000;
        Task[] racers = new Task[goroutines];
        for (int g = 0; g < goroutines; g++)
        {
            int seed = g;
            racers[g] = GoTest.Start(async () =>
            {
                var random = new Random(seed);
                var timer = new Timer(TimeSpan.FromTicks(random.Next(1, 500)));
                for (int round = 0; round < rounds; round++)
                {
                    timer.Reset(TimeSpan.FromTicks(random.Next(1, 500)));
                    if (random.Next(3) == 0)
                    {
                        await timer.C.ReceiveAsync();
                    }

                    timer.Stop();
                    Assert.False(timer.C.TryReceive(out _), $"Round {round}: a value was received after Stop returned.");
                    if (random.Next(8) == 0)
                    {
                        await Go.YieldAsync();
                    }
                }
            });
        }

        await Task.WhenAll(racers).Within(what: "the racing timers");
    }

    [Fact]
    public async Task Reset_ProviderFiresInsideItsOwnTimerChange_NoDeadlock()
    {
        // FakeTimeProvider runs a timer changed to "due now" inside the Change call, so firing
        // runtime timers (taking their monitors) may happen on any thread that arms the clock.
        // Threads resetting timers to zero and advancing the clock at once must all finish.
        using var clock = FakeRuntimeClock.Install();
        Timer[] timers = Enumerable.Range(0, 4).Select(_ => new Timer(TimeSpan.FromHours(1))).ToArray();
        using var start = new Barrier(4);
        PlainThread[] threads = Enumerable.Range(0, 4).Select(t => PlainThread.Start(() =>
        {
            var random = new Random(t);
            start.SignalAndWait();
            for (int i = 0; i < 20_000; i++)
            {
                Timer timer = timers[random.Next(timers.Length)];
                if (t == 0)
                {
                    clock.Advance(TimeSpan.FromTicks(1));
                }
                else
                {
                    timer.Reset(random.Next(2) == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(1));
                }
            }
        })).ToArray();

        await Task.WhenAll(threads.Select(t => t.Completion)).Within(what: "the threads resetting timers and advancing the clock");
        foreach (Timer timer in timers)
        {
            timer.Stop();
        }
    }

    [Fact]
    public void Reset_DeadlineBeyondWhatAnITimerTakes_Works()
    {
        using var clock = FakeRuntimeClock.Install();
        var timer = new Timer(TimeSpan.FromDays(100));

        clock.Advance(TimeSpan.FromDays(99));
        Assert.False(timer.C.TryReceive(out _));
        clock.Advance(TimeSpan.FromDays(1));
        Assert.True(timer.C.TryReceive(out _), "A timer beyond the provider timer's range did not fire.");
    }

    [Fact]
    public async Task C_InSelect_TimesOutAWaitingReceive()
    {
        await SyncTest.RunAsync(async () =>
        {
            Instant start = Clock.Now();
            var never = new Chan<int>();
            var timer = new Timer(Second);

            int chosen = await new Select().Receive(never).Receive(timer.C).WaitAsync();

            Assert.Equal(1, chosen);
            Assert.Equal(Second, Clock.Since(start));
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task AfterFunc_DurationPassed_RunsTheFunctionInItsOwnGoroutine()
    {
        await SyncTest.RunAsync(async () =>
        {
            Instant start = Clock.Now();
            var ran = new Chan<long>(1);
            Timer timer = Clock.AfterFunc(Second, () => ran.TrySend(Goroutines.Scheduling.Goroutine.Running?.Id ?? 0));
            Assert.True(timer.C.IsNil, "An AfterFunc timer has no channel.");

            long id = await ran.ReceiveAsync();
            Assert.Equal(Second, Clock.Since(start));
            Assert.NotEqual(0, id);
            Assert.NotEqual(Go.CurrentGoroutineId, id);
            Assert.False(timer.Stop(), "Stop after the function started should report it fired.");
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task AfterFunc_FiredByAnotherThread_RunsInTheCallersExecutionContext()
    {
        // The firing thread is the test's own, with a value of its own: a runtime clock the test advances.
        using var clock = FakeRuntimeClock.Install();
        var flowed = new AsyncLocal<string?>();
        var seen = new Chan<string?>(1);
        flowed.Value = "registrant";
        Clock.AfterFunc(Second, () => seen.TrySend(flowed.Value));
        flowed.Value = null;

        // The thread that fires the timer has a value of its own, which must not leak into the function.
        await Task.Run(() =>
        {
            flowed.Value = "firing thread";
            clock.Advance(Second);
        });

        Assert.Equal("registrant", await GoTest.RunAsync(async () => await seen.ReceiveAsync()));
    }

    [Fact]
    public async Task AfterFunc_StoppedBeforeFiring_NeverRuns()
    {
        int runs = 0;
        await SyncTest.RunAsync(async () =>
        {
            Timer timer = Clock.AfterFunc(Second, () => Interlocked.Increment(ref runs));

            Assert.True(timer.Stop());
            await Clock.SleepAsync(Second * 5);
        }).WaitAsync(TestTimeouts.Default);

        Assert.Equal(0, Volatile.Read(ref runs));
    }

    [Fact]
    public void AfterFunc_NullFunction_Throws() =>
        Assert.Throws<ArgumentNullException>(() => Clock.AfterFunc(Second, null!));

    [Fact]
    public async Task After_DurationPassed_ChannelReceivesOnce()
    {
        await SyncTest.RunAsync(async () =>
        {
            Instant start = Clock.Now();
            ReceiveOnlyChan<DateTimeOffset> after = Clock.After(Second);

            DateTimeOffset received = await after.ReceiveAsync();
            Assert.Equal(Second, Clock.Since(start));
            Assert.Equal(Clock.Provider.GetUtcNow(), received);

            await Clock.SleepAsync(Second * 5);
            Assert.False(after.TryReceive(out _), "After sent more than once.");
        }).WaitAsync(TestTimeouts.Default);
    }
}
