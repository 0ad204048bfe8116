// Licensed under the MIT License.

using System;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Diagnostics;
using Goroutines.Scheduling;
using Goroutines.Sync;
using Goroutines.Tests.TestSupport;

using Xunit;

using Mutex = Goroutines.Sync.Mutex;

namespace Goroutines.Tests.Diagnostics;

/// <summary>
/// One leak detector pass finds every leaked goroutine, whoever calls it: the test's thread, or
/// the goroutine whose code leaked them, right after they parked (nothing else ran, no other
/// collection) and later (other goroutines ran through the same processors, a collection came).
/// The Tour of Go's Equivalent Binary Trees, where <c>Same</c> returns at the first difference and
/// leaves both walkers parked forever on their sends, and each of the leak patterns above.
/// </summary>
/// <remarks>
/// Each check is a single pass, never a retry until found: a leaked goroutine a pass misses is the
/// failure these tests are for. The caller waits for the goroutines to park by reading dumps,
/// which hold ids, never the goroutines, and for the other processors to go idle: a machine
/// references the goroutine it runs until the step in which it parked has ended, a moment after
/// a dump shows it parked (docs/design.md, leak detection).
/// </remarks>
public sealed partial class GoroutineLeaksTests
{
    // ------------------------------------------------------------------ Equivalent Binary Trees

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FindLeaked_SameReturnedToTheTestThread_OnePassReportsBothWalkers(bool later)
    {
        Assert.False(RunSameInAGoroutine(Tree.OneToSeven, Tree.OneThenNine));
        GoroutineInfo[] walkers = WaitUntilParked("chan send", "chan send");
        ExpectParkedForever(2);
        if (later)
        {
            Assert.True(RunSameInAGoroutine(Tree.OneToSeven, Tree.OneToSeven));
            GC.Collect();
        }

        WaitUntilEveryProcessorIdle();
        Assert.Equal(walkers.Select(g => g.Id), FindLeakedIds().Where(Among(walkers)));
        Assert.Equal(walkers.Select(g => g.Id), WaitUntilParked("chan send (leaked)", "chan send (leaked)").Select(g => g.Id));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FindLeaked_CalledByTheGoroutineSameReturnedTo_OnePassReportsBothWalkers(bool later)
    {
        long[] reported = CallFindLeakedFromAGoroutine(
            async () => Assert.False(await SameAsync(Tree.OneToSeven, Tree.OneThenNine)),
            parkedStates: 2,
            later ? async () => Assert.True(await SameAsync(Tree.OneToSeven, Tree.OneToSeven)) : null);
        GoroutineInfo[] walkers = ParkedNow();
        ExpectParkedForever(2);

        Assert.Equal(walkers.Select(g => g.Id), reported);
        Assert.Equal(walkers.Select(g => g.Id), WaitUntilParked("chan send (leaked)", "chan send (leaked)").Select(g => g.Id));
        Assert.All(walkers, w => Assert.Equal(Function(nameof(WalkAsync)), w.Frames[0].Function));
    }

    // ------------------------------------------------------------------ the leak patterns, one pass

    public static TheoryData<string, bool> Patterns() => new()
    {
        { nameof(SendOnOwnChannelAsync), false },
        { nameof(SendOnOwnChannelAsync), true },
        { nameof(ReceiveFromOwnChannelAsync), false },
        { nameof(ReceiveFromOwnChannelAsync), true },
        { nameof(ReceiveFromNilChannelAsync), false },
        { nameof(ReceiveFromNilChannelAsync), true },
        { nameof(SelectOverOwnChannelsAsync), false },
        { nameof(SelectOverOwnChannelsAsync), true },
        { nameof(LockOwnLockedMutexAsync), false },
        { nameof(LockOwnLockedMutexAsync), true },
        { nameof(WaitForOwnWaitGroupAsync), false },
        { nameof(WaitForOwnWaitGroupAsync), true },
    };

    [Theory]
    [MemberData(nameof(Patterns))]
    public void FindLeaked_LeakPatternCalledFromTheTestThread_OnePassReportsIt(string pattern, bool later)
    {
        (Func<Task> body, string state) = Pattern(pattern);

        Go.Run(body);
        GoroutineInfo leaked = Assert.Single(WaitUntilParked(state));
        ExpectParkedForever(1);
        if (later)
        {
            Assert.True(RunSameInAGoroutine(Tree.OneToSeven, Tree.OneToSeven));
            GC.Collect();
        }

        WaitUntilEveryProcessorIdle();
        Assert.Equal([leaked.Id], FindLeakedIds().Where(Among([leaked])));
        Assert.True(DescribeNow(leaked.Id).IsLeaked);
        Assert.Contains(DescribeNow(leaked.Id).Frames, frame => frame.Function == Function(pattern));
    }

    [Theory]
    [MemberData(nameof(Patterns))]
    public void FindLeaked_LeakPatternCalledFromTheSpawningGoroutine_OnePassReportsIt(string pattern, bool later)
    {
        (Func<Task> body, string state) = Pattern(pattern);

        long[] reported = CallFindLeakedFromAGoroutine(
            () =>
            {
                Go.Run(body);
                return Task.CompletedTask;
            },
            parkedStates: 1,
            later ? async () => Assert.True(await SameAsync(Tree.OneToSeven, Tree.OneToSeven)) : null);
        GoroutineInfo leaked = Assert.Single(ParkedNow());
        ExpectParkedForever(1);

        Assert.Equal([leaked.Id], reported);
        Assert.Equal([leaked.Id], WaitUntilParked($"{state} (leaked)").Select(g => g.Id));
        Assert.Contains(leaked.Frames, frame => frame.Function == Function(pattern));
    }

    // ------------------------------------------------------------------ helpers

    private static (Func<Task> Body, string State) Pattern(string name) => name switch
    {
        nameof(SendOnOwnChannelAsync) => (SendOnOwnChannelAsync, "chan send"),
        nameof(ReceiveFromOwnChannelAsync) => (ReceiveFromOwnChannelAsync, "chan receive"),
        nameof(ReceiveFromNilChannelAsync) => (ReceiveFromNilChannelAsync, "chan receive (nil chan)"),
        nameof(SelectOverOwnChannelsAsync) => (SelectOverOwnChannelsAsync, "select"),
        nameof(LockOwnLockedMutexAsync) => (LockOwnLockedMutexAsync, "sync.Mutex.Lock"),
        nameof(WaitForOwnWaitGroupAsync) => (WaitForOwnWaitGroupAsync, "sync.WaitGroup.Wait"),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "not a leak pattern of this class"),
    };

