// Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Sync;
using Goroutines.Time;

namespace Goroutines.Stress.Scenarios;

/// <summary>
/// Senders, receivers and selects (a send case and a receive case on the channel) pile up on
/// one channel, parked or not, and the channel is closed under them at a moment drawn from the
/// seed. Every parked sender must fail with Go's send-on-closed-channel panic, every receiver
/// must end with ok = false once the buffer is drained, nothing may hang, and every value a send
/// delivered must have been received exactly once: sent == received.
/// </summary>
internal static class CloseStorm
{
    public static Task<long> RunAsync(Random random) => Repeated.RunAsync(random, 20, 200, StormAsync);

    private static async Task<long> StormAsync(Random random)
    {
        int senders = random.Next(0, 17);
        int receivers = random.Next(1, 17);
        int selectors = random.Next(0, 17);
        int capacity = random.Next(3) == 0 ? random.Next(1, 5) : 0;
        var channel = new Chan<int>(capacity);
        long sent = 0;
        long received = 0;
        var all = new WaitGroup();

        for (int i = 0; i < senders; i++)
        {
            // Bounded, as the selects below: senders and receivers that hand values to each other
            // forever would keep the closer waiting for its turn under GOMAXPROCS 1.
            int values = random.Next(1, 2_000);
            all.Go(async () =>
            {
                try
                {
                    for (int value = 0; value < values; value++)
                    {
                        await channel.SendAsync(1);
                        Interlocked.Increment(ref sent);
                    }
                }
                catch (ChannelClosedException)
                {
                    // Go's panic for a send on (or parked when) the channel closed.
                }
            });
        }

        for (int i = 0; i < receivers; i++)
        {
            all.Go(async () =>
            {
                while ((await channel.ReceiveWithOkAsync()).Ok)
                {
                    Interlocked.Increment(ref received);
                }
            });
        }

        for (int i = 0; i < selectors; i++)
        {
            // On a buffered channel a select can always send to itself or receive from itself, and
            // never parks: bounded too.
            int rounds = random.Next(100, 2_000);
            all.Go(async () =>
            {
                var select = new Select();
                try
                {
                    for (int round = 0; round < rounds; round++)
                    {
                        if (await select.Send(channel, 1).Receive(channel).WaitAsync() == 0)
                        {
                            Interlocked.Increment(ref sent);
                        }
                        else if (select.ReceivedOk)
                        {
                            Interlocked.Increment(ref received);
                        }
                        else
                        {
                            return;
                        }
                    }
                }
                catch (ChannelClosedException)
                {
                    // The send case was chosen on the closed channel.
                }
            });
        }

        switch (random.Next(3))
        {
            case 0:
                break; // at once: some have not started
            case 1:
                for (int i = random.Next(1, 50); i > 0; i--)
                {
                    await Go.YieldAsync();
                }

                break;
            default:
                await Clock.SleepAsync(TimeSpan.FromMilliseconds(random.Next(1, 3)));
                break;
        }

        channel.Close();
        await all.WaitAsync();
        while (channel.TryReceive(out _))
        {
            received++; // left in the buffer once every receiver had ended (none: receivers drain it)
        }

        StressFailure.Check(sent == received,
            $"{senders} senders, {receivers} receivers, {selectors} selects, capacity {capacity}: {sent} sent, {received} received");
        return sent;
    }
}
