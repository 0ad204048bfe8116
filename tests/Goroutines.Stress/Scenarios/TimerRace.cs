// Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Sync;
using Goroutines.Time;

namespace Goroutines.Stress.Scenarios;

/// <summary>
/// AfterFunc timers of 0 to 2 ms, stopped and reset from several goroutines at once while they
/// come due. Go's rules make the count exact: every arming (the creation, each Reset) fires once
/// unless a Stop or a Reset that returned true took it back first. So once every timer is
/// stopped at the end and the functions that did start have run, the runs must equal the
/// armings minus the take-backs: never more (a stopped timer that fired), never fewer (a lost one).
/// </summary>
internal static class TimerRace
{
    public static async Task<long> RunAsync(Random random)
    {
        int timers = random.Next(10, 500);
        int racers = random.Next(1, 9);
        int operations = random.Next(100, 2_000);
        long runs = 0;
        long armings = timers;
        long takenBack = 0;
        var all = new Time.Timer[timers];
        for (int i = 0; i < timers; i++)
        {
            all[i] = Clock.AfterFunc(Delay(random), () => Interlocked.Increment(ref runs));
        }

        var racing = new WaitGroup();
        for (int r = 0; r < racers; r++)
        {
            var choices = new Random(random.Next());
            racing.Go(async () =>
            {
                for (int i = 0; i < operations; i++)
                {
                    Time.Timer timer = all[choices.Next(timers)];
                    if (choices.Next(2) == 0)
                    {
                        if (timer.Stop())
                        {
                            Interlocked.Increment(ref takenBack);
                        }
                    }
                    else
                    {
                        Interlocked.Increment(ref armings);
                        if (timer.Reset(Delay(choices)))
                        {
                            Interlocked.Increment(ref takenBack);
                        }
                    }

                    if (choices.Next(16) == 0)
                    {
                        await Clock.SleepAsync(TimeSpan.FromMilliseconds(1));
                    }
                }
            });
        }

        await racing.WaitAsync();
        foreach (Time.Timer timer in all)
        {
            if (timer.Stop())
            {
                takenBack++;
            }
        }

        long expected = armings - takenBack;
        for (int waited = 0; Interlocked.Read(ref runs) < expected && waited < 10_000; waited++)
        {
            await Clock.SleepAsync(TimeSpan.FromMilliseconds(1)); // fired timers' goroutines still to run
        }

        StressFailure.Check(Interlocked.Read(ref runs) == expected, $"{timers} timers, {armings} armings, {takenBack} taken back: {runs} runs, {expected} expected");
        return armings;
    }

    private static TimeSpan Delay(Random random) => TimeSpan.FromMicroseconds(random.Next(0, 2_000));
}
