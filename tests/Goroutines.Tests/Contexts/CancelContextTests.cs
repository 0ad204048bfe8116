// Licensed under the MIT License.

using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Contexts;
using Goroutines.Scheduling;
using Goroutines.Sync;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Contexts;

public sealed class CancelContextTests : RuntimeTest
{
    [Fact]
    public void Err_BeforeAndAfterCancel_IsNullThenTheCanceledSentinel()
    {
        var (ctx, cancel) = Context.WithCancel(Context.Background);
        Assert.Null(ctx.Err);
        Assert.Null(Context.Cause(ctx));
        Assert.False(ctx.Done.TryReceive(out _, out _));

        cancel();

        Assert.Same(Context.Canceled, ctx.Err);
        Assert.Same(Context.Canceled, Context.Cause(ctx));
        Assert.True(ctx.Done.TryReceive(out _, out bool ok), "Done is not closed after cancel.");
        Assert.False(ok);
        Assert.Equal("context canceled", Context.Canceled.Message);
    }

    [Fact]
    public void Cancel_CalledAgainAndFromManyThreads_HasEffectOnce()
    {
        var (ctx, cancel) = Context.WithCancelCause(Context.Background);
        int callbacks = 0;
        using CancellationTokenRegistration registration = ctx.CancellationToken.Register(() => Interlocked.Increment(ref callbacks));
        var first = new InvalidOperationException("first");

        cancel(first);
        Parallel.For(0, 16, i => cancel(new InvalidOperationException("later " + i)));
        cancel(null);

        Assert.Same(Context.Canceled, ctx.Err);
        Assert.Same(first, Context.Cause(ctx));
        Assert.Equal(1, Volatile.Read(ref callbacks));
    }

    [Fact]
    public void WithCancelCause_NullCause_CauseIsCanceled()
    {
        var (ctx, cancel) = Context.WithCancelCause(Context.Background);
        cancel(null);
        Assert.Same(Context.Canceled, ctx.Err);
        Assert.Same(Context.Canceled, Context.Cause(ctx));
    }

    [Fact]
    public void Cancel_Parent_CancelsEveryDescendantWithItsErrAndCause()
    {
        var (parent, cancel) = Context.WithCancelCause(Context.Background);
        var (child, _) = Context.WithCancel(parent);
        Context value = Context.WithValue(child, "k", "v");
        var (grandchild, _) = Context.WithCancel(value);
        var cause = new TimeoutException("upstream gone");

        cancel(cause);

        foreach (Context descendant in new[] { child, value, grandchild })
        {
            Assert.Same(Context.Canceled, descendant.Err);
            Assert.Same(cause, Context.Cause(descendant));
            Assert.True(descendant.Done.TryReceive(out _, out _), $"{descendant} is not done.");
            Assert.True(descendant.CancellationToken.IsCancellationRequested);
        }
    }

    [Fact]
    public void Cancel_Child_LeavesParentAndSiblingRunningAndUnregistersTheChild()
    {
        var (parent, cancelParent) = Context.WithCancel(Context.Background);
        var (child, cancelChild) = Context.WithCancel(parent);
        var (sibling, cancelSibling) = Context.WithCancel(parent);
        var registry = (CancelContext)parent;
        Assert.Equal(2, registry.ChildCount);

        cancelChild();

        Assert.Same(Context.Canceled, child.Err);
        Assert.Null(parent.Err);
        Assert.Null(sibling.Err);
        Assert.Equal(1, registry.ChildCount);

        cancelSibling();
        cancelParent();
        Assert.Equal(0, registry.ChildCount);
    }

    [Fact]
    public void WithCancel_ParentAlreadyCanceled_ChildIsCanceledAtOnceWithParentsErrAndCause()
    {
        var (parent, cancel) = Context.WithCancelCause(Context.Background);
        var cause = new InvalidOperationException("shutting down");
        cancel(cause);

        var (child, _) = Context.WithCancel(Context.WithValue(parent, "k", 1));

        Assert.Same(Context.Canceled, child.Err);
        Assert.Same(cause, Context.Cause(child));
        Assert.True(child.Done.TryReceive(out _, out _));
        Assert.True(child.CancellationToken.IsCancellationRequested);
        Assert.Equal(0, ((CancelContext)parent).ChildCount);
    }