    /// <summary>Whether an id is one of <paramref name="goroutines"/>'.</summary>
    private static Func<long, bool> Among(GoroutineInfo[] goroutines) => id => goroutines.Any(g => g.Id == id);

    /// <summary>
    /// Runs, in one goroutine: <paramref name="leak"/>; a wait (yielding) until exactly
    /// <paramref name="parkedStates"/> goroutines started by the test besides it are parked; then
    /// <paramref name="otherWork"/>, if any, and a collection; then one leak detector pass, whose
    /// ids this returns. The goroutine has exited when this returns.
    /// </summary>
    private long[] CallFindLeakedFromAGoroutine(Func<Task> leak, int parkedStates, Func<Task>? otherWork)
    {
        var answer = new Chan<long[]>(1);
        Go.Run(async () =>
        {
            long self = Go.CurrentGoroutineId;
            await leak();

            // Yield at least once: the pass must not run in the step in which the leaking method
            // returned, whose finished frame is still on this thread's stack (see FindLeaked). Then
            // until the goroutines are parked and every other processor is idle: the machine that
            // parked one holds it until its step ends (see the remarks of this class).
            long deadline = Environment.TickCount64 + (long)TestTimeouts.Default.TotalMilliseconds;
            do
            {
                await Go.YieldAsync();
                Assert.True(Environment.TickCount64 < deadline, "The leaked goroutines did not park, or the other processors did not go idle.");
            }
            while (GoroutineDump.Capture().Goroutines.Count(g => g.Id != self && StartedByTest(g) && g.State == GoroutineState.Waiting) != parkedStates
                || Scheduler.Instance.IdleProcessorCount != Go.MaxProcs - 1);

            if (otherWork is not null)
            {
                await otherWork();
                GC.Collect();
            }

            await answer.SendAsync([.. GoroutineLeaks.FindLeaked().Select(g => g.Id)]);
        });
        return answer.Receive();
    }

