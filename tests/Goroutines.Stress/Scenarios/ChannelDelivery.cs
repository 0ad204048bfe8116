// Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Sync;

namespace Goroutines.Stress.Scenarios;

/// <summary>
/// Producers send numbered values on one channel (unbuffered or buffered) through every form a
/// send has: SendAsync, TrySend with a yield, a select with a send case beside a receive case
/// that is never ready, and the blocking Send; consumers receive with every form a receive has
/// until the channel is closed. Each value must arrive exactly once, and each consumer must see
/// each producer's values in the order they were sent.
/// </summary>
internal static class ChannelDelivery
{
    public static async Task<long> RunAsync(Random random)
    {
        int producers = random.Next(1, 9);
        int consumers = random.Next(1, 9);
        int perProducer = random.Next(1_000, 20_000);
        int capacity = random.Next(3) == 0 ? 0 : random.Next(1, 65);
        var channel = new Chan<long>(capacity);
        var never = new Chan<long>();
        int[] seen = new int[producers * perProducer];
        int outOfOrder = 0;
        var sending = new WaitGroup();
        var receiving = new WaitGroup();

        for (int p = 0; p < producers; p++)
        {
            var choices = new Random(random.Next());
            long producer = p;
            sending.Go(async () =>
            {
                var select = new Select();
                for (long sequence = 0; sequence < perProducer; sequence++)
                {
                    long value = (producer << 32) | sequence;
                    switch (choices.Next(4))
                    {
                        case 0:
                            await channel.SendAsync(value);
                            break;
                        case 1:
                            while (!channel.TrySend(value))
                            {
                                await Go.YieldAsync();
                            }

                            break;
                        case 2:
                            await select.Send(channel, value).Receive(never).WaitAsync();
                            break;
                        default:
#pragma warning disable GOR003 // every form of send is exercised, the blocking one too
                            channel.Send(value); // blocks the thread, in a blocking region
#pragma warning restore GOR003
                            break;
                    }
                }
            });
        }

        for (int c = 0; c < consumers; c++)
        {
            var choices = new Random(random.Next());
            receiving.Go(async () =>
            {
                long[] last = new long[producers];
                Array.Fill(last, -1);
                var select = new Select();
                while (true)
                {
                    long value;
                    bool ok;
                    switch (choices.Next(3))
                    {
                        case 0:
                            (value, ok) = await channel.ReceiveWithOkAsync();
                            break;
                        case 1:
                            await select.Receive(channel).Receive(never).WaitAsync();
                            ok = select.ReceivedOk;
                            value = select.Received<long>();
                            break;
                        default:
#pragma warning disable GOR003 // every form of receive is exercised, the blocking one too
                            (value, ok) = channel.ReceiveWithOk(); // blocks the thread
#pragma warning restore GOR003
                            break;
                    }

                    if (!ok)
                    {
                        return;
                    }

                    int producer = (int)(value >> 32);
                    long sequence = value & uint.MaxValue;
                    if (sequence <= last[producer])
                    {
                        Interlocked.Increment(ref outOfOrder);
                    }

                    last[producer] = sequence;
                    Interlocked.Increment(ref seen[(producer * perProducer) + (int)sequence]);
                }
            });
        }

        await sending.WaitAsync();
        channel.Close();
        await receiving.WaitAsync();

        int lost = 0;
        int duplicated = 0;
        foreach (int count in seen)
        {
            lost += count == 0 ? 1 : 0;
            duplicated += count > 1 ? 1 : 0;
        }

        StressFailure.Check(lost == 0 && duplicated == 0 && outOfOrder == 0,
            $"{producers} producers x {perProducer} values to {consumers} consumers, capacity {capacity}: {lost} lost, {duplicated} duplicated, {outOfOrder} out of a producer's order");
        return (long)producers * perProducer;
    }
}
