// Licensed under the MIT License.

using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Contexts;
using Goroutines.Scheduling;
using Goroutines.Sync;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Sync;

public sealed class ErrorGroupTests : RuntimeTest
{
    [Fact]
    public async Task WaitAsync_NoFunctionThrows_CompletesAfterEveryOneReturned()
    {
        const int functions = 100;
        var group = new ErrorGroup();
        int ran = 0;
        await GoTest.RunAsync(async () =>
        {
            for (int i = 0; i < functions; i++)
            {
                await group.GoAsync(async () =>
                {
                    await Go.YieldAsync();
                    Interlocked.Increment(ref ran);
                });
            }

            group.Go(() => Interlocked.Increment(ref ran));
            await group.WaitAsync();
            Assert.Equal(functions + 1, Volatile.Read(ref ran));
        });
    }

    [Fact]
    public async Task WaitAsync_AFunctionThrows_RethrowsThatExceptionWithItsStackAndReportsNoPanic()
    {
        var group = new ErrorGroup();
        await GoTest.RunAsync(async () =>
        {
            await group.GoAsync(FailAsync);
            group.Go(() => { });

            var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await group.WaitAsync());

            Assert.Equal("fetch failed", error.Message);
            Assert.Contains(nameof(FailAsync), error.StackTrace, StringComparison.Ordinal);
            var again = await Assert.ThrowsAsync<InvalidOperationException>(async () => await group.WaitAsync());
            Assert.Same(error, again);
        });
    }

    [Fact]
    public async Task WaitAsync_SeveralFunctionsThrow_KeepsOnlyTheFirst()
    {
        var (group, ctx) = ErrorGroup.WithContext(Context.Background);
        var first = new InvalidOperationException("first");
        await GoTest.RunAsync(async () =>
        {
            for (int i = 0; i < 5; i++)
            {
                int n = i;
                await group.GoAsync(async () =>
                {
                    await ctx.Done.ReceiveAsync(); // after the first failure
                    throw new InvalidOperationException("later " + n);
                });
            }

            await group.GoAsync(() => throw first);

            var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await group.WaitAsync());
            Assert.Same(first, error);
        });
    }

    [Fact]
    public async Task WithContext_FirstFailure_CancelsTheContextWithTheFailureAsCause()
    {
        var (group, ctx) = ErrorGroup.WithContext(Context.Background);
        var failure = new TimeoutException("backend timed out");
        var order = new EventOrder();
        var waiting = new Chan<ValueTuple>(1);
        await GoTest.RunAsync(async () =>
        {
            await group.GoAsync(async () =>
            {
                order.Expect(1);
                await waiting.SendAsync(default);
                await ctx.Done.ReceiveAsync();
                order.Expect(3);
            });
            await group.GoAsync(async () =>
            {
                await waiting.ReceiveAsync();
                order.Expect(2);
                throw failure;
            });

            var error = await Assert.ThrowsAsync<TimeoutException>(async () => await group.WaitAsync());
            order.Finish(4);

            Assert.Same(failure, error);
            Assert.Same(Context.Canceled, ctx.Err);
            Assert.Same(failure, Context.Cause(ctx));
        });
        await order.AssertFinishedAsync();
    }

    [Fact]
    public async Task WithContext_WaitReturnsWithoutFailure_CancelsTheContext()
    {
        var (group, ctx) = ErrorGroup.WithContext(Context.WithValue(Context.Background, "k", "v"));
        await GoTest.RunAsync(async () =>
        {
            await group.GoAsync(() => Assert.Null(ctx.Err));
            await group.WaitAsync();
        });

        Assert.Same(Context.Canceled, ctx.Err);
        Assert.Same(Context.Canceled, Context.Cause(ctx));
        Assert.Equal("v", ctx.Value("k"));
    }

    [Fact]
    public async Task WithContext_ParentCanceled_TheGroupsContextIsDone()
    {
        var (parent, cancel) = Context.WithCancel(Context.Background);
        var (group, ctx) = ErrorGroup.WithContext(parent);
        cancel();
        Assert.Same(Context.Canceled, ctx.Err);
        await Task.Run(group.Wait).Within(what: "an empty group's wait");
    }

    [Fact]
    public async Task TryGo_AtTheLimit_ReturnsFalseUntilASlotIsFree()
    {
        var group = new ErrorGroup();
        group.SetLimit(2);
        var release = new Chan<ValueTuple>();
        Assert.True(group.TryGo(async () => await release.ReceiveAsync()));
        Assert.True(group.TryGo(async () => await release.ReceiveAsync()));

        Assert.False(group.TryGo(() => throw new InvalidOperationException("started beyond the limit")));

        await GoTest.RunAsync(async () =>
        {
            await release.SendAsync(default); // one of the two returns and frees its slot
            await GoTest.YieldUntilAsync(() => group.TryGo(async () => await release.ReceiveAsync()), "a slot to free up");
            Assert.False(group.TryGo(() => { }));
            release.Close();
            await group.WaitAsync();
        });
    }

    [Fact]
    public async Task GoAsync_AtTheLimit_ParksUntilASlotIsFreeThenStarts()
    {
        var group = new ErrorGroup();
        group.SetLimit(1);
        var release = new Chan<ValueTuple>();
        var started = new Chan<int>(2);
        await group.GoAsync(async () =>
        {
            await started.SendAsync(1);
            await release.ReceiveAsync();
        });
        Assert.Equal(1, await GoTest.RunAsync(async () => await started.ReceiveAsync()));
        Spawned starter = await Spawned.ParkedAsync(
            async () => await group.GoAsync(async () => await started.SendAsync(2)),
            WaitReason.ChanSend);
        Assert.Equal(0, started.Count); // the second function has not started

        release.Close();

        await starter.Completion.Within(what: "the parked start");
        await Task.Run(group.Wait).Within(what: "the group");
        Assert.True(started.TryReceive(out int second) && second == 2);
    }

    [Fact]
    public async Task Go_FromPlainThreadAtTheLimit_BlocksUntilASlotIsFree()
    {
        var group = new ErrorGroup();
        group.SetLimit(1);
        var release = new Chan<ValueTuple>();
        group.Go(async () => await release.ReceiveAsync());
        int secondRan = 0;
        PlainThread starter = PlainThread.Start(() => group.Go(() => Interlocked.Increment(ref secondRan)));
        starter.WaitUntilBlocked("Go at the limit");

        release.Close();

        await starter.Completion.Within(what: "the blocked start");
        await Task.Run(group.Wait).Within(what: "the group");
        Assert.Equal(1, secondRan);
    }

    [Fact]
    public async Task GoAsync_UnderALimit_NeverRunsMoreThanTheLimitAtOnce()
    {
        const int limit = 3;
        const int functions = 60;
        var group = new ErrorGroup();
        group.SetLimit(limit);
        int active = 0;
        int most = 0;
        await GoTest.RunAsync(async () =>
        {
            for (int i = 0; i < functions; i++)
            {
                await group.GoAsync(async () =>
                {
                    int now = Interlocked.Increment(ref active);
                    int seen;
                    while ((seen = Volatile.Read(ref most)) < now && Interlocked.CompareExchange(ref most, now, seen) != seen)
                    {
                    }

                    await Go.YieldAsync();
                    Interlocked.Decrement(ref active);
                });
            }

            await group.WaitAsync();
        });

        Assert.InRange(most, 1, limit);
    }

    [Fact]
    public async Task SetLimit_WhileGoroutinesUnderTheLimitAreActive_ThrowsGosMessage()
    {
        var group = new ErrorGroup();
        group.SetLimit(2);
        var release = new Chan<ValueTuple>();
        Assert.True(group.TryGo(async () => await release.ReceiveAsync()));

        var error = Assert.Throws<InvalidOperationException>(() => group.SetLimit(5));
        Assert.Equal("errgroup: modify limit while 1 goroutines in the group are still active", error.Message);

        group.SetLimit(-1); // removing the limit is always allowed, as in Go
        group.SetLimit(1);  // the goroutine started under the old limit does not count
        release.Close();
        await Task.Run(group.Wait).Within(what: "the group");
    }

    [Fact]
    public async Task SetLimit_Zero_NoFunctionCanStart()
    {
        var group = new ErrorGroup();
        group.SetLimit(0);
        Assert.False(group.TryGo(() => { }));
        group.SetLimit(-1);
        Assert.True(group.TryGo(() => { }));
        await Task.Run(group.Wait).Within(what: "the group");
    }

    [Fact]
    public async Task Wait_FromPlainThread_RethrowsTheFirstFailure()
    {
        var group = new ErrorGroup();
        group.Go(() => throw new FormatException("bad input"));
        var error = await Assert.ThrowsAsync<FormatException>(() => Task.Run(group.Wait).Within(what: "the group"));
        Assert.Equal("bad input", error.Message);
    }

    [Fact]
    public async Task Go_NullFunctionOrParent_Throws()
    {
        var group = new ErrorGroup();
        Assert.Throws<ArgumentNullException>(() => group.Go((Action)null!));
        Assert.Throws<ArgumentNullException>(() => group.Go((Func<Task>)null!));
        Assert.Throws<ArgumentNullException>(() => group.TryGo((Action)null!));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await group.GoAsync((Func<Task>)null!));
        Assert.Throws<ArgumentNullException>(() => ErrorGroup.WithContext(null!));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task FailAsync()
    {
        await Go.YieldAsync();
        throw new InvalidOperationException("fetch failed");
    }
}