    [Fact]
    public async Task WithCancel_RacingTheParentsCancel_ChildAlwaysEndsCanceled()
    {
        const int iterations = 2_000;
        Settings.SetMaxProcs(Math.Max(2, Go.MaxProcs));
        await GoTest.RunAsync(async () =>
        {
            for (int i = 0; i < iterations; i++)
            {
                var (parent, cancelParent) = Context.WithCancel(Context.Background);
                Context? child = null;
                Context? grandchild = null;
                await Together.RunAsync(
                    () => cancelParent(),
                    () =>
                    {
                        (child, _) = Context.WithCancel(parent);
                        (grandchild, _) = Context.WithCancel(Context.WithValue(child, "k", i));
                    });

                Assert.Same(Context.Canceled, child!.Err);
                Assert.Same(Context.Canceled, grandchild!.Err);
                Assert.True(grandchild.Done.TryReceive(out _, out _), $"Iteration {i}: the grandchild's Done is open.");
                Assert.Equal(0, ((CancelContext)parent).ChildCount);
            }
        });
    }

    [Fact]
    public async Task Cancel_ParentAndChildAtOnce_BothEndCanceledAndNothingStaysRegistered()
    {
        const int iterations = 2_000;
        Settings.SetMaxProcs(Math.Max(2, Go.MaxProcs));
        await GoTest.RunAsync(async () =>
        {
            for (int i = 0; i < iterations; i++)
            {
                var (parent, cancelParent) = Context.WithCancel(Context.Background);
                var (child, cancelChild) = Context.WithCancelCause(parent);
                await Together.RunAsync(
                    () => cancelParent(),
                    () => cancelChild(null));

                Assert.Same(Context.Canceled, parent.Err);
                Assert.Same(Context.Canceled, child.Err);
                Assert.Equal(0, ((CancelContext)parent).ChildCount);
            }
        });
    }

    [Fact]
    public async Task Cancel_WhileAnInnerContextIsBeingCanceled_ReturnsOnlyOnceEveryDescendantIsDone_AsGoGuarantees()
    {
        // Go: when cancel returns, the context and all its descendants are done, even while
        // another goroutine is canceling a context between them.
        const int rounds = 20;
        const int leaves = 20_000;
        Settings.SetMaxProcs(Math.Max(2, Go.MaxProcs));
        await GoTest.RunAsync(async () =>
        {
            for (int round = 0; round < rounds; round++)
            {
                var (root, cancelRoot) = Context.WithCancel(Context.Background);
                var (inner, cancelInner) = Context.WithCancel(root);
                var descendants = new Context[leaves];
                for (int i = 0; i < leaves; i++)
                {
                    (descendants[i], _) = Context.WithCancel(inner);
                }

                int notDone = -1;
                await Together.RunAsync(
                    () => cancelInner(),
                    () =>
                    {
                        cancelRoot();
                        notDone = descendants.Count(d => d.Err is null);
                    });

                Assert.True(notDone == 0, $"Round {round}: {notDone} of {leaves} descendants were not done when the root's cancel returned.");
                Assert.Equal(0, ((CancelContext)inner).ChildCount);
            }
        });
    }

    [Fact]
    public async Task Cancel_InnerAndRootAtOnce_EveryAfterFuncBelowRunsExactlyOnce()
    {
        // Two cancels walk the same subtree at once; each context is marked by one of them, and
        // that one must start its AfterFunc, also when the context it was called on was done first.
        const int rounds = 50;
        const int afterFuncs = 2_000;
        Settings.SetMaxProcs(Math.Max(2, Go.MaxProcs));
        await GoTest.RunAsync(async () =>
        {
            for (int round = 0; round < rounds; round++)
            {
                var (root, cancelRoot) = Context.WithCancel(Context.Background);
                var (inner, cancelInner) = Context.WithCancel(root);
                int runs = 0;
                for (int i = 0; i < afterFuncs; i++)
                {
                    Context.AfterFunc(Context.WithValue(inner, "i", i), () => Interlocked.Increment(ref runs));
                }

                await Together.RunAsync(() => cancelInner(), () => cancelRoot());
                await GoTest.YieldUntilAsync(() => Volatile.Read(ref runs) >= afterFuncs, $"round {round}: the AfterFuncs to run ({Volatile.Read(ref runs)} of {afterFuncs})");
                Assert.Equal(afterFuncs, Volatile.Read(ref runs));
            }
        });
    }

