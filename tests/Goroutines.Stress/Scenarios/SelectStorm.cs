// Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Sync;

namespace Goroutines.Stress.Scenarios;

/// <summary>
/// Goroutines run selects over random subsets of a few channels (unbuffered and buffered), each
/// case a send of a value unique to the run or a receive, some rounds with a default case, and
/// every round with a receive from a stop channel. A coordinator closes stop once enough rounds
/// have committed, or when none committed for a millisecond (the workers' random cases can leave
/// them all parked on one another, a deadlock of the workload, not of the runtime). Conservation must hold: every value sent was received exactly once (counts, sums and
/// sums of squares agree, after draining what the buffers still hold), and each round committed
/// exactly one case.
/// </summary>
internal static class SelectStorm
{
    public static async Task<long> RunAsync(Random random)
    {
        int channelCount = random.Next(1, 6);
        int workers = random.Next(2, 17);
        long roundsWanted = random.Next(20_000, 200_000);
        var channels = new Chan<long>[channelCount];
        for (int i = 0; i < channelCount; i++)
        {
            channels[i] = new Chan<long>(random.Next(2) == 0 ? 0 : random.Next(1, 9));
        }

        var stop = new Chan<bool>();
        var totals = new Totals();
        long commits = 0;
        long rounds = 0;
        var all = new WaitGroup();
        for (int w = 0; w < workers; w++)
        {
            var choices = new Random(random.Next());
            long worker = w;
            all.Go(async () =>
            {
                var select = new Select();
                bool[] isSend = new bool[channelCount + 2];
                int[] target = new int[channelCount + 2];
                long[] values = new long[channelCount + 2];
                long next = 0;
                while (true)
                {
                    int cases = 0;
                    int caseCount = choices.Next(1, channelCount + 1);
                    for (int c = 0; c < caseCount; c++)
                    {
                        int ch = choices.Next(channelCount);
                        target[cases] = ch;
                        isSend[cases] = choices.Next(2) == 0;
                        if (isSend[cases])
                        {
                            values[cases] = (worker << 40) | next++;
                            select.Send(channels[ch], values[cases]);
                        }
                        else
                        {
                            select.Receive(channels[ch]);
                        }

                        cases++;
                    }

                    int stopCase = cases;
                    select.Receive(stop);
                    bool withDefault = choices.Next(4) == 0;
                    if (withDefault)
                    {
                        select.Default();
                    }

                    int chosen = await select.WaitAsync();
                    Interlocked.Increment(ref rounds);
                    if (chosen == stopCase)
                    {
                        return;
                    }

                    if (chosen < cases)
                    {
                        Interlocked.Increment(ref commits);
                        if (isSend[chosen])
                        {
                            totals.Sent(values[chosen]);
                        }
                        else
                        {
                            totals.Received(select.Received<long>());
                        }
                    }
                    else if (!withDefault || chosen != stopCase + 1)
                    {
                        throw new StressFailure($"A select of {cases + 1} cases and {(withDefault ? "a" : "no")} default chose case {chosen}.");
                    }

                }
            });
        }

        long seen = -1;
        while (true)
        {
            await Time.Clock.SleepAsync(TimeSpan.FromMilliseconds(1));
            long now = Interlocked.Read(ref commits);
            if (now >= roundsWanted || now == seen)
            {
                stop.Close();
                break;
            }

            seen = now;
        }

        await all.WaitAsync();
        foreach (Chan<long> channel in channels)
        {
            while (channel.TryReceive(out long value))
            {
                totals.Received(value);
            }
        }

        StressFailure.Check(totals.Balanced,
            $"{workers} workers over {channelCount} channels, {rounds} rounds: {totals}");
        return commits;
    }

    /// <summary>Counts, sums and sums of squares of the values sent and received.</summary>
    private sealed class Totals
    {
        private long _sentCount, _sentSum, _sentSquares, _receivedCount, _receivedSum, _receivedSquares;

        public bool Balanced =>
            _sentCount == _receivedCount && _sentSum == _receivedSum && _sentSquares == _receivedSquares;

        public void Sent(long value)
        {
            Interlocked.Increment(ref _sentCount);
            Interlocked.Add(ref _sentSum, value);
            Interlocked.Add(ref _sentSquares, unchecked(value * value));
        }

        public void Received(long value)
        {
            Interlocked.Increment(ref _receivedCount);
            Interlocked.Add(ref _receivedSum, value);
            Interlocked.Add(ref _receivedSquares, unchecked(value * value));
        }

        public override string ToString() =>
            $"sent {_sentCount} (sum {_sentSum}), received {_receivedCount} (sum {_receivedSum})";
    }
}
