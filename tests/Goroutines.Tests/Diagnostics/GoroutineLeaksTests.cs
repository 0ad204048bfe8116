// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Diagnostics;
using Goroutines.Scheduling;
using Goroutines.Sync;
using Goroutines.Tests.TestSupport;
using Goroutines.Time;

using Xunit;

using Mutex = Goroutines.Sync.Mutex;

namespace Goroutines.Tests.Diagnostics;

/// <summary>
/// The leak checker (<see cref="GoroutineLeaks.VerifyNone"/>, goleak's role) and the collector-based
/// leak detector (<see cref="GoroutineLeaks.FindLeaked"/>), on the leak patterns Go's leak-detecting
/// collector was built for and on goroutines that only look stuck.
/// </summary>
/// <remarks>
/// <para>
/// A goroutine leaked on purpose stays parked for the life of the test process; each test that
/// leaks one declares it with <see cref="RuntimeTest.ExpectParkedForever"/>, which proves it
/// unwakeable once more at the test's end.
/// </para>
/// <para>
/// The detector proves a goroutine leaked only if nothing reaches it, so these tests keep no
/// reference to a goroutine meant to leak: its channel is created inside the goroutine (or inside
/// a goroutine that has exited), its body is a static method or a lambda without captures, and
/// the test waits for it to park by polling dumps, which hold ids and names, never the goroutine.
/// The tests that leak are synchronous methods, so no async state machine of theirs holds a
/// reference either, in Release or in Debug.
/// </para>
/// </remarks>
public sealed partial class GoroutineLeaksTests : RuntimeTest
{
    /// <summary>
    /// Timeout of a <see cref="GoroutineLeaks.VerifyNone"/> call expected to fail: the goroutines it
    /// will report are already parked, so any short wait will do; it only exercises the retries.
    /// </summary>
    private static readonly TimeSpan ExpectedFailureTimeout = TimeSpan.FromMilliseconds(100);

    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    // ------------------------------------------------------------------ the leak patterns

    [Fact]
    public void FindLeakedAndVerifyNone_ReceiverWithoutSender_ReportItLeakedInChanReceive()
    {
        GoroutineLeakOptions options = OptionsFromNow(ExpectedFailureTimeout);

        Go.Run(ReceiveFromOwnChannelAsync);
        GoroutineInfo parked = Assert.Single(WaitUntilParked("chan receive"));
        ExpectParkedForever(1);

        Assert.Equal([parked.Id], FindLeakedUntilFound(parked.Id));
        GoroutineInfo marked = DescribeNow(parked.Id);
        Assert.True(marked.IsLeaked);
        Assert.Equal("chan receive (leaked)", marked.StateText);
        AssertReportedLeaked(
            Assert.Throws<GoroutineLeakException>(() => GoroutineLeaks.VerifyNone(options)),
            parked.Id,
            "chan receive",
            nameof(ReceiveFromOwnChannelAsync),
            nameof(FindLeakedAndVerifyNone_ReceiverWithoutSender_ReportItLeakedInChanReceive));
    }

    [Fact]
    public void FindLeakedAndVerifyNone_SenderWithoutReceiver_ReportItLeakedInChanSend()
    {
        GoroutineLeakOptions options = OptionsFromNow(ExpectedFailureTimeout);

        Go.Run(SendOnOwnChannelAsync);
        GoroutineInfo parked = Assert.Single(WaitUntilParked("chan send"));
        ExpectParkedForever(1);

        Assert.Equal([parked.Id], FindLeakedUntilFound(parked.Id));
        AssertReportedLeaked(
            Assert.Throws<GoroutineLeakException>(() => GoroutineLeaks.VerifyNone(options)),
            parked.Id,
            "chan send",
            nameof(SendOnOwnChannelAsync),
            nameof(FindLeakedAndVerifyNone_SenderWithoutReceiver_ReportItLeakedInChanSend));
    }

