// Licensed under the MIT License.

using System;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Testing;
using Goroutines.Tests.TestSupport;
using Goroutines.Time;

using Xunit;

namespace Goroutines.Tests.Testing;

public sealed class BubbleParkWindowTests : RuntimeTest
{
    private const int Rounds = 20_000;

    [Fact]
    public async Task RunAsync_PingPong_NeverReportsADeadlock()
    {
        await SyncTest.RunAsync(PingPongAsync).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task RunAsync_PingPongBesideASleeper_TimeStandsStill()
    {
        TimeSpan elapsed = TimeSpan.MaxValue;
        await SyncTest.RunAsync(async () =>
        {
            Instant start = Clock.Now();
            var stop = new Chan<int>();
            Go.Run(async () => await new Select().Receive(stop).Receive(Clock.After(TimeSpan.FromHours(1))).WaitAsync());
            await PingPongAsync();
            elapsed = Clock.Since(start); // nothing ever waited on time: the clock must not have moved
            stop.Close();
        }).WaitAsync(TestTimeouts.Default);

        Assert.Equal(TimeSpan.Zero, elapsed);
    }

    // Rounds of an unbuffered ping-pong with a second goroutine: every round parks one side while
    // the other readies it, the window the bubble's accounting must close.
    private static async Task PingPongAsync()
    {
        var ping = new Chan<int>();
        var pong = new Chan<int>();
        Go.Run(async () =>
        {
            for (int i = 0; i < Rounds; i++)
            {
                await pong.SendAsync(await ping.ReceiveAsync());
            }
        });

        for (int i = 0; i < Rounds; i++)
        {
            await ping.SendAsync(i);
            Assert.Equal(i, await pong.ReceiveAsync());
        }
    }
}
