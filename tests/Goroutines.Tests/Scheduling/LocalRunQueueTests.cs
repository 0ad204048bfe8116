// Licensed under the MIT License.

using System.Collections.Generic;
using System.Linq;
using System.Threading;

using Goroutines.Scheduling;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Scheduling;

// One processor's run queue on its own, with goroutine objects that are never scheduled: the
// test's thread is its owner, and a thread of the test's plays a thief with a queue of its own.
public sealed class LocalRunQueueTests
{
    private const int Pushes = 100_000;

    [Fact]
    public void PushNext_WhileAThiefStealsRunNextAndTheRing_EveryGoroutineIsTakenExactlyOnce()
    {
        // The owner fills runNext (by a plain store when it is empty, by an exchange that kicks the
        // previous occupant to the ring when it is not) and pops; the thief takes from the ring and,
        // when the ring is empty, runNext. Whoever takes a goroutine records it.
        var victim = new LocalRunQueue();
        var thiefQueue = new LocalRunQueue();
        var pushed = new List<Goroutine>();
        var takenByOwner = new List<Goroutine>();
        var takenByThief = new List<Goroutine>();
        var thiefTookOne = new ManualResetEventSlim();
        var ownerDone = new ManualResetEventSlim();

        var thief = new Thread(() =>
        {
            while (true)
            {
                bool finished = ownerDone.IsSet; // read before the attempt: a last sweep after the owner stops
                if (thiefQueue.TryStealInto(victim, stealRunNext: true) is { } stolen)
                {
                    takenByThief.Add(stolen);
                    while (thiefQueue.TryPop(out _) is { } more)
                    {
                        takenByThief.Add(more);
                    }

                    thiefTookOne.Set();
                }
                else if (finished)
                {
                    return;
                }
            }
        });
        thief.Start();

        // At least Pushes, and on until the thief has taken one (so the race was run), within the bound.
        var bound = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < Pushes || (!thiefTookOne.IsSet && bound.Elapsed < TestTimeouts.Default); i++)
        {
            var g = new Goroutine(i + 1, static () => { }, 0, "Create", null, 0, exitSignal: null, executionContext: null);
            pushed.Add(g);
            victim.Push(g, next: true, Scheduler.Instance);
            if (i % 2 == 1)
            {
                // Two pushes, then up to two pops: the ring never holds more than a few, so it
                // never overflows to the runtime's global queue.
                PopInto(victim, takenByOwner);
                PopInto(victim, takenByOwner);
            }
        }

        ownerDone.Set();
        Assert.True(thief.Join(TestTimeouts.Default), "the thief did not stop");
        Assert.True(thiefTookOne.IsSet, "the thief never took a goroutine: the race did not run");
        while (victim.TryPop(out _) is { } left)
        {
            takenByOwner.Add(left);
        }

        List<long> taken = [.. takenByOwner.Concat(takenByThief).Select(g => g.Id)];
        Assert.Equal(pushed.Count, taken.Count);
        Assert.Equal(pushed.Select(g => g.Id), taken.Order());
    }

    private static void PopInto(LocalRunQueue queue, List<Goroutine> taken)
    {
        if (queue.TryPop(out _) is { } g)
        {
            taken.Add(g);
        }
    }
}
