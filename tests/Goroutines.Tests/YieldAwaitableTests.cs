// Licensed under the MIT License.

using System.Threading;
using System.Threading.Tasks;

using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests;

public sealed class YieldAwaitableTests : RuntimeTest
{
    [Fact]
    public async Task YieldAsync_TwoGoroutinesOnOneProcessor_TheyInterleave()
    {
        // On one processor, each goroutine can only make progress while the other is
        // suspended in YieldAsync: the events can only come in this order if every yield
        // let the other goroutine run. (The flags say which event is due; a yield that did
        // not let the other run would stall its loop until the timeout.)
        Settings.SetMaxProcs(1);
        var order = new EventOrder();
        int stageA = 0;
        int stageB = 0;

        Task b = Task.CompletedTask;
        Task a = GoTest.Start(async () =>
        {
            order.Expect(1);
            b = GoTest.Start(async () =>
            {
                order.Expect(2);
                Volatile.Write(ref stageB, 1);
                await GoTest.YieldUntilAsync(() => Volatile.Read(ref stageA) >= 1, "A's second event");
                order.Expect(4);
                Volatile.Write(ref stageB, 2);
                await GoTest.YieldUntilAsync(() => Volatile.Read(ref stageA) >= 2, "A's third event");
                order.Finish(6);
            });
            await GoTest.YieldUntilAsync(() => Volatile.Read(ref stageB) >= 1, "B's first event");
            order.Expect(3);
            Volatile.Write(ref stageA, 1);
            await GoTest.YieldUntilAsync(() => Volatile.Read(ref stageB) >= 2, "B's second event");
            order.Expect(5);
            Volatile.Write(ref stageA, 2);
        });

        await order.AssertFinishedAsync();
        await a.Within(what: "goroutine A");
        await b.Within(what: "goroutine B");
    }

    [Fact]
    public async Task YieldAsync_InsideGoroutine_ResumesAsSameGoroutineWithSameContext()
    {
        await GoTest.RunAsync(async () =>
        {
            long id = Go.CurrentGoroutineId;
            SynchronizationContext? context = SynchronizationContext.Current;
            for (int i = 0; i < 10; i++)
            {
                await Go.YieldAsync();
                Assert.Equal(id, Go.CurrentGoroutineId);
                Assert.Same(context, SynchronizationContext.Current);
            }
        });
    }

    [Fact]
    public async Task YieldAsync_OutsideGoroutine_ResumesOnThreadPoolLikeTaskYield()
    {
        await Task.Run(async () =>
        {
            Assert.Null(SynchronizationContext.Current);
            await Go.YieldAsync();
            Assert.Equal(0, Go.CurrentGoroutineId);
            Assert.True(Thread.CurrentThread.IsThreadPoolThread);
        }).Within();
    }
}
