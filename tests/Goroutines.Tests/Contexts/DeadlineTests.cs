// Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Contexts;
using Goroutines.Sync;
using Goroutines.Testing;
using Goroutines.Tests.TestSupport;
using Goroutines.Time;

using Xunit;

namespace Goroutines.Tests.Contexts;

/// <summary>
/// Contexts with deadlines, in bubbles (<see cref="SyncTest"/>): a deadline's timer lives on the
/// bubble's clock, so each context expires at its exact virtual instant, and
/// <see cref="SyncTest.WaitAsync"/> says when the cancel the timer started has finished. Only a
/// huge timeout on the system clock stays outside.
/// </summary>
public sealed class DeadlineTests : RuntimeTest
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    [Fact]
    public async Task WithTimeout_TimePasses_DoneWithDeadlineExceeded()
    {
        await SyncTest.RunAsync(async () =>
        {
            Instant start = Clock.Now();
            var (ctx, cancel) = Context.WithTimeout(Context.Background, Second);
            Assert.True(ctx.TryGetDeadline(out DateTimeOffset deadline));
            Assert.Equal(start.Wall + Second, deadline);

            await Clock.SleepAsync(Second - Tick);
            Assert.Null(ctx.Err);
            await ctx.Done.ReceiveAsync();
            Assert.Equal(Second, Clock.Since(start));

            Assert.Same(Context.DeadlineExceeded, ctx.Err);
            Assert.Same(Context.DeadlineExceeded, Context.Cause(ctx));
            Assert.Equal("context deadline exceeded", Context.DeadlineExceeded.Message);

            // The timer's goroutine closes Done before it drops the timer: wait for the cancel to end.
            await SyncTest.WaitAsync();
            Assert.False(((TimerContext)ctx).HasTimer, "The expired context kept its timer.");
            cancel(); // after the deadline: changes nothing
            Assert.Same(Context.DeadlineExceeded, ctx.Err);
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task ThrowIfDone_DeadlinePassed_ThrowsADeadlineExceededExceptionThatIsACancellation()
    {
        await SyncTest.RunAsync(async () =>
        {
            var (ctx, cancel) = Context.WithTimeout(Context.Background, Second);
            await ctx.Done.ReceiveAsync();

            OperationCanceledException thrown = Assert.ThrowsAny<OperationCanceledException>(ctx.ThrowIfDone);

            var expired = Assert.IsType<DeadlineExceededException>(thrown);
            Assert.NotSame(Context.DeadlineExceeded, expired);
            Assert.Same(Context.DeadlineExceeded, expired.Err);
            Assert.Same(Context.DeadlineExceeded, expired.Cause);
            Assert.Equal("context deadline exceeded", expired.Message);
            Assert.True(expired.CancellationToken.IsCancellationRequested);
            cancel();
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task ThrowIfDone_DeadlinePassed_DotNetCodeReadsItAsATimeout()
    {
        await SyncTest.RunAsync(async () =>
        {
            var (ctx, cancel) = Context.WithTimeout(Context.Background, Second);
            await ctx.Done.ReceiveAsync();

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
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task WithTimeoutCause_TimePasses_CauseIsTheGivenException()
    {
        await SyncTest.RunAsync(async () =>
        {
            Instant start = Clock.Now();
            var cause = new TimeoutException("the backend took too long");
            var (ctx, cancel) = Context.WithTimeoutCause(Context.Background, Second, cause);

            await ctx.Done.ReceiveAsync();
            Assert.Equal(Second, Clock.Since(start));

            Assert.Same(Context.DeadlineExceeded, ctx.Err);
            Assert.Same(cause, Context.Cause(ctx));
            var thrown = Assert.Throws<DeadlineExceededException>(ctx.ThrowIfDone);
            Assert.Same(cause, thrown.InnerException);
            Assert.Equal("context deadline exceeded: the backend took too long", thrown.Message);
            cancel();
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task WithDeadlineCause_CanceledByItsFunction_IsCanceledWithoutTheCause()
    {
        await SyncTest.RunAsync(async () =>
        {
            var (ctx, cancel) = Context.WithDeadlineCause(Context.Background, Clock.Provider.GetUtcNow() + Second, new TimeoutException("late"));

            cancel();

            Assert.Same(Context.Canceled, ctx.Err);
            Assert.Same(Context.Canceled, Context.Cause(ctx));
            Assert.False(((TimerContext)ctx).HasTimer, "Cancel did not stop the timer.");
            await Clock.SleepAsync(Second * 10);
            Assert.Same(Context.Canceled, ctx.Err);
        }).WaitAsync(TestTimeouts.Default);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public async Task WithTimeout_NotPositive_IsDoneAtOnceWithoutATimer(int seconds)
    {
        await SyncTest.RunAsync(() =>
        {
            var (ctx, cancel) = Context.WithTimeout(Context.Background, TimeSpan.FromSeconds(seconds));
            Assert.Same(Context.DeadlineExceeded, ctx.Err);
            Assert.True(ctx.Done.TryReceive(out _, out _));
            Assert.False(((TimerContext)ctx).HasTimer);
            cancel();
            return Task.CompletedTask;
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task WithDeadline_PassedWithACause_IsDoneAtOnceWithThatCause()
    {
        await SyncTest.RunAsync(() =>
        {
            var cause = new InvalidOperationException("too late to start");
            var (ctx, _) = Context.WithDeadlineCause(Context.Background, Clock.Provider.GetUtcNow() - Second, cause);
            Assert.Same(Context.DeadlineExceeded, ctx.Err);
            Assert.Same(cause, Context.Cause(ctx));
            return Task.CompletedTask;
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task WithDeadline_ParentDeadlineEarlier_ChildIsAPlainCancelContextThatInheritsIt()
    {
        await SyncTest.RunAsync(async () =>
        {
            Instant start = Clock.Now();
            var (parent, cancelParent) = Context.WithTimeout(Context.Background, Second);
            var (child, cancelChild) = Context.WithTimeout(parent, Second * 5);

            Assert.EndsWith(".WithCancel", child.ToString(), StringComparison.Ordinal);
            Assert.True(child.TryGetDeadline(out DateTimeOffset deadline));
            Assert.True(parent.TryGetDeadline(out DateTimeOffset parentDeadline));
            Assert.Equal(parentDeadline, deadline);

            await child.Done.ReceiveAsync();
            Assert.Equal(Second, Clock.Since(start));
            Assert.Same(Context.DeadlineExceeded, child.Err);
            cancelChild();
            cancelParent();
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task WithDeadline_ChildEarlierThanParent_ChildExpiresAloneAndLeavesTheParent()
    {
        await SyncTest.RunAsync(async () =>
        {
            Instant start = Clock.Now();
            var (parent, cancelParent) = Context.WithTimeout(Context.Background, Second * 5);
            var (child, cancelChild) = Context.WithTimeout(Context.WithValue(parent, "k", "v"), Second);
            Assert.True(child.TryGetDeadline(out DateTimeOffset deadline));
            Assert.Equal(start.Wall + Second, deadline);

            await child.Done.ReceiveAsync();
            Assert.Equal(Second, Clock.Since(start));

            Assert.Same(Context.DeadlineExceeded, child.Err);
            Assert.Null(parent.Err);

            // The timer's goroutine closes Done, then leaves the parent (as Go's cancel): wait for it.
            await SyncTest.WaitAsync();
            Assert.Equal(0, ((CancelContext)parent).ChildCount);
            cancelChild();
            cancelParent();
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task Cancel_ParentBeforeTheChildsDeadline_CancelsTheChildAndStopsItsTimer()
    {
        await SyncTest.RunAsync(() =>
        {
            var (parent, cancelParent) = Context.WithCancel(Context.Background);
            var (child, _) = Context.WithTimeout(parent, Second);

            cancelParent();

            Assert.Same(Context.Canceled, child.Err);
            Assert.False(((TimerContext)child).HasTimer);
            return Task.CompletedTask;
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task WithTimeout_ParentAlreadyCanceled_IsCanceledAndArmsNoTimer()
    {
        await SyncTest.RunAsync(() =>
        {
            var (parent, cancelParent) = Context.WithCancel(Context.Background);
            cancelParent();
            var (child, _) = Context.WithTimeout(parent, Second);
            Assert.Same(Context.Canceled, child.Err);
            Assert.False(((TimerContext)child).HasTimer);
            return Task.CompletedTask;
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task TryGetDeadline_ThroughValueAndWithoutCancel_InheritedThenDropped()
    {
        await SyncTest.RunAsync(() =>
        {
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
            return Task.CompletedTask;
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task WithTimeout_Huge_SaturatesTheDeadline()
    {
        await SyncTest.RunAsync(() =>
        {
            var (ctx, cancel) = Context.WithTimeout(Context.Background, TimeSpan.MaxValue);
            Assert.True(ctx.TryGetDeadline(out DateTimeOffset deadline));
            Assert.Equal(DateTimeOffset.MaxValue, deadline);
            Assert.Null(ctx.Err);
            cancel();
            return Task.CompletedTask;
        }).WaitAsync(TestTimeouts.Default);
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
    public async Task ToString_Deadline_ShowsTheDeadlineAndTheTimeLeft()
    {
        await SyncTest.RunAsync(() =>
        {
            var (ctx, cancel) = Context.WithTimeout(Context.Background, Second);
            Assert.Equal("context.Background.WithDeadline(2000-01-01T00:00:01.0000000+00:00 [00:00:01])", ctx.ToString());
            cancel();
            return Task.CompletedTask;
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task Done_SelectWithATimeout_ChoosesDoneWhenTimeIsUp()
    {
        await SyncTest.RunAsync(async () =>
        {
            Instant start = Clock.Now();
            var (ctx, cancel) = Context.WithTimeout(Context.Background, Second);
            var results = new Chan<int>();

            int chosen = await new Select().Receive(results).Receive(ctx.Done).WaitAsync();

            Assert.Equal(1, chosen);
            Assert.Equal(Second, Clock.Since(start));
            cancel();
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task CancellationToken_DeadlinePasses_IsCanceled()
    {
        var canceled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await SyncTest.RunAsync(async () =>
        {
            var (ctx, cancel) = Context.WithTimeout(Context.Background, Second);
            using CancellationTokenRegistration registration = ctx.CancellationToken.Register(canceled.SetResult);

            await Clock.SleepAsync(Second - Tick);
            Assert.False(canceled.Task.IsCompleted, "The token was canceled before the deadline.");
            await ctx.Done.ReceiveAsync();
            await SyncTest.WaitAsync(); // the cancel the timer started has returned

            Assert.True(canceled.Task.IsCompletedSuccessfully, "The token of the expired context was not canceled.");
            cancel();
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task WeightedSemaphoreAcquireAsync_TimeoutPasses_ThrowsDeadlineExceeded()
    {
        await SyncTest.RunAsync(async () =>
        {
            Instant start = Clock.Now();
            var semaphore = new WeightedSemaphore(1);
            Assert.True(semaphore.TryAcquire(1));
            var (ctx, cancel) = Context.WithTimeout(Context.Background, Second);

            var error = await Assert.ThrowsAsync<DeadlineExceededException>(async () => await semaphore.AcquireAsync(ctx, 1));

            Assert.Equal(Second, Clock.Since(start));
            Assert.Same(Context.DeadlineExceeded, error.Err);
            semaphore.Release(1);
            cancel();
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public async Task ErrorGroupWithContext_ParentTimesOut_FunctionsSeeDeadlineExceeded()
    {
        await SyncTest.RunAsync(async () =>
        {
            Instant start = Clock.Now();
            var (parent, cancel) = Context.WithTimeout(Context.Background, Second);
            var (group, ctx) = ErrorGroup.WithContext(parent);
            await group.GoAsync(async () =>
            {
                await ctx.Done.ReceiveAsync();
                ctx.ThrowIfDone();
            });

            var error = await Assert.ThrowsAsync<DeadlineExceededException>(async () => await group.WaitAsync());

            Assert.Equal(Second, Clock.Since(start));
            Assert.Same(Context.DeadlineExceeded, error.Err);
            cancel();
        }).WaitAsync(TestTimeouts.Default);
    }
}
