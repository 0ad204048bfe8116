// Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Contexts;
using Goroutines.Scheduling;
using Goroutines.Sync;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Contexts;

public sealed class DeadlineTests : RuntimeTest
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    [Fact]
    public async Task WithTimeout_TimePasses_DoneWithDeadlineExceeded()
    {
        using var clock = FakeClock.Install();
        var (ctx, cancel) = Context.WithTimeout(Context.Background, Second);
        Assert.True(ctx.TryGetDeadline(out DateTimeOffset deadline));
        Assert.Equal(clock.GetUtcNow() + Second, deadline);

        clock.Advance(Second - Tick);
        Assert.Null(ctx.Err);
        clock.Advance(Tick);
        await WaitDoneAsync(ctx);

        Assert.Same(Context.DeadlineExceeded, ctx.Err);
        Assert.Same(Context.DeadlineExceeded, Context.Cause(ctx));
        Assert.Equal("context deadline exceeded", Context.DeadlineExceeded.Message);

        // The timer's goroutine closes Done before it drops the timer: wait for the cancel to end.
        GoTest.SpinUntil(() => !((TimerContext)ctx).HasTimer, "the expired context to drop its timer");
        cancel(); // after the deadline: changes nothing
        Assert.Same(Context.DeadlineExceeded, ctx.Err);
    }

    [Fact]
    public async Task ThrowIfDone_DeadlinePassed_ThrowsADeadlineExceededExceptionThatIsACancellation()
    {
        using var clock = FakeClock.Install();
        var (ctx, cancel) = Context.WithTimeout(Context.Background, Second);
        clock.Advance(Second);
        await WaitDoneAsync(ctx);

        OperationCanceledException thrown = Assert.ThrowsAny<OperationCanceledException>(ctx.ThrowIfDone);

        var expired = Assert.IsType<DeadlineExceededException>(thrown);
        Assert.NotSame(Context.DeadlineExceeded, expired);
        Assert.Same(Context.DeadlineExceeded, expired.Err);
        Assert.Same(Context.DeadlineExceeded, expired.Cause);
        Assert.Equal("context deadline exceeded", expired.Message);
        Assert.True(expired.CancellationToken.IsCancellationRequested);
        cancel();
    }

    [Fact]
    public async Task ThrowIfDone_DeadlinePassed_DotNetCodeReadsItAsATimeout()
    {
        using var clock = FakeClock.Install();
        var (ctx, cancel) = Context.WithTimeout(Context.Background, Second);
        clock.Advance(Second);
        await WaitDoneAsync(ctx);

        string handledAs;
        try
        {
            ctx.ThrowIfDone();
            handledAs = "not thrown";
        }
        catch (OperationCanceledException e) when (e.InnerException is TimeoutException timeout)
        {
            handledAs = timeout.Message; // HttpClient's convention for a timeout that cancels
        }

        Assert.Equal("context deadline exceeded", handledAs);
        cancel();
    }

    [Fact]
    public async Task WithTimeoutCause_TimePasses_CauseIsTheGivenException()
    {
        using var clock = FakeClock.Install();
        var cause = new TimeoutException("the backend took too long");
        var (ctx, cancel) = Context.WithTimeoutCause(Context.Background, Second, cause);

        clock.Advance(Second);
        await WaitDoneAsync(ctx);

        Assert.Same(Context.DeadlineExceeded, ctx.Err);
        Assert.Same(cause, Context.Cause(ctx));
        var thrown = Assert.Throws<DeadlineExceededException>(ctx.ThrowIfDone);
        Assert.Same(cause, thrown.InnerException);
        Assert.Equal("context deadline exceeded: the backend took too long", thrown.Message);
        cancel();
    }

    [Fact]
    public void WithDeadlineCause_CanceledByItsFunction_IsCanceledWithoutTheCause()
    {
        using var clock = FakeClock.Install();
        var (ctx, cancel) = Context.WithDeadlineCause(Context.Background, clock.GetUtcNow() + Second, new TimeoutException("late"));

        cancel();

        Assert.Same(Context.Canceled, ctx.Err);
        Assert.Same(Context.Canceled, Context.Cause(ctx));
        Assert.False(((TimerContext)ctx).HasTimer, "Cancel did not stop the timer.");
        clock.Advance(Second * 10);
        Assert.Same(Context.Canceled, ctx.Err);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void WithTimeout_NotPositive_IsDoneAtOnceWithoutATimer(int seconds)
    {
        using var clock = FakeClock.Install();
        var (ctx, cancel) = Context.WithTimeout(Context.Background, TimeSpan.FromSeconds(seconds));
        Assert.Same(Context.DeadlineExceeded, ctx.Err);
        Assert.True(ctx.Done.TryReceive(out _, out _));
        Assert.False(((TimerContext)ctx).HasTimer);
        cancel();
    }

    [Fact]
    public void WithDeadline_PassedWithACause_IsDoneAtOnceWithThatCause()
    {
        using var clock = FakeClock.Install();
        var cause = new InvalidOperationException("too late to start");
        var (ctx, _) = Context.WithDeadlineCause(Context.Background, clock.GetUtcNow() - Second, cause);
        Assert.Same(Context.DeadlineExceeded, ctx.Err);
        Assert.Same(cause, Context.Cause(ctx));
    }

    [Fact]
    public async Task WithDeadline_ParentDeadlineEarlier_ChildIsAPlainCancelContextThatInheritsIt()
    {
        using var clock = FakeClock.Install();
        var (parent, cancelParent) = Context.WithTimeout(Context.Background, Second);
        var (child, cancelChild) = Context.WithTimeout(parent, Second * 5);

        Assert.EndsWith(".WithCancel", child.ToString(), StringComparison.Ordinal);
        Assert.True(child.TryGetDeadline(out DateTimeOffset deadline));
        Assert.True(parent.TryGetDeadline(out DateTimeOffset parentDeadline));
        Assert.Equal(parentDeadline, deadline);

        clock.Advance(Second);
        await WaitDoneAsync(child);
        Assert.Same(Context.DeadlineExceeded, child.Err);
        cancelChild();
        cancelParent();
    }

    [Fact]
    public async Task WithDeadline_ChildEarlierThanParent_ChildExpiresAloneAndLeavesTheParent()
    {
        using var clock = FakeClock.Install();
        var (parent, cancelParent) = Context.WithTimeout(Context.Background, Second * 5);
        var (child, cancelChild) = Context.WithTimeout(Context.WithValue(parent, "k", "v"), Second);
        Assert.True(child.TryGetDeadline(out DateTimeOffset deadline));
        Assert.Equal(clock.GetUtcNow() + Second, deadline);

        clock.Advance(Second);
        await WaitDoneAsync(child);

        Assert.Same(Context.DeadlineExceeded, child.Err);
        Assert.Null(parent.Err);

        // The timer's goroutine closes Done, then leaves the parent (as Go's cancel): wait for it.
        GoTest.SpinUntil(() => ((CancelContext)parent).ChildCount == 0, "the expired child to leave its parent");
        cancelChild();
        cancelParent();
    }

    [Fact]
    public void Cancel_ParentBeforeTheChildsDeadline_CancelsTheChildAndStopsItsTimer()
    {
        using var clock = FakeClock.Install();
        var (parent, cancelParent) = Context.WithCancel(Context.Background);
        var (child, _) = Context.WithTimeout(parent, Second);

        cancelParent();

        Assert.Same(Context.Canceled, child.Err);
        Assert.False(((TimerContext)child).HasTimer);
    }

    [Fact]
    public void WithTimeout_ParentAlreadyCanceled_IsCanceledAndArmsNoTimer()
    {
        using var clock = FakeClock.Install();
        var (parent, cancelParent) = Context.WithCancel(Context.Background);
        cancelParent();
        var (child, _) = Context.WithTimeout(parent, Second);
        Assert.Same(Context.Canceled, child.Err);
        Assert.False(((TimerContext)child).HasTimer);
    }

    [Fact]
    public void TryGetDeadline_ThroughValueAndWithoutCancel_InheritedThenDropped()
    {
        using var clock = FakeClock.Install();
        Assert.False(Context.Background.TryGetDeadline(out _));
        var (ctx, cancel) = Context.WithTimeout(Context.Background, Second);
        Context value = Context.WithValue(ctx, "k", 1);
        var (child, cancelChild) = Context.WithCancel(value);

        Assert.True(value.TryGetDeadline(out DateTimeOffset fromValue));
        Assert.True(child.TryGetDeadline(out DateTimeOffset fromChild));
        Assert.Equal(fromValue, fromChild);
        Assert.False(Context.WithoutCancel(child).TryGetDeadline(out DateTimeOffset none));
        Assert.Equal(default, none);
        cancelChild();
        cancel();
    }

    [Fact]
    public void WithTimeout_Huge_SaturatesTheDeadline()
    {
        using var clock = FakeClock.Install();
        var (ctx, cancel) = Context.WithTimeout(Context.Background, TimeSpan.MaxValue);
        Assert.True(ctx.TryGetDeadline(out DateTimeOffset deadline));
        Assert.Equal(DateTimeOffset.MaxValue, deadline);
        Assert.Null(ctx.Err);
        cancel();
    }

    [Fact]
    public void WithTimeout_HugeOnTheSystemClock_ArmsATimerThatCancelStops()
    {
        var (ctx, cancel) = Context.WithTimeout(Context.Background, TimeSpan.MaxValue);
        Assert.True(((TimerContext)ctx).HasTimer);
        cancel();
        Assert.False(((TimerContext)ctx).HasTimer);
        Assert.Same(Context.Canceled, ctx.Err);
    }

    [Fact]
    public void ToString_Deadline_ShowsTheDeadlineAndTheTimeLeft()
    {
        using var clock = FakeClock.Install();
        var (ctx, cancel) = Context.WithTimeout(Context.Background, Second);
        Assert.Equal("context.Background.WithDeadline(2026-01-01T00:00:01.0000000+00:00 [00:00:01])", ctx.ToString());
        cancel();
    }

    [Fact]
    public async Task Done_SelectWithATimeout_ChoosesDoneWhenTimeIsUp()
    {
        using var clock = FakeClock.Install();
        var (ctx, cancel) = Context.WithTimeout(Context.Background, Second);
        var results = new Chan<int>();
        Spawned<int> waiter = await Spawned.ParkedAsync(
            async () => await new Select().Receive(results).Receive(ctx.Done).WaitAsync(),
            WaitReason.Select);

        clock.Advance(Second);

        Assert.Equal(1, await waiter.Result.Within(what: "the select to time out"));
        cancel();
    }

    [Fact]
    public async Task CancellationToken_DeadlinePasses_IsCanceled()
    {
        using var clock = FakeClock.Install();
        var (ctx, cancel) = Context.WithTimeout(Context.Background, Second);
        var canceled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using CancellationTokenRegistration registration = ctx.CancellationToken.Register(canceled.SetResult);

        clock.Advance(Second);

        await canceled.Task.Within(what: "the token of the expired context");
        cancel();
    }

    [Fact]
    public async Task WeightedSemaphoreAcquireAsync_TimeoutPasses_ThrowsDeadlineExceeded()
    {
        using var clock = FakeClock.Install();
        var semaphore = new WeightedSemaphore(1);
        Assert.True(semaphore.TryAcquire(1));
        var (ctx, cancel) = Context.WithTimeout(Context.Background, Second);
        Spawned waiter = await Spawned.ParkedAsync(async () => await semaphore.AcquireAsync(ctx, 1), WaitReason.Select);

        clock.Advance(Second);

        var error = await Assert.ThrowsAsync<DeadlineExceededException>(() => waiter.Completion.Within(what: "the timed-out acquisition"));
        Assert.Same(Context.DeadlineExceeded, error.Err);
        semaphore.Release(1);
        cancel();
    }

    [Fact]
    public async Task ErrorGroupWithContext_ParentTimesOut_FunctionsSeeDeadlineExceeded()
    {
        using var clock = FakeClock.Install();
        var (parent, cancel) = Context.WithTimeout(Context.Background, Second);
        var (group, ctx) = ErrorGroup.WithContext(parent);
        var parked = new Chan<ValueTuple>(1);
        await group.GoAsync(async () =>
        {
            await parked.SendAsync(default);
            await ctx.Done.ReceiveAsync();
            ctx.ThrowIfDone();
        });
        await GoTest.RunAsync(async () => await parked.ReceiveAsync());

        clock.Advance(Second);

        var error = await Assert.ThrowsAsync<DeadlineExceededException>(() => Task.Run(group.Wait).Within(what: "the group"));
        Assert.Same(Context.DeadlineExceeded, error.Err);
        cancel();
    }

    // The timer's function runs in its own goroutine after Advance returns: wait for Done.
    private static Task WaitDoneAsync(Context ctx) =>
        GoTest.RunAsync(async () =>
        {
            await ctx.Done.ReceiveAsync();
        });
}
