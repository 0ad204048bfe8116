// Licensed under the MIT License.

using System;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Sync;
using Goroutines.Testing;
using Goroutines.Tests.TestSupport;
using Goroutines.Time;

using Xunit;

namespace Goroutines.Tests.Time;

/// <summary>
/// Go's tickers, in bubbles (<see cref="SyncTest"/>): every tick is asserted at its exact virtual
/// instant. A clock that jumps several periods past a tick at once is the runtime's path on a
/// replaced clock (<see cref="FakeRuntimeClock"/>): a bubble's time stops at every tick.
/// </summary>
public sealed class TickerTests : RuntimeTest
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan HalfASecond = TimeSpan.FromSeconds(0.5);

    [Fact]
    public async Task C_EveryPeriod_ReceivesATick()
    {
        await SyncTest.RunAsync(async () =>
        {
            Instant start = Clock.Now();
            var ticker = new Ticker(Second);

            for (int tick = 1; tick <= 5; tick++)
            {
                DateTimeOffset at = await ticker.C.ReceiveAsync();
                Assert.Equal(Second * tick, Clock.Since(start));
                Assert.Equal(Clock.Provider.GetUtcNow(), at);
                Assert.False(ticker.C.TryReceive(out _), $"Tick {tick} came twice.");
            }

            ticker.Stop();
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task C_SlowReceiver_MissesTicksInsteadOfQueueingThem()
    {
        await SyncTest.RunAsync(async () =>
        {
            Instant start = Clock.Now();
            var ticker = new Ticker(Second);

            await Clock.SleepAsync((Second * 5) + HalfASecond); // five ticks came meanwhile

            Assert.True(ticker.C.TryReceive(out _));
            Assert.False(ticker.C.TryReceive(out _), "A slow receiver found more than one tick waiting.");

            // The next tick keeps the original cadence.
            await ticker.C.ReceiveAsync();
            Assert.Equal(Second * 6, Clock.Since(start));
            ticker.Stop();
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public void C_ClockJumpsSeveralPeriods_NextTickStaysOnTheGrid()
    {
        using var clock = FakeRuntimeClock.Install();
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
    public async Task Stop_UnreceivedTick_IsDroppedAndNoMoreCome()
    {
        await SyncTest.RunAsync(async () =>
        {
            var ticker = new Ticker(Second);
            await Clock.SleepAsync(Second + HalfASecond); // a tick came at 1 s, and nobody received

            ticker.Stop();
            await Clock.SleepAsync(Second * 5);

            Assert.False(ticker.C.TryReceive(out _), "A tick was received after Stop returned.");
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task Dispose_StopsTheTicker()
    {
        await SyncTest.RunAsync(async () =>
        {
            Instant start = Clock.Now();
            var ticker = new Ticker(Second);
            using (ticker)
            {
                await ticker.C.ReceiveAsync();
                Assert.Equal(Second, Clock.Since(start));
            }

            await Clock.SleepAsync(Second * 3);
            Assert.False(ticker.C.TryReceive(out _), "A disposed ticker kept ticking.");
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task Reset_NewPeriod_DropsTheStaleTickAndTicksAtTheNewPace()
    {
        await SyncTest.RunAsync(async () =>
        {
            var ticker = new Ticker(Second);
            await Clock.SleepAsync(Second + HalfASecond); // a tick came at 1 s, and nobody received
            Instant resetAt = Clock.Now();

            ticker.Reset(Second * 3);
            Assert.False(ticker.C.TryReceive(out _), "A tick from before Reset was received after it.");

            await Clock.SleepAsync((Second * 3) - TimeSpan.FromTicks(1));
            Assert.False(ticker.C.TryReceive(out _), "The ticker kept its old period.");
            await ticker.C.ReceiveAsync();
            Assert.Equal(Second * 3, Clock.Since(resetAt));
            await ticker.C.ReceiveAsync();
            Assert.Equal(Second * 6, Clock.Since(resetAt));
            ticker.Stop();
        }).WaitAsync(TestTimeouts.Default);
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
        await SyncTest.RunAsync(async () =>
        {
            DateTimeOffset start = Clock.Provider.GetUtcNow();
            ReceiveOnlyChan<DateTimeOffset> ticks = Clock.Tick(Second);
            var received = new Chan<DateTimeOffset>(3);
            var receiver = new WaitGroup();
            receiver.Go(async () =>
            {
                for (int i = 0; i < 3; i++)
                {
                    await received.SendAsync(await ticks.ReceiveAsync());
                }
            });

            for (int i = 1; i <= 3; i++)
            {
                Assert.Equal(start + (Second * i), await received.ReceiveAsync());
            }

            await receiver.WaitAsync();
        }).WaitAsync(TestTimeouts.Default);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Tick_NonPositivePeriod_ReturnsTheNilChannel(int seconds) =>
        Assert.True(Clock.Tick(TimeSpan.FromSeconds(seconds)).IsNil);
}