    [Fact]
    public void FindLeakedAndVerifyNone_RangedChannelNeverClosed_ReportTheRangingGoroutineOnceTheProducerIsGone()
    {
        GoroutineLeakOptions options = OptionsFromNow(ExpectedFailureTimeout);
        var release = new Chan<int>();

        // The channel lives only in the goroutines: the spawner exits at once; the producer sends
        // three values, forgets to close, and returns when the test closes release.
        Go.Run(() =>
        {
            var values = new Chan<int>();
            Go.Run(() => SendValuesAndForgetToCloseAsync(values, count: 3, release));
            Go.Run(() => RangeOverAsync(values));
        });
        GoroutineInfo ranging = WaitUntilParked("chan receive", "chan receive")[1];

        Assert.DoesNotContain(ranging.Id, FindLeakedIds()); // the producer, which the test can wake, still holds the channel
        release.Close();
        Assert.Equal([ranging.Id], WaitUntilParked("chan receive").Select(g => g.Id));
        ExpectParkedForever(1);

        Assert.Equal([ranging.Id], FindLeakedUntilFound(ranging.Id));
        GoroutineInfo reported = AssertReportedLeaked(
            Assert.Throws<GoroutineLeakException>(() => GoroutineLeaks.VerifyNone(options)),
            ranging.Id,
            "chan receive",
            nameof(RangeOverAsync),
            $"{nameof(FindLeakedAndVerifyNone_RangedChannelNeverClosed_ReportTheRangingGoroutineOnceTheProducerIsGone)}.func1"); // the spawner's lambda, as Go's main.main.func1
        Assert.NotEqual(0, reported.CreatorId); // created by the spawner goroutine, which has exited
    }

    [Fact]
    public void FindLeakedAndVerifyNone_NilChannelReceive_ReportItLeakedInChanReceiveNilChan()
    {
        GoroutineLeakOptions options = OptionsFromNow(ExpectedFailureTimeout);

        Go.Run(ReceiveFromNilChannelAsync);
        GoroutineInfo parked = Assert.Single(WaitUntilParked("chan receive (nil chan)"));
        ExpectParkedForever(1);

        Assert.Equal([parked.Id], FindLeakedUntilFound(parked.Id));
        GoroutineLeakException error = Assert.Throws<GoroutineLeakException>(() => GoroutineLeaks.VerifyNone(options));
        GoroutineInfo reported = Assert.Single(error.Goroutines);
        Assert.Equal(parked.Id, reported.Id);
        Assert.Equal("chan receive (nil chan)", reported.WaitReason);
        Assert.True(reported.IsLeaked);
        Assert.Contains(reported.Frames, frame => frame.Function == Function(nameof(ReceiveFromNilChannelAsync)));
        Assert.Equal(Function(nameof(FindLeakedAndVerifyNone_NilChannelReceive_ReportItLeakedInChanReceiveNilChan)), reported.CreatedBy.Function);
    }

    [Fact]
    public void FindLeakedAndVerifyNone_TickerNeverStopped_VerifyNoneReportsItButFindLeakedDoesNot()
    {
        using FakeRuntimeClock clock = FakeRuntimeClock.Install();
        GoroutineLeakOptions options = OptionsFromNow(ExpectedFailureTimeout);
        var stop = new StrongBox<bool>();

        // Only the ticker's timer, queued in the runtime's timer heap, reaches the goroutine: the
        // test holds the stop flag, which holds nothing. Beside it, a goroutine that is leaked
        // shows that the passes run while the ticking one is parked.
        Go.Run(() => RangeOverOwnTickerAsync(stop));
        Go.Run(ReceiveFromOwnChannelAsync);
        GoroutineInfo[] started = WaitUntilParked("chan receive", "chan receive");
        (GoroutineInfo parked, GoroutineInfo leaked) = (started[0], started[1]);
        ExpectParkedForever(1);

        Assert.Equal([leaked.Id], FindLeakedUntilFound(leaked.Id));
        GoroutineLeakException error = Assert.Throws<GoroutineLeakException>(
            () => GoroutineLeaks.VerifyNone(options.IgnoreTopFunction(Function(nameof(ReceiveFromOwnChannelAsync)))));
        GoroutineInfo reported = Assert.Single(error.Goroutines);
        Assert.Equal(parked.Id, reported.Id);
        Assert.Equal("chan receive", reported.WaitReason);
        Assert.False(reported.IsLeaked, "The ticker's timer can still wake the goroutine, yet it was marked leaked.");
        Assert.Equal(Function(nameof(RangeOverOwnTickerAsync)), reported.Frames[0].Function);
        Assert.Contains($"goroutine {parked.Id} [chan receive]:\n", error.Message, StringComparison.Ordinal);

        Volatile.Write(ref stop.Value, true);
        clock.Advance(Minute); // the next tick wakes it; it stops its ticker and returns
        Assert.Equal([leaked.Id], WaitUntilParked("chan receive (leaked)").Select(g => g.Id));
    }

