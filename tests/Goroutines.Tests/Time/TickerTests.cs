// Licensed under the MIT License.

using System;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Scheduling;
using Goroutines.Tests.TestSupport;
using Goroutines.Time;

using Xunit;

namespace Goroutines.Tests.Time;

public sealed class TickerTests : RuntimeTest
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public void C_EveryPeriod_ReceivesATick()
    {
        using var clock = FakeClock.Install();
        var ticker = new Ticker(Second);

        for (int tick = 1; tick <= 5; tick++)
        {
            clock.Advance(Second);
            Assert.True(ticker.C.TryReceive(out DateTimeOffset at), $"Tick {tick} did not come.");
            Assert.Equal(clock.GetUtcNow(), at);
            Assert.False(ticker.C.TryReceive(out _), $"Tick {tick} came twice.");
        }

        ticker.Stop();
    }

    [Fact]
    public void C_SlowReceiver_MissesTicksInsteadOfQueueingThem()
    {
        using var clock = FakeClock.Install();
        var ticker = new Ticker(Second);

        for (int i = 0; i < 5; i++)
        {
            clock.Advance(Second);
        }

        Assert.True(ticker.C.TryReceive(out _));
        Assert.False(ticker.C.TryReceive(out _), "A slow receiver found more than one tick waiting.");

        // The next tick keeps the original cadence.
        clock.Advance(Second);
        Assert.True(ticker.C.TryReceive(out _));
        ticker.Stop();
    }

    [Fact]
    public void C_ClockJumpsSeveralPeriods_NextTickStaysOnTheGrid()
    {
        using var clock = FakeClock.Install();
        var ticker = new Ticker(Second);

        clock.Advance(TimeSpan.FromSeconds(3.5));
        Assert.True(ticker.C.TryReceive(out _));

        clock.Advance(TimeSpan.FromSeconds(0.4));
        Assert.False(ticker.C.TryReceive(out _), "The tick after a jump came before the next whole period.");
        clock.Advance(TimeSpan.FromSeconds(0.1));
        Assert.True(ticker.C.TryReceive(out _), "The tick after a jump did not come at the next whole period.");
        ticker.Stop();
    }

    [Fact]
    public void Stop_UnreceivedTick_IsDroppedAndNoMoreCome()
    {
        using var clock = FakeClock.Install();
        var ticker = new Ticker(Second);
        clock.Advance(Second);

        ticker.Stop();
        clock.Advance(Second * 5);

        Assert.False(ticker.C.TryReceive(out _), "A tick was received after Stop returned.");
    }

    [Fact]
    public void Dispose_StopsTheTicker()
    {
        using var clock = FakeClock.Install();
        var ticker = new Ticker(Second);
        using (ticker)
        {
            clock.Advance(Second);
            Assert.True(ticker.C.TryReceive(out _));
        }

        clock.Advance(Second * 3);
        Assert.False(ticker.C.TryReceive(out _), "A disposed ticker kept ticking.");
    }

    [Fact]
    public void Reset_NewPeriod_DropsTheStaleTickAndTicksAtTheNewPace()
    {
        using var clock = FakeClock.Install();
        var ticker = new Ticker(Second);
        clock.Advance(Second);

        ticker.Reset(Second * 3);
        Assert.False(ticker.C.TryReceive(out _), "A tick from before Reset was received after it.");

        clock.Advance(Second * 2);
        Assert.False(ticker.C.TryReceive(out _), "The ticker kept its old period.");
        clock.Advance(Second);
        Assert.True(ticker.C.TryReceive(out _));
        clock.Advance(Second * 3);
        Assert.True(ticker.C.TryReceive(out _));
        ticker.Stop();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Constructor_NonPositivePeriod_ThrowsWithGosMessage(int seconds)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Ticker(TimeSpan.FromSeconds(seconds)));
        Assert.StartsWith("non-positive interval for NewTicker", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reset_NonPositivePeriod_ThrowsWithGosMessage()
    {
        var ticker = new Ticker(Second);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ticker.Reset(TimeSpan.Zero));
        Assert.StartsWith("non-positive interval for Ticker.Reset", error.Message, StringComparison.Ordinal);
        ticker.Stop();
    }

    [Fact]
    public async Task Tick_GoroutineReceivingInALoop_GetsATickPerPeriod()
    {
        using var clock = FakeClock.Install();
        ReceiveOnlyChan<DateTimeOffset> ticks = Clock.Tick(Second);
        var received = new Chan<DateTimeOffset>(3);
        Spawned receiver = await Spawned.StartAsync(async () =>
        {
            for (int i = 0; i < 3; i++)
            {
                await received.SendAsync(await ticks.ReceiveAsync());
            }
        });

        for (int i = 1; i <= 3; i++)
        {
            receiver.WaitUntilParked(WaitReason.ChanReceive);
            clock.Advance(Second);
            Assert.Equal(clock.GetUtcNow(), await GoTest.RunAsync(async () => await received.ReceiveAsync()));
        }

        await receiver.Completion.Within(what: "the receiver of three ticks");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Tick_NonPositivePeriod_ReturnsTheNilChannel(int seconds) =>
        Assert.True(Clock.Tick(TimeSpan.FromSeconds(seconds)).IsNil);
}
