// Licensed under the MIT License.

using System;
using System.Threading;

using Goroutines.Contexts;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Contexts;

public sealed class ContextTests : RuntimeTest
{
    private static readonly object s_userKey = new();
    private static readonly object s_otherKey = new();

    [Fact]
    public void Background_AnyTime_IsNeverCanceledAndHasNothing()
    {
        foreach (Context root in new[] { Context.Background, Context.TODO })
        {
            Assert.True(root.Done.IsNil);
            Assert.Null(root.Err);
            Assert.Null(Context.Cause(root));
            Assert.Null(root.Value(s_userKey));
            Assert.False(root.CancellationToken.CanBeCanceled);
            root.ThrowIfDone();
        }

        Assert.Equal("context.Background", Context.Background.ToString());
        Assert.Equal("context.TODO", Context.TODO.ToString());
        Assert.NotSame(Context.Background, Context.TODO);
    }

    [Fact]
    public void Value_ThroughCancelAndValueContexts_FindsTheNearestAndShadows()
    {
        Context outer = Context.WithValue(Context.Background, s_userKey, "alice");
        var (canceled, cancel) = Context.WithCancel(outer);
        Context inner = Context.WithValue(canceled, s_otherKey, 7);
        Context shadowing = Context.WithValue(inner, s_userKey, "bob");

        Assert.Equal("alice", inner.Value(s_userKey));
        Assert.Equal(7, inner.Value(s_otherKey));
        Assert.Equal("bob", shadowing.Value(s_userKey));
        Assert.Equal("alice", canceled.Value(s_userKey));
        Assert.Null(outer.Value(s_otherKey));
        cancel();
        Assert.Equal("bob", shadowing.Value(s_userKey)); // values outlive cancellation
    }

    [Fact]
    public void Value_EqualKeysOfValueTypes_MatchByEquality()
    {
        Context ctx = Context.WithValue(Context.Background, "request-id", 17);
        Assert.Equal(17, ctx.Value(new string("request-id".AsSpan())));
        Assert.Null(ctx.Value("Request-Id"));
    }

    [Fact]
    public void WithValue_NullKey_ThrowsWithGosMessage()
    {
        var error = Assert.Throws<ArgumentNullException>(() => Context.WithValue(Context.Background, null!, 1));
        Assert.Equal("key", error.ParamName);
        Assert.StartsWith("nil key", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => Context.Background.Value(null!));
    }

    [Fact]
    public void WithValue_NullValue_IsCarriedAndShadowsOuterValues()
    {
        Context outer = Context.WithValue(Context.Background, s_userKey, "alice");
        Context inner = Context.WithValue(outer, s_userKey, null);
        Assert.Null(inner.Value(s_userKey));
    }

    [Fact]
    public void WithoutCancel_ParentCanceled_KeepsValuesButIsNeverDone()
    {
        var (parent, cancel) = Context.WithCancel(Context.WithValue(Context.Background, s_userKey, "alice"));
        Context detached = Context.WithoutCancel(parent);
        var (child, cancelChild) = Context.WithCancel(detached);

        cancel();

        Assert.Same(Context.Canceled, parent.Err);
        Assert.Null(detached.Err);
        Assert.Null(Context.Cause(detached));
        Assert.True(detached.Done.IsNil);
        Assert.Equal(CancellationToken.None, detached.CancellationToken);
        Assert.Equal("alice", detached.Value(s_userKey));
        Assert.Null(child.Err);
        Assert.Equal("alice", child.Value(s_userKey));
        cancelChild();
        Assert.Same(Context.Canceled, child.Err);
    }

    [Fact]
    public void WithoutCancel_OfACanceledParent_IsNotDone()
    {
        var (parent, cancel) = Context.WithCancel(Context.Background);
        cancel();
        Assert.Null(Context.WithoutCancel(parent).Err);
    }
}