    [Fact]
    public void FindLeaked_LeakedGoroutineBesideWakeableOnes_ReportsExactlyTheLeakedOne()
    {
        using FakeRuntimeClock clock = FakeRuntimeClock.Install();
        var held = new Chan<int>();
        var pending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var mutex = new Mutex();
        mutex.Lock();

        Go.Run(ReceiveFromOwnChannelAsync);
        Go.Run(async () => await held.ReceiveAsync());
        Go.Run(static async () => await Clock.SleepAsync(Minute));
        Go.Run(async () => await pending.Task);
        Go.Run(async () => (await mutex.LockAsync()).Dispose());
        GoroutineInfo[] parked = WaitUntilParked("chan receive", "chan receive", "sleep", "await", "sync.Mutex.Lock");
        ExpectParkedForever(1);

        Assert.Equal([parked[0].Id], FindLeakedUntilFound(parked[0].Id));
        Assert.Equal([true, false, false, false, false], parked.Select(g => DescribeNow(g.Id).IsLeaked));

        held.Close();
        clock.Advance(Minute);
        pending.SetResult();
        mutex.Unlock();
        Assert.Equal([parked[0].Id], WaitUntilParked("chan receive (leaked)").Select(g => g.Id));
    }

    [Fact]
    public void FindLeaked_GoroutineReachableOnlyFromOneFoundBefore_FoundByALaterPass()
    {
        // The second goroutine is in a blocking call during the first pass, so that pass cannot
        // release it; it then parks sending on a channel that only the first goroutine, found
        // leaked by then, still references. A goroutine found leaked must root nothing in later
        // passes (a sieve's filters caught mid-flow are found this way).
        using var inCall = new ManualResetEventSlim();
        using var leave = new ManualResetEventSlim();
        SpawnLeakedThenLateSender(inCall, leave);
        Assert.True(inCall.Wait(TestTimeouts.Default), "The second goroutine did not enter its blocking call.");
        GoroutineInfo[] started = WaitUntilParked("chan receive", nameof(GoroutineState.BlockingCall));
        ExpectParkedForever(2);

        Assert.Equal([started[0].Id], FindLeakedUntilFound(started[0].Id));
        leave.Set();
        WaitUntilParked("chan receive (leaked)", "chan send");
        Assert.Equal([started[1].Id], FindLeakedUntilFound(started[1].Id));
        Assert.True(DescribeNow(started[1].Id).IsLeaked);
    }

    // ------------------------------------------------------------------ no false positives

    [Fact]
    public async Task FindLeaked_GoroutineParkedOnChannelTheTestHolds_NotReported()
    {
        var channel = new Chan<int>();
        Spawned receiver = await Spawned.ParkedAsync(async () => await channel.ReceiveAsync(), WaitReason.ChanReceive);

        Assert.DoesNotContain(receiver.Id, FindLeakedIds());

        await channel.SendAsync(1);
        await receiver.Completion.Within();
    }

