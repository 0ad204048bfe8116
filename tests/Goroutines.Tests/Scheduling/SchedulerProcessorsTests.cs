// Licensed under the MIT License.

using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Scheduling;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Scheduling;

public sealed class SchedulerProcessorsTests : RuntimeTest
{
    [Fact]
    public async Task SetMaxProcs_One_GoroutinesStartedAfterwardsNeverRunTogether()
    {
        const int workers = 8;
        const int rounds = 50;
        Settings.SetMaxProcs(1);
        int running = 0;
        int maxRunning = 0;
        int sections = 0;

        await GoTest.RunAsync(async () =>
        {
            // Shrinking is lazy: a processor beyond the limit retires when its machine returns
            // to the scheduler. One round through the scheduler, then the workers.
            await Go.YieldAsync();
            var workersDone = new Task[workers];
            for (int w = 0; w < workers; w++)
            {
                workersDone[w] = GoTest.Start(async () =>
                {
                    for (int r = 0; r < rounds; r++)
                    {
                        int now = Interlocked.Increment(ref running);
                        int seen = Volatile.Read(ref maxRunning);
                        while (now > seen && Interlocked.CompareExchange(ref maxRunning, now, seen) != seen)
                        {
                            seen = Volatile.Read(ref maxRunning);
                        }

                        Thread.SpinWait(100);
                        Interlocked.Increment(ref sections);
                        Interlocked.Decrement(ref running);
                        await Go.YieldAsync();
                    }
                });
            }

            await Task.WhenAll(workersDone).WaitAsync(TestTimeouts.Default);
        });

        Assert.Equal(workers * rounds, Volatile.Read(ref sections));
        Assert.Equal(1, Volatile.Read(ref maxRunning));
    }

    [Fact]
    public async Task SetMaxProcs_Two_TwoGoroutinesRunAtOnceOnDifferentProcessors()
    {
        // Each goroutine holds its processor (no await) until it has seen the other one
        // running. With one processor only sysmon's hand-off could let the second one in,
        // and it would hand over the same processor: the processor ids tell the two apart.
        Settings.SetMaxProcs(1);
        Assert.Equal(1, Settings.SetMaxProcs(2));
        Assert.Equal(2, Go.MaxProcs);
        bool[] started = new bool[2];
        int[] processors = new int[2];

        Task RunOne(int self) => GoTest.Start(() =>
        {
            processors[self] = Machine.Current!.Processor!.Id;
            Volatile.Write(ref started[self], true);
            GoTest.SpinUntil(() => Volatile.Read(ref started[1 - self]), "the other goroutine to run at the same time");
            Assert.Equal(processors[self], Machine.Current!.Processor?.Id);
            return Task.CompletedTask;
        });

        await Task.WhenAll(RunOne(0), RunOne(1)).Within(what: "two goroutines waiting for each other");
        Assert.NotEqual(processors[0], processors[1]);
        Assert.All(processors, id => Assert.InRange(id, 0, 1));
    }

    [Fact]
    public async Task SetMaxProcs_Grown_NewProcessorsRunGoroutines()
    {
        // Beyond the processors the runtime started with: the array grows, and the new
        // processors take part (four goroutines, each waiting for all four to be running).
        const int n = 4;
        Settings.SetMaxProcs(n);
        int started = 0;
        int[] processors = new int[n];
        var all = new Task[n];
        for (int i = 0; i < n; i++)
        {
            int self = i;
            all[i] = GoTest.Start(() =>
            {
                processors[self] = Machine.Current!.Processor!.Id;
                Interlocked.Increment(ref started);
                GoTest.SpinUntil(() => Volatile.Read(ref started) == n, $"{n} goroutines to run at the same time");
                return Task.CompletedTask;
            });
        }

        await Task.WhenAll(all).Within(what: $"{n} goroutines waiting for each other");
        Assert.Equal(n, processors.Distinct().Count());
        Assert.All(processors, id => Assert.InRange(id, 0, n - 1));
    }

    [Fact]
    public async Task SetMaxProcs_ShrinkAndGrowWhileMachinesWake_NoProcessorRunsOnTwoMachinesAtOnce()
    {
        // A processor is owned by one machine at a time. Goroutines spawned from a foreign
        // thread keep machines waking up and taking idle processors while GOMAXPROCS flips
        // between 1 and 2; every goroutine marks the processor it runs on as busy for a few
        // hundred nanoseconds, and finding the mark already set means two machines ran on one
        // processor. In a process of its own: two machines on one processor corrupt its run
        // queue, and what follows (lost goroutines, an exception on a machine thread that ends
        // the process) must not take the other tests down.
        string failure = await ScenarioProcess.RunAsync(Scenarios.FlipMaxProcsWhileSpawning);
        Assert.True(failure.Length == 0, failure);
    }

    [Fact]
    public async Task SetMaxProcs_SixteenThousandThenTwoThenBack_KeepsEveryProcessorsStateAndTheIdleListTrue()
    {
        // Shrinking used to remove each idle processor from the idle list by a walk of its own,
        // quadratic under the scheduler lock (16,000 -> 2 took seconds). A resize now touches
        // only the processors between the two counts and walks the idle list once; this checks
        // that the states it leaves are right. In a process of its own: 16,000 processors stay
        // allocated for the life of the runtime.
        string failure = await ScenarioProcess.RunAsync(Scenarios.ResizeThroughSixteenThousand);
        Assert.True(failure.Length == 0, failure);
    }

