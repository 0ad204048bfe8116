// Licensed under the MIT License.

using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Tests.TestSupport;
using Goroutines.Time;

using Xunit;

using Timer = Goroutines.Time.Timer;

namespace Goroutines.Tests.Time;

public sealed class TimerTests : RuntimeTest
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public void C_DurationPassed_ReceivesTheClockTimeOfFiring()
    {
        using var clock = FakeClock.Install();
        var timer = new Timer(Second);

        clock.Advance(Second - TimeSpan.FromTicks(1));
        Assert.False(timer.C.TryReceive(out _), "The timer fired before its duration passed.");

        clock.Advance(TimeSpan.FromTicks(1));
        Assert.True(timer.C.TryReceive(out DateTimeOffset fired), "The timer did not fire when its duration passed.");
        Assert.Equal(clock.GetUtcNow(), fired);
        Assert.False(timer.Stop(), "Stop after the value was received should report the timer already fired.");
    }

    [Fact]
    public void C_FiredLate_ReceivesTheTimeItWasDue()
    {
        using var clock = FakeClock.Install();
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
        using var clock = FakeClock.Install();
        var timer = new Timer(TimeSpan.FromSeconds(seconds));

        // Due now: the scheduler's rounds or the monitor fire it without the clock moving.
        DateTimeOffset fired = await GoTest.RunAsync(async () => await timer.C.ReceiveAsync());
        Assert.Equal(clock.GetUtcNow(), fired);
    }

    [Fact]
    public void Stop_BeforeFiring_ReturnsTrueAndNothingIsEverSent()
    {
        using var clock = FakeClock.Install();
        var timer = new Timer(Second);

        Assert.True(timer.Stop());
        clock.Advance(Second * 10);

        Assert.False(timer.C.TryReceive(out _));
        Assert.False(timer.Stop(), "A second Stop should report the timer already stopped.");
    }

    [Fact]
    public void Stop_FiredButNotReceived_ReturnsTrueAndTakesTheValueBack()
    {
        using var clock = FakeClock.Install();
        var timer = new Timer(Second);
        clock.Advance(Second);

        // Go 1.23: the channel is synchronous in effect, so an unreceived value was never sent.
        Assert.True(timer.Stop());
        Assert.False(timer.C.TryReceive(out _), "A stale value was received after Stop returned.");
    }

    [Fact]
    public void Reset_FiredButNotReceived_DropsTheStaleValueAndFiresAgainLater()
    {
        using var clock = FakeClock.Install();
        var timer = new Timer(Second);
        clock.Advance(Second);
        DateTimeOffset resetAt = clock.GetUtcNow();

        Assert.True(timer.Reset(Second * 2));
        Assert.False(timer.C.TryReceive(out _), "A value from before Reset was received after it.");

        clock.Advance(Second);
        Assert.False(timer.C.TryReceive(out _), "The reset timer fired early.");
        clock.Advance(Second);
        Assert.True(timer.C.TryReceive(out DateTimeOffset fired));
        Assert.Equal(resetAt + (Second * 2), fired);
    }

    [Fact]
    public void Reset_StoppedTimer_ReturnsFalseAndRestartsIt()
    {
        using var clock = FakeClock.Install();
        var timer = new Timer(Second);
        timer.Stop();

        Assert.False(timer.Reset(Second));
        clock.Advance(Second);

        Assert.True(timer.C.TryReceive(out _));
    }

    [Fact]
    public void Reset_ActiveTimer_ReturnsTrueAndMovesTheDeadline()
    {
        using var clock = FakeClock.Install();
        var timer = new Timer(Second);

        Assert.True(timer.Reset(Second * 3));
        clock.Advance(Second * 2);
        Assert.False(timer.C.TryReceive(out _), "The timer fired at its old deadline.");

        clock.Advance(Second);
        Assert.True(timer.C.TryReceive(out _));
    }

    [Fact]
    public async Task Reset_RacingTheFiring_NeverLetsTheOldValueThrough()
    {
        // One thread advances the clock past the deadline (firing the timer) while another resets
        // it far ahead. Whichever wins, once both returned: no value from the first deadline is
        // receivable, Reset saw the timer active, and the reset deadline fires exactly once.
        using var clock = FakeClock.Install();
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
        // The fake clock, as Microsoft's FakeTimeProvider, runs a timer changed to "due now" inside
        // the Change call, so firing runtime timers (taking their monitors) may happen on any thread
        // that arms the clock. Threads resetting timers to zero and advancing the clock at once
        // must all finish.
        using var clock = FakeClock.Install();
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
        using var clock = FakeClock.Install();
        var timer = new Timer(TimeSpan.FromDays(100));

        clock.Advance(TimeSpan.FromDays(99));
        Assert.False(timer.C.TryReceive(out _));
        clock.Advance(TimeSpan.FromDays(1));
        Assert.True(timer.C.TryReceive(out _), "A timer beyond the provider timer's range did not fire.");
    }

    [Fact]
    public async Task C_InSelect_TimesOutAWaitingReceive()
    {
        using var clock = FakeClock.Install();
        var never = new Chan<int>();
        var timer = new Timer(Second);
        Task<int> chosen = GoTest.Start(async () => await new Select().Receive(never).Receive(timer.C).WaitAsync());

        clock.Advance(Second);

        Assert.Equal(1, await chosen.Within(what: "the select to take the timeout"));
    }

    [Fact]
    public async Task AfterFunc_DurationPassed_RunsTheFunctionInItsOwnGoroutine()
    {
        using var clock = FakeClock.Install();
        var ran = new Chan<long>(1);
        Timer timer = Clock.AfterFunc(Second, () => ran.TrySend(Goroutines.Scheduling.Goroutine.Running?.Id ?? 0));

        Assert.True(timer.C.IsNil, "An AfterFunc timer has no channel.");
        clock.Advance(Second);

        long id = await GoTest.RunAsync(async () => await ran.ReceiveAsync());
        Assert.NotEqual(0, id);
        Assert.False(timer.Stop(), "Stop after the function started should report it fired.");
    }

    [Fact]
    public async Task AfterFunc_FiredByAnotherThread_RunsInTheCallersExecutionContext()
    {
        using var clock = FakeClock.Install();
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
    public void AfterFunc_StoppedBeforeFiring_NeverRuns()
    {
        using var clock = FakeClock.Install();
        int runs = 0;
        Timer timer = Clock.AfterFunc(Second, () => Interlocked.Increment(ref runs));

        Assert.True(timer.Stop());
        clock.Advance(Second * 5);

        Assert.Equal(0, Volatile.Read(ref runs));
    }

    [Fact]
    public void AfterFunc_NullFunction_Throws() =>
        Assert.Throws<ArgumentNullException>(() => Clock.AfterFunc(Second, null!));

    [Fact]
    public async Task After_DurationPassed_ChannelReceivesOnce()
    {
        using var clock = FakeClock.Install();
        ReceiveOnlyChan<DateTimeOffset> after = Clock.After(Second);
        Task<DateTimeOffset> received = GoTest.Start(async () => await after.ReceiveAsync());

        clock.Advance(Second);

        Assert.Equal(clock.GetUtcNow(), await received.Within(what: "the value of After"));
        clock.Advance(Second * 5);
        Assert.False(after.TryReceive(out _), "After sent more than once.");
    }
}