    /// <summary>
    /// Waits (bounded) until every processor is idle, so no machine is still finishing the step in
    /// which a goroutine parked (a machine references the goroutine it runs until then).
    /// </summary>
    private static void WaitUntilEveryProcessorIdle() =>
        Assert.True(Poll.Until(() => Scheduler.Instance.IdleProcessorCount == Go.MaxProcs, TestTimeouts.Default), "The processors did not go idle.");

    /// <summary>The goroutines started by the test that are parked now (the caller of the pass may still be leaving).</summary>
    private GoroutineInfo[] ParkedNow() => [.. GoroutineDump.Capture().Goroutines.Where(g => StartedByTest(g) && g.State == GoroutineState.Waiting)];

    // Runs Same in a goroutine of its own (the Tour's main) and returns its answer.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool RunSameInAGoroutine(Tree first, Tree second)
    {
        var answer = new Chan<bool>(1);
        Go.Run(async () => await answer.SendAsync(await SameAsync(first, second)));
        return answer.Receive();
    }

    // Go: func Same(t1, t2 *tree.Tree) bool.
    private static async Task<bool> SameAsync(Tree first, Tree second)
    {
        var firstValues = new Chan<int>();
        var secondValues = new Chan<int>();
        Go.Run(() => WalkAllAsync(first, firstValues));
        Go.Run(() => WalkAllAsync(second, secondValues));
        while (true)
        {
            (int a, bool okA) = await firstValues.ReceiveWithOkAsync();
            (int b, bool okB) = await secondValues.ReceiveWithOkAsync();
            if (okA != okB || a != b)
            {
                return false;
            }

            if (!okA)
            {
                return true;
            }
        }
    }

    private static async Task WalkAllAsync(Tree tree, Chan<int> values)
    {
        await WalkAsync(tree, values);
        values.Close();
    }

    // Go: func Walk(t *tree.Tree, ch chan int), in order, recursively.
    private static async Task WalkAsync(Tree? tree, SendOnlyChan<int> values)
    {
        if (tree is null)
        {
            return;
        }

        await WalkAsync(tree.Left, values);
        await values.SendAsync(tree.Value);
        await WalkAsync(tree.Right, values);
    }

    private static async Task SelectOverOwnChannelsAsync()
    {
        var first = new Chan<int>();
        var second = new Chan<string>();
        _ = await new Select().Receive(first).Send(second, "never").WaitAsync();
    }

    private static async Task LockOwnLockedMutexAsync()
    {
        var mutex = new Mutex();
        await mutex.LockAsync();
        await mutex.LockAsync();
    }

    private static async Task WaitForOwnWaitGroupAsync()
    {
        var group = new WaitGroup();
        group.Add(1);
        await group.WaitAsync();
    }

    /// <summary>A binary search tree of ints (the Tour's tree.Tree).</summary>
    private sealed record Tree(Tree? Left, int Value, Tree? Right)
    {
        /// <summary>1 to 7.</summary>
        public static Tree OneToSeven => Balanced(1, 2, 3, 4, 5, 6, 7);

        /// <summary>1, 9, 10, ...: its walk differs from <see cref="OneToSeven"/>'s at the second value, where each walker then parks sending its third.</summary>
        public static Tree OneThenNine => Balanced(1, 9, 10, 11, 12, 13, 14);

        private static Tree Balanced(params int[] sorted) => Build(sorted)!;

        private static Tree? Build(ReadOnlySpan<int> sorted) =>
            sorted.IsEmpty ? null : new Tree(Build(sorted[..(sorted.Length / 2)]), sorted[sorted.Length / 2], Build(sorted[((sorted.Length / 2) + 1)..]));
    }
}