    /// <summary>Scenarios run in a <see cref="ScenarioProcess"/>: every Go call here reaches a fresh runtime.</summary>
    public static class Scenarios
    {
        public static string ResizeThroughSixteenThousand()
        {
            using var panics = new PanicCapture();
            foreach (int count in (int[])[16_000, 2, 5_000, 1, 3])
            {
                Go.SetMaxProcs(count);
                string? wrong = null;
                if (!Poll.Until(() => (wrong = CheckProcessors(count)) is null, TestTimeouts.Default)) // machines settle after a resize
                {
                    return $"After SetMaxProcs({count}): {wrong}";
                }

                int ran = RunGoroutines(100);
                if (ran != 100)
                {
                    return $"After SetMaxProcs({count}): {ran} of 100 goroutines ran.";
                }
            }

            Assert.Empty(panics.Captured);
            return string.Empty;
        }

        // The idle list holds exactly the idle processors, all below the count; every processor at
        // or above the count is retiring, none below.
        private static string? CheckProcessors(int count)
        {
            Scheduler scheduler = Scheduler.Instance;
            if (Go.MaxProcs != count)
            {
                return $"MaxProcs is {Go.MaxProcs}.";
            }

            Processor[] processors = scheduler.Processors;
            for (int i = 0; i < processors.Length; i++)
            {
                if (processors[i].Retiring != (i >= count))
                {
                    return $"P{i} has Retiring = {processors[i].Retiring}.";
                }

                if (i >= count && processors[i].Status == ProcessorStatus.Idle)
                {
                    return $"P{i}, beyond the count, is idle.";
                }
            }

            int idle = processors.Count(p => p.Status == ProcessorStatus.Idle);
            return scheduler.IdleProcessorCount == idle ? null : $"the idle count is {scheduler.IdleProcessorCount}, {idle} processors are idle.";
        }

        private static int RunGoroutines(int count)
        {
            int ran = 0;
            using var done = new CountdownEvent(count);
            for (int i = 0; i < count; i++)
            {
                Go.Run(() =>
                {
                    Interlocked.Increment(ref ran);
                    done.Signal();
                });
            }

            done.Wait(TestTimeouts.Default);
            return Volatile.Read(ref ran);
        }

        public static string FlipMaxProcsWhileSpawning()
        {
            // A sysmon hand-off legitimately leaves a stuck machine believing it still owns its
            // processor, so a round in which a hand-off happened is not counted.
            const int roundsWanted = 5;
            const int flipsPerRound = 2_000;
            using var panics = new PanicCapture();
            Go.SetMaxProcs(2);
            int cleanRounds = 0;
            int overlaps = 0;
            for (int attempt = 0; attempt < 4 * roundsWanted && cleanRounds < roundsWanted; attempt++)
            {
                long handoffsBefore = Go.ReadStatistics().Handoffs;
                int roundOverlaps = FlipRound(flipsPerRound);
                if (Go.ReadStatistics().Handoffs == handoffsBefore)
                {
                    cleanRounds++;
                    overlaps += roundOverlaps;
                }

                if (overlaps > 0)
                {
                    break;
                }

                Assert.Equal(2, Go.MaxProcs);
                foreach (Processor processor in Scheduler.Instance.Processors.Take(2))
                {
                    Assert.True(processor.Status != ProcessorStatus.Retired, $"P{processor.Id} stayed retired after GOMAXPROCS went back to 2.");
                }
            }

            Assert.Empty(panics.Captured);
            Assert.True(cleanRounds > 0, "Every round had a sysmon hand-off; none could be judged.");
            return overlaps == 0 ? string.Empty : $"{overlaps} time(s) two goroutines ran on one processor at once, in {cleanRounds} round(s) without hand-offs";
        }

        private static int FlipRound(int flips)
        {
            int[] busy = new int[Scheduler.Instance.Processors.Length];
            int overlaps = 0;
            int live = 0;
            bool stop = false;
            var spawner = new Thread(() =>
            {
                while (!Volatile.Read(ref stop))
                {
                    if (Volatile.Read(ref live) > 64)
                    {
                        Thread.Yield();
                        continue;
                    }

                    Interlocked.Increment(ref live);
                    Go.Run(() =>
                    {
                        if (Machine.Current!.Processor is { } processor && processor.Id < busy.Length)
                        {
                            if (Interlocked.Exchange(ref busy[processor.Id], 1) != 0)
                            {
                                Interlocked.Increment(ref overlaps);
                            }

                            Thread.SpinWait(20);
                            Volatile.Write(ref busy[processor.Id], 0);
                        }

                        Interlocked.Decrement(ref live);
                    });
                }
            })
            { IsBackground = true, Name = "foreign spawner" };
            spawner.Start();
            try
            {
                for (int i = 0; i < flips; i++)
                {
                    Go.SetMaxProcs(1);
                    Thread.SpinWait(i % 200);
                    Go.SetMaxProcs(2);
                    Thread.SpinWait(i % 300);
                }
            }
            finally
            {
                Volatile.Write(ref stop, true);
                Assert.True(spawner.Join(TestTimeouts.Default), "The spawning thread did not stop.");
            }

            // A goroutine lost to a corrupted run queue never finishes: bounded, and reported as such.
            Assert.True(Poll.Until(() => Volatile.Read(ref live) == 0, TimeSpan.FromSeconds(5)), $"{Volatile.Read(ref live)} goroutines never finished (after {Volatile.Read(ref overlaps)} overlap(s)).");
            return Volatile.Read(ref overlaps);
        }
    }
}
