// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;

using Goroutines.Time;

using Xunit;

namespace Goroutines.Tests.Time;

public sealed class TimerHeapTests
{
    [Fact]
    public void TryTakeDue_RandomSchedulesMovesAndRemovals_TakesInDeadlineOrder()
    {
        var random = new Random(11);
        var heap = new TimerHeap();
        var queued = new Dictionary<TestTimer, long>();
        TestTimer[] timers = Enumerable.Range(0, 300).Select(_ => new TestTimer(heap)).ToArray();

        for (int step = 0; step < 20_000; step++)
        {
            TestTimer timer = timers[random.Next(timers.Length)];
            if (random.Next(4) == 0)
            {
                Assert.Equal(queued.Remove(timer), heap.Remove(timer));
            }
            else
            {
                long when = random.Next(1_000_000);
                heap.Schedule(timer, when, 0, 0);
                queued[timer] = when;
            }

            Assert.Equal(queued.Count == 0 ? long.MaxValue : queued.Values.Min(), heap.NextWhen);
        }

        long previous = long.MinValue;
        while (heap.TryTakeDue(long.MaxValue - 1, out object? taken, out _, out _))
        {
            Assert.True(queued.Remove((TestTimer)taken!, out long when), "A timer came out that was not queued.");
            Assert.True(when >= previous, "Timers came out of deadline order.");
            Assert.Equal(-1, ((TestTimer)taken!).HeapIndex);
            previous = when;
        }

        Assert.Empty(queued);
        Assert.Equal(long.MaxValue, heap.NextWhen);
    }

    [Fact]
    public void TryTakeDue_NotDue_TakesNothing()
    {
        var heap = new TimerHeap();
        heap.Schedule(new TestTimer(heap), 100, 0, 0);

        Assert.False(heap.TryTakeDue(99, out _, out _, out _));
        Assert.True(heap.TryTakeDue(100, out _, out _, out long dueWhen));
        Assert.Equal(100, dueWhen);
    }

    [Fact]
    public void TryTakeDue_Periodic_RequeuesAtTheNextPeriodAfterNow()
    {
        var heap = new TimerHeap();
        var timer = new TestTimer(heap);
        heap.Schedule(timer, 10, 10, 3);

        Assert.True(heap.TryTakeDue(35, out object? taken, out uint sequence, out long dueWhen));
        Assert.Equal(10, dueWhen);
        Assert.Same(timer, taken);
        Assert.Equal(3u, sequence);
        Assert.Equal(40, heap.NextWhen);
    }

    [Fact]
    public void Rebase_ShiftsEveryDeadlineAndPeriod()
    {
        var heap = new TimerHeap();
        var oneShot = new TestTimer(heap);
        var periodic = new TestTimer(heap);
        heap.Schedule(oneShot, 100, 0, 0);
        heap.Schedule(periodic, 50, 20, 0);

        heap.Rebase(when => (when * 10) + 7, period => period * 10);

        Assert.Equal(507, heap.NextWhen);
        Assert.Equal(1007, oneShot.When);
        Assert.Equal(200, periodic.Period);
    }

    private sealed class TestTimer : RuntimeTimer
    {
        public TestTimer(TimerHeap heap) => Heap = heap;

        public override void Fire(uint sequence, long lateness)
        {
        }
    }
}