    [Fact]
    public async Task FindLeaked_GoroutineSleeping_NotReported()
    {
        using FakeRuntimeClock clock = FakeRuntimeClock.Install();
        Spawned sleeper = await Spawned.ParkedAsync(async () => await Clock.SleepAsync(Minute), WaitReason.Sleep);

        Assert.DoesNotContain(sleeper.Id, FindLeakedIds());

        clock.Advance(Minute);
        await sleeper.Completion.Within();
    }

    [Fact]
    public async Task FindLeaked_GoroutineAwaitingTaskTheTestCompletes_NotReported()
    {
        var pending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Spawned awaiting = await Spawned.ParkedAsync(async () => await pending.Task, WaitReason.ForeignAwait);

        Assert.DoesNotContain(awaiting.Id, FindLeakedIds());

        pending.SetResult();
        await awaiting.Completion.Within();
    }

    [Fact]
    public async Task FindLeaked_GoroutineWaitingOnMutexTheTestHolds_NotReported()
    {
        var mutex = new Mutex();
        await mutex.LockAsync();
        Spawned locking = await Spawned.ParkedAsync(async () => (await mutex.LockAsync()).Dispose(), WaitReason.SyncMutexLock);

        Assert.DoesNotContain(locking.Id, FindLeakedIds());

        mutex.Unlock();
        await locking.Completion.Within();
    }

    [Fact]
    public async Task VerifyNone_GoroutinesThatFinished_Passes()
    {
        GoroutineLeakOptions options = OptionsFromNow(TestTimeouts.LeakCheck);
        var group = new WaitGroup();
        for (int i = 0; i < 10; i++)
        {
            group.Go(async () => await Go.YieldAsync());
        }

        await group.WaitAsync(); // returns before the goroutines have left the registry: VerifyNone waits for that

        GoroutineLeaks.VerifyNone(options);
    }

    [Fact]
    public void VerifyNone_GoroutineExitsWithinTheTimeout_Passes()
    {
        GoroutineLeakOptions options = OptionsFromNow(TestTimeouts.LeakCheck);

        Go.Run(static async () => await Clock.SleepAsync(TimeSpan.FromMilliseconds(20)));

        GoroutineLeaks.VerifyNone(options);
    }

    [Fact]
    public async Task VerifyNone_CalledFromAGoroutine_IgnoresTheCaller()
    {
        GoroutineLeakOptions options = OptionsFromNow(TestTimeouts.LeakCheck);

        await GoTest.RunAsync(() =>
        {
            GoroutineLeaks.VerifyNone(options);
            return Task.CompletedTask;
        });
    }

    // ------------------------------------------------------------------ options

    [Fact]
    public async Task VerifyNone_IgnoreCurrentAfterTheGoroutineStarted_Passes()
    {
        GoroutineLeakOptions before = OptionsFromNow(TimeSpan.Zero);
        var release = new Chan<int>();
        Spawned waiting = await Spawned.ParkedAsync(() => WaitForCloseAsync(release), WaitReason.ChanReceive);

        Assert.Contains(Assert.Throws<GoroutineLeakException>(() => GoroutineLeaks.VerifyNone(before)).Goroutines, g => g.Id == waiting.Id);
        GoroutineLeaks.VerifyNone(new GoroutineLeakOptions { Timeout = TimeSpan.Zero }.IgnoreCurrent());

        release.Close();
        await waiting.Completion.Within();
    }

    [Fact]
    public async Task VerifyNone_IgnoreTopFunctionOfTheParkedMethod_Passes()
    {
        GoroutineLeakOptions options = OptionsFromNow(TimeSpan.Zero);
        var release = new Chan<int>();
        Spawned waiting = await Spawned.ParkedAsync(() => WaitForCloseAsync(release), WaitReason.ChanReceive);

        Assert.Throws<GoroutineLeakException>(() => GoroutineLeaks.VerifyNone(options.IgnoreTopFunction(Function(nameof(RangeOverAsync)))));
        GoroutineLeaks.VerifyNone(options.IgnoreTopFunction(Function(nameof(WaitForCloseAsync))));

        release.Close();
        await waiting.Completion.Within();
    }

