// Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Contexts;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Contexts;

public sealed class CancellationTokenInteropTests : RuntimeTest
{
    [Fact]
    public void CancellationToken_ContextCanceled_IsCanceledAndItsCallbacksRun()
    {
        var (ctx, cancel) = Context.WithCancel(Context.Background);
        CancellationToken token = ctx.CancellationToken;
        Assert.True(token.CanBeCanceled);
        Assert.False(token.IsCancellationRequested);
        Assert.Equal(token, ctx.CancellationToken);
        bool doneWhenCalled = false;
        using CancellationTokenRegistration registration = token.Register(() => doneWhenCalled = ctx.Err is not null && ctx.Done.TryReceive(out _, out _));

        cancel();

        Assert.True(token.IsCancellationRequested);
        Assert.True(doneWhenCalled, "The token's callback ran before the context was done.");
    }

    [Fact]
    public async Task CancellationToken_PassedToADotNetApi_CancelsIt()
    {
        var (ctx, cancel) = Context.WithCancel(Context.Background);
        Task delay = Task.Delay(Timeout.Infinite, ctx.CancellationToken);
        cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => delay.Within(what: "the canceled delay"));
    }

    [Fact]
    public void CancellationToken_AskedForAfterDone_IsCanceled()
    {
        var (parent, cancel) = Context.WithCancel(Context.Background);
        var (child, _) = Context.WithCancel(parent);
        cancel();
        Assert.True(child.CancellationToken.IsCancellationRequested);
        Assert.True(Context.WithValue(child, "k", 1).CancellationToken.IsCancellationRequested);
    }

    [Fact]
    public void Cancel_TokenCallbackThrows_ThrowsAggregateAfterTheWholeTreeIsDone()
    {
        var (parent, cancel) = Context.WithCancel(Context.Background);
        var (child, _) = Context.WithCancel(parent);
        using CancellationTokenRegistration registration = parent.CancellationToken.Register(() => throw new InvalidOperationException("callback"));

        var error = Assert.Throws<AggregateException>(() => cancel());

        Assert.Equal("callback", Assert.Single(error.InnerExceptions).Message);
        Assert.Same(Context.Canceled, parent.Err);
        Assert.Same(Context.Canceled, child.Err);
        Assert.True(child.CancellationToken.IsCancellationRequested);
    }

    [Fact]
    public void WithCancellationToken_TokenCanceled_CancelsWithAnOperationCanceledCause()
    {
        using var source = new CancellationTokenSource();
        var (ctx, cancel) = Context.WithCancellationToken(Context.Background, source.Token);
        var (child, _) = Context.WithCancel(ctx);
        Assert.Null(ctx.Err);
        Assert.Equal("context.Background.WithCancellationToken", ctx.ToString());

        source.Cancel();

        Assert.Same(Context.Canceled, ctx.Err);
        var cause = Assert.IsType<OperationCanceledException>(Context.Cause(ctx));
        Assert.Equal(source.Token, cause.CancellationToken);
        Assert.Same(cause, Context.Cause(child));
        Assert.True(ctx.Done.TryReceive(out _, out _));
        Assert.False(((TokenContext)ctx).IsRegistered);
        cancel();
    }

    [Fact]
    public void WithCancellationToken_TokenAlreadyCanceled_IsDoneAtOnceAndHoldsNoRegistration()
    {
        var (ctx, _) = Context.WithCancellationToken(Context.Background, new CancellationToken(canceled: true));
        Assert.Same(Context.Canceled, ctx.Err);
        Assert.IsType<OperationCanceledException>(Context.Cause(ctx));
        Assert.False(((TokenContext)ctx).IsRegistered);
    }

    [Fact]
    public void WithCancellationToken_CanceledByItsFunctionOrParent_GivesUpTheRegistration()
    {
        using var source = new CancellationTokenSource();
        var (parent, cancelParent) = Context.WithCancel(Context.Background);
        var (byFunction, cancel) = Context.WithCancellationToken(Context.Background, source.Token);
        var (byParent, _) = Context.WithCancellationToken(parent, source.Token);
        Assert.True(((TokenContext)byFunction).IsRegistered);
        Assert.True(((TokenContext)byParent).IsRegistered);

        cancel();
        cancelParent();

        Assert.False(((TokenContext)byFunction).IsRegistered);
        Assert.False(((TokenContext)byParent).IsRegistered);
        Assert.Same(Context.Canceled, Context.Cause(byFunction));
        Assert.Same(Context.Canceled, Context.Cause(byParent));
        source.Cancel(); // nothing left to run, nothing to change
        Assert.Same(Context.Canceled, Context.Cause(byFunction));
    }

    [Fact]
    public void WithCancellationToken_ParentAlreadyCanceled_NeverRegisters()
    {
        using var source = new CancellationTokenSource();
        var (parent, cancelParent) = Context.WithCancel(Context.Background);
        cancelParent();
        var (ctx, _) = Context.WithCancellationToken(parent, source.Token);
        Assert.Same(Context.Canceled, ctx.Err);
        Assert.False(((TokenContext)ctx).IsRegistered);
    }

    [Fact]
    public async Task WithCancellationToken_TokenCanceledWhileCreating_EndsCanceledWithoutARegistration()
    {
        const int iterations = 2_000;
        for (int i = 0; i < iterations; i++)
        {
            using var source = new CancellationTokenSource();
            Task canceler = Task.Run(source.Cancel);
            var (ctx, _) = Context.WithCancellationToken(Context.Background, source.Token);
            await canceler.Within(what: "the token's cancel");

            Assert.Same(Context.Canceled, ctx.Err);
            Assert.False(((TokenContext)ctx).IsRegistered, $"Iteration {i}: the registration outlived the context.");
        }
    }

    [Fact]
    public void WithCancellationToken_TokenThatCannotBeCanceled_IsAPlainCancelContext()
    {
        var (ctx, cancel) = Context.WithCancellationToken(Context.Background, CancellationToken.None);
        Assert.Equal("context.Background.WithCancel", ctx.ToString());
        cancel();
        Assert.Same(Context.Canceled, ctx.Err);
    }
}