    [Fact]
    public async Task Cancel_ParentAndChildWithCausesAtOnce_EveryContextBelowTheChildCarriesTheChildsCause()
    {
        // Go: the cancel that marks a context passes its own err and cause to everything below
        // it, so a subtree never mixes the reasons of two cancels.
        const int rounds = 300;
        const int leaves = 200;
        Settings.SetMaxProcs(Math.Max(2, Go.MaxProcs));
        await GoTest.RunAsync(async () =>
        {
            for (int round = 0; round < rounds; round++)
            {
                var (parent, cancelParent) = Context.WithCancelCause(Context.Background);
                var (child, cancelChild) = Context.WithCancelCause(parent);
                var below = new Context[leaves];
                for (int i = 0; i < leaves; i++)
                {
                    (below[i], _) = Context.WithCancel(Context.WithValue(child, "i", i));
                }

                var parentCause = new InvalidOperationException("parent");
                var childCause = new InvalidOperationException("child");
                await Together.RunAsync(() => cancelParent(parentCause), () => cancelChild(childCause));

                Exception? expected = Context.Cause(child);
                int mixed = below.Count(c => !ReferenceEquals(Context.Cause(c), expected));
                Assert.True(mixed == 0, $"Round {round}: {mixed} of {leaves} contexts below the child carry another cause than the child's.");
            }
        });
    }

    [Fact]
    public async Task Err_ReadWhileAnotherGoroutineCancels_IsNeverSetWhileDoneIsOpen()
    {
        const int iterations = 2_000;
        Settings.SetMaxProcs(Math.Max(2, Go.MaxProcs));
        await GoTest.RunAsync(async () =>
        {
            for (int i = 0; i < iterations; i++)
            {
                var (ctx, cancel) = Context.WithCancel(Context.Background);
                ReceiveOnlyChan<ValueTuple> done = ctx.Done;
                bool consistent = true;
                await Together.RunAsync(
                    () => cancel(),
                    () =>
                    {
                        while (ctx.Err is null)
                        {
                        }

                        consistent = done.TryReceive(out _, out _);
                    });

                Assert.True(consistent, $"Iteration {i}: Err was set while Done was still open.");
            }
        });
    }

    [Fact]
    public async Task Done_InSelect_ChosenWhenTheContextIsCanceled()
    {
        var (ctx, cancel) = Context.WithCancel(Context.Background);
        var never = new Chan<int>();
        Spawned<int> waiter = await Spawned.ParkedAsync(
            async () =>
            {
                var select = new Select();
                int chosen = await select.Receive(never).Receive(ctx.Done).WaitAsync();
                Assert.False(select.ReceivedOk);
                return chosen;
            },
            WaitReason.Select);

        cancel();

        Assert.Equal(1, await waiter.Result.Within(what: "the select on Done"));
    }

    [Fact]
    public async Task Done_ReceiveAsync_ParksUntilCanceledThroughAValueContext()
    {
        var (ctx, cancel) = Context.WithCancel(Context.Background);
        Context value = Context.WithValue(ctx, "k", "v");
        Spawned waiter = await Spawned.ParkedAsync(async () => await value.Done.ReceiveAsync(), WaitReason.ChanReceive);

        cancel();

        await waiter.Completion.Within(what: "the receive from Done");
        Assert.Equal(ctx.Done, value.Done);
    }