    [Fact]
    public void VerifyNone_IgnoreCreatedByTheSpawningMethod_Passes()
    {
        GoroutineLeakOptions options = OptionsFromNow(TimeSpan.Zero);
        var release = new Chan<int>();

        Go.Run(() => WaitForCloseAsync(release));
        Assert.Single(WaitUntilParked("chan receive"));

        Assert.Throws<GoroutineLeakException>(() => GoroutineLeaks.VerifyNone(options.IgnoreCreatedBy(nameof(GoTest.Start))));
        GoroutineLeaks.VerifyNone(options.IgnoreCreatedBy(nameof(VerifyNone_IgnoreCreatedByTheSpawningMethod_Passes)));

        release.Close();
        Assert.Empty(WaitUntilParked());
    }

    [Fact]
    public async Task VerifyNone_IgnorePredicateMatchingTheGoroutine_PassesAndSeesEachRemainingGoroutine()
    {
        GoroutineLeakOptions options = OptionsFromNow(TimeSpan.Zero);
        var release = new Chan<int>();
        Spawned waiting = await Spawned.ParkedAsync(() => WaitForCloseAsync(release), WaitReason.ChanReceive);
        var seen = new List<long>();

        GoroutineLeaks.VerifyNone(options.Ignore(g =>
        {
            seen.Add(g.Id);
            return g.WaitReason == "chan receive" && g.Frames.Any(frame => frame.Function == Function(nameof(WaitForCloseAsync)));
        }));

        Assert.Contains(waiting.Id, seen);
        release.Close();
        await waiting.Completion.Within();
    }

    // ------------------------------------------------------------------ VerifyNoneAsync

    [Fact]
    public async Task VerifyNoneAsync_GoroutineLeftParked_FailsWithItsDump()
    {
        GoroutineLeakOptions options = OptionsFromNow(ExpectedFailureTimeout);
        var release = new Chan<int>();
        Spawned waiting = await Spawned.ParkedAsync(() => WaitForCloseAsync(release), WaitReason.ChanReceive);

        GoroutineLeakException error = await Assert.ThrowsAsync<GoroutineLeakException>(() => GoroutineLeaks.VerifyNoneAsync(options));

        GoroutineInfo reported = Assert.Single(error.Goroutines);
        Assert.Equal(waiting.Id, reported.Id);
        Assert.False(reported.IsLeaked); // the test still holds its channel
        Assert.Equal($"found unexpected goroutines:\n{GoroutineDumpText.Full(error.Goroutines)}", error.Message);
        release.Close();
        await waiting.Completion.Within();
    }