    [Fact]
    public void Done_CalledTwice_ReturnsTheSameChannelBeforeAndAfterCancel()
    {
        var (ctx, cancel) = Context.WithCancel(Context.Background);
        ReceiveOnlyChan<ValueTuple> before = ctx.Done;
        Assert.Equal(before, ctx.Done);
        cancel();
        Assert.Equal(before, ctx.Done);

        var (late, cancelLate) = Context.WithCancel(Context.Background);
        cancelLate();
        Assert.True(late.Done.TryReceive(out _, out _), "Done asked for only after cancel is not closed.");
    }

    [Fact]
    public void ThrowIfDone_DoneWithACause_ThrowsANewExceptionCarryingErrCauseAndToken()
    {
        var (ctx, cancel) = Context.WithCancelCause(Context.Background);
        ctx.ThrowIfDone(); // not done: nothing
        var cause = new InvalidOperationException("disk full");
        cancel(cause);

        var thrown = Assert.Throws<ContextCanceledException>(ctx.ThrowIfDone);
        var again = Assert.Throws<ContextCanceledException>(ctx.ThrowIfDone);

        Assert.NotSame(Context.Canceled, thrown);
        Assert.NotSame(thrown, again);
        Assert.IsNotType<DeadlineExceededException>(thrown);
        Assert.Same(Context.Canceled, thrown.Err);
        Assert.Same(cause, thrown.Cause);
        Assert.Same(cause, thrown.InnerException);
        Assert.Equal("context canceled: disk full", thrown.Message);
        Assert.True(thrown.CancellationToken.IsCancellationRequested);
        Assert.Equal(ctx.CancellationToken, thrown.CancellationToken);
    }

    [Fact]
    public void ThrowIfDone_CanceledWithoutCause_IsAnOperationCanceledExceptionWithGosMessage()
    {
        var (ctx, cancel) = Context.WithCancel(Context.Background);
        cancel();

        var thrown = Assert.ThrowsAny<OperationCanceledException>(ctx.ThrowIfDone);

        Assert.Equal("context canceled", thrown.Message);
        Assert.Null(thrown.InnerException);
        var canceled = Assert.IsType<ContextCanceledException>(thrown);
        Assert.Same(Context.Canceled, canceled.Cause);
        Assert.Same(Context.Canceled, Context.Canceled.Err);
        Assert.Same(Context.Canceled, Context.Canceled.Cause);
    }

    [Fact]
    public void ToString_DerivedContexts_SpellGosNames()
    {
        var (ctx, cancel) = Context.WithCancel(Context.Background);
        Assert.Equal("context.Background.WithCancel", ctx.ToString());
        Assert.Equal("context.Background.WithCancel.WithValue(user, 42)", Context.WithValue(ctx, "user", 42).ToString());
        Assert.Equal("context.TODO.WithValue(k, <nil>).WithoutCancel", Context.WithoutCancel(Context.WithValue(Context.TODO, "k", null)).ToString());
        cancel();
    }

    [Fact]
    public void WithCancel_NullParent_ThrowsWithGosMessageAndWhatToPass()
    {
        var error = Assert.Throws<ArgumentNullException>(() => Context.WithCancel(null!));
        Assert.Equal("parent", error.ParamName);
        Assert.Contains("cannot create context from nil parent", error.Message, StringComparison.Ordinal);
        Assert.Contains("Context.Background", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => Context.WithCancelCause(null!));
        Assert.Throws<ArgumentNullException>(() => Context.WithValue(null!, "k", 1));
        Assert.Throws<ArgumentNullException>(() => Context.WithoutCancel(null!));
        Assert.Throws<ArgumentNullException>(() => Context.WithCancellationToken(null!, CancellationToken.None));
        Assert.Throws<ArgumentNullException>(() => Context.Cause(null!));
    }

    [Fact]
    public void Cancel_DeepChain_CancelsTheLeafWithoutOverflowingTheStack()
    {
        const int depth = 100_000;
        var (root, cancel) = Context.WithCancel(Context.Background);
        Context leaf = root;
        for (int i = 0; i < depth; i++)
        {
            (leaf, _) = Context.WithCancel(leaf);
        }

        cancel();

        Assert.Same(Context.Canceled, leaf.Err);
        Assert.EndsWith(".WithCancel.WithCancel", leaf.ToString(), StringComparison.Ordinal);
    }
}