    [Fact]
    public async Task VerifyNoneAsync_GoroutinesThatFinish_Passes()
    {
        GoroutineLeakOptions options = OptionsFromNow(TestTimeouts.LeakCheck);
        var release = new Chan<int>();
        Spawned waiting = await Spawned.ParkedAsync(() => WaitForCloseAsync(release), WaitReason.ChanReceive);

        Task check = GoroutineLeaks.VerifyNoneAsync(options);
        release.Close();

        await check.Within();
        Assert.True(waiting.Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task VerifyNoneAsync_CalledFromAGoroutine_IgnoresTheCaller()
    {
        GoroutineLeakOptions options = OptionsFromNow(TestTimeouts.LeakCheck);

        await GoTest.RunAsync(() => GoroutineLeaks.VerifyNoneAsync(options));
    }

    [Fact]
    public async Task VerifyNoneAsync_CanceledWhileGoroutinesRemain_ThrowsOperationCanceled()
    {
        GoroutineLeakOptions options = OptionsFromNow(TestTimeouts.LeakCheck);
        var release = new Chan<int>();
        Spawned waiting = await Spawned.ParkedAsync(() => WaitForCloseAsync(release), WaitReason.ChanReceive);
        using var cancellation = new CancellationTokenSource();

        Task check = GoroutineLeaks.VerifyNoneAsync(options, cancellation.Token);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => check.Within());
        release.Close();
        await waiting.Completion.Within();
    }

    // ------------------------------------------------------------------ arguments

    [Fact]
    public void Options_InvalidArguments_Throw()
    {
        var options = new GoroutineLeakOptions();

        Assert.Equal(TimeSpan.FromSeconds(5), options.Timeout);
        Assert.Throws<ArgumentOutOfRangeException>("value", () => options.Timeout = TimeSpan.FromTicks(-1));
        Assert.Throws<ArgumentNullException>("function", () => options.IgnoreTopFunction(null!));
        Assert.Throws<ArgumentException>("function", () => options.IgnoreTopFunction(""));
        Assert.Throws<ArgumentNullException>("function", () => options.IgnoreCreatedBy(null!));
        Assert.Throws<ArgumentException>("function", () => options.IgnoreCreatedBy(""));
        Assert.Throws<ArgumentNullException>("predicate", () => options.Ignore(null!));
        Assert.Throws<ArgumentNullException>("goroutines", () => new GoroutineLeakException(null!));
        options.Timeout = TimeSpan.Zero;
        Assert.Equal(TimeSpan.Zero, options.Timeout);
        Assert.Same(options, options.IgnoreCurrent().IgnoreTopFunction("F").IgnoreCreatedBy("G").Ignore(_ => false));
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>Options that ignore every goroutine alive now, with <paramref name="timeout"/>.</summary>
    private static GoroutineLeakOptions OptionsFromNow(TimeSpan timeout) => new GoroutineLeakOptions { Timeout = timeout }.IgnoreCurrent();

    private static string Function(string method) => $"{typeof(GoroutineLeaksTests).FullName}.{method}";

    /// <summary>
    /// Waits (polling dumps, bounded) until the goroutines started since the test began are exactly
    /// as many as <paramref name="states"/>, in the order they were started, each waiting in the
    /// state its dump header shows; returns them. Holds no reference to the goroutines.
    /// </summary>
    private GoroutineInfo[] WaitUntilParked(params string[] states)
    {
        GoroutineInfo[] started = [];
        bool parked = Poll.Until(
            () =>
            {
                started = [.. GoroutineDump.Capture().Goroutines.Where(StartedByTest)];
                return started.Select(g => g.State == GoroutineState.Waiting ? g.StateText : g.State.ToString()).SequenceEqual(states);
            },
            TestTimeouts.Default);
        Assert.True(parked, $"The test's goroutines did not come to [{string.Join(", ", states)}]:\n{GoroutineDumpText.Full(started)}");
        return started;
    }

    /// <summary>The goroutine <paramref name="id"/> as a dump shows it now.</summary>
    private static GoroutineInfo DescribeNow(long id) => Assert.Single(GoroutineDump.Capture().Goroutines, g => g.Id == id);

    /// <summary>One leak detector pass; the ids it found leaked.</summary>
    private static long[] FindLeakedIds() => [.. GoroutineLeaks.FindLeaked().Select(g => g.Id)];

    /// <summary>
    /// Runs leak detector passes until one found <paramref name="id"/> (bounded: a goroutine that has
    /// just parked may still be referenced for a moment by the machine that ran it); returns the ids
    /// of the test's goroutines every pass found, in order.
    /// </summary>
    private long[] FindLeakedUntilFound(long id)
    {
        var found = new SortedSet<long>();
        bool done = Poll.Until(
            () =>
            {
                found.UnionWith(GoroutineLeaks.FindLeaked().Where(StartedByTest).Select(g => g.Id));
                return found.Contains(id);
            },
            TestTimeouts.Default);
        Assert.True(done, $"No leak detector pass found goroutine {id}:\n{GoroutineDump.Capture()}");
        return [.. found];
    }

    /// <summary>
    /// Asserts that <paramref name="error"/> reports exactly goroutine <paramref name="id"/>, leaked
    /// while waiting with <paramref name="waitReason"/>, parked in <paramref name="parkedIn"/> of this
    /// class and created by <paramref name="createdBy"/> in this file, and that its message is their dump.
    /// </summary>
    private static GoroutineInfo AssertReportedLeaked(GoroutineLeakException error, long id, string waitReason, string parkedIn, string createdBy)
    {
        GoroutineInfo reported = Assert.Single(error.Goroutines);
        Assert.Equal(id, reported.Id);
        Assert.Equal(GoroutineState.Waiting, reported.State);
        Assert.Equal(waitReason, reported.WaitReason);
        Assert.True(reported.IsLeaked, $"VerifyNone did not mark the goroutine leaked:\n{error.Message}");
        Assert.Equal(Function(parkedIn), reported.Frames[0].Function);
        Assert.EndsWith($"{nameof(GoroutineLeaksTests)}.cs", reported.Frames[0].File, StringComparison.Ordinal);
        Assert.Equal(Function(createdBy), reported.CreatedBy.Function);
        Assert.EndsWith($"{nameof(GoroutineLeaksTests)}.cs", reported.CreatedBy.File, StringComparison.Ordinal);
        Assert.Equal($"found unexpected goroutines:\n{GoroutineDumpText.Full(error.Goroutines)}", error.Message);
        Assert.Contains($"goroutine {id} [{waitReason} (leaked)]:\n{Function(parkedIn)}(...)\n", error.Message, StringComparison.Ordinal);
        Assert.Contains($"created by {Function(createdBy)}", error.Message, StringComparison.Ordinal);
        return reported;
    }

    // Goroutine bodies. The leaking ones keep their channel to themselves (and to goroutines that
    // exit), so nothing outside can reach them once they park.

    // Two goroutines with no closure in common (a shared one would let the second's frame reach
    // the first's channel): the first waits on a channel only it holds, and holds the channel the
    // second will send on once its blocking call returns.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SpawnLeakedThenLateSender(ManualResetEventSlim inCall, ManualResetEventSlim leave)
    {
        var own = new Chan<int>();
        var shared = new Chan<int>();
        Go.Run(ReceiveOnOwnThenSharedAsync, own, shared);
        Go.Run(SendAfterBlockingCallAsync, shared, inCall, leave);
    }

    private static async Task ReceiveOnOwnThenSharedAsync(Chan<int> own, Chan<int> shared)
    {
        _ = await own.ReceiveAsync();
        _ = await shared.ReceiveAsync();
    }

    private static async Task SendAfterBlockingCallAsync(Chan<int> shared, ManualResetEventSlim inCall, ManualResetEventSlim leave)
    {
        using (Go.EnterBlockingRegion())
        {
            inCall.Set();
            leave.Wait();
        }

        await shared.SendAsync(1);
    }

    private static async Task ReceiveFromOwnChannelAsync()
    {
        var channel = new Chan<int>();
        _ = await channel.ReceiveAsync();
    }

    private static async Task SendOnOwnChannelAsync()
    {
        var channel = new Chan<int>();
        await channel.SendAsync(1);
    }

    private static async Task ReceiveFromNilChannelAsync()
    {
        Chan<int> nil = default;
        _ = await nil.ReceiveAsync();
    }

    private static async Task SendValuesAndForgetToCloseAsync(SendOnlyChan<int> values, int count, ReceiveOnlyChan<int> release)
    {
        for (int i = 0; i < count; i++)
        {
            await values.SendAsync(i);
        }

        _ = await release.ReceiveWithOkAsync();
    }

    private static async Task RangeOverAsync(ReceiveOnlyChan<int> values)
    {
        int received = 0;
        await foreach (int value in values)
        {
            Assert.Equal(received++, value);
        }
    }

    private static async Task RangeOverOwnTickerAsync(StrongBox<bool> stop)
    {
        var ticker = new Ticker(Minute);
        await foreach (DateTimeOffset tick in ticker.C)
        {
            if (Volatile.Read(ref stop.Value))
            {
                ticker.Stop();
                return;
            }
        }
    }

    private static async Task WaitForCloseAsync(ReceiveOnlyChan<int> release) => _ = await release.ReceiveWithOkAsync();
}
