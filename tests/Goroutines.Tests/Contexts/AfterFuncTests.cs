// Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Contexts;
using Goroutines.Sync;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Contexts;

public sealed class AfterFuncTests : RuntimeTest
{
    [Fact]
    public async Task AfterFunc_ContextCanceled_RunsTheFunctionInItsOwnGoroutine()
    {
        var (ctx, cancel) = Context.WithCancel(Context.Background);
        var ran = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        long cancelingGoroutine = -1;
        Func<bool> stop = Context.AfterFunc(ctx, () => ran.SetResult(Go.CurrentGoroutineId));

        await GoTest.RunAsync(() =>
        {
            cancelingGoroutine = Go.CurrentGoroutineId;
            cancel();
            return Task.CompletedTask;
        });

        long runner = await ran.Task.Within(what: "the function after cancel");
        Assert.NotEqual(cancelingGoroutine, runner);
        Assert.True(runner > 0, "The function did not run on a goroutine.");
        Assert.False(stop(), "Stop after the function started must return false.");
    }

    [Fact]
    public void AfterFunc_StoppedBeforeCancel_NeverRunsAndUnregisters()
    {
        var (ctx, cancel) = Context.WithCancel(Context.Background);
        Func<bool> stop = Context.AfterFunc(ctx, () => throw new InvalidOperationException("ran after stop"));
        Assert.Equal(1, ((CancelContext)ctx).ChildCount);

        Assert.True(stop());
        Assert.False(stop());
        Assert.Equal(0, ((CancelContext)ctx).ChildCount);

        cancel(); // a run would be a panic, which fails the test
    }

    [Fact]
    public async Task AfterFunc_ContextAlreadyDone_RunsAtOnce()
    {
        var (ctx, cancel) = Context.WithCancel(Context.Background);
        cancel();
        var ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        Func<bool> stop = Context.AfterFunc(ctx, ran.SetResult);

        await ran.Task.Within(what: "the function on a done context");
        Assert.False(stop());
    }

    [Fact]
    public void AfterFunc_NeverCanceledContext_StopReturnsTrueOnce()
    {
        Func<bool> stop = Context.AfterFunc(Context.Background, () => throw new InvalidOperationException("ran"));
        Assert.True(stop());
        Assert.False(stop());
    }

    [Fact]
    public async Task AfterFunc_StopRacingCancel_ExactlyOneWins()
    {
        const int iterations = 1_000;
        Settings.SetMaxProcs(Math.Max(2, Go.MaxProcs));
        int stoppedCount = 0;
        int ranCount = 0;
        await GoTest.RunAsync(async () =>
        {
            for (int i = 0; i < iterations; i++)
            {
                var (ctx, cancel) = Context.WithCancel(Context.Background);
                var ran = new Chan<ValueTuple>();
                Func<bool> stop = Context.AfterFunc(ctx, () =>
                {
                    Interlocked.Increment(ref ranCount);
                    ran.Close();
                });
                bool stopped = false;
                await Together.RunAsync(
                    () => cancel(),
                    () => stopped = stop());

                if (stopped)
                {
                    stoppedCount++;
                }
                else
                {
                    await ran.ReceiveAsync(); // it must run
                }
            }

            Assert.Equal(iterations, stoppedCount + Volatile.Read(ref ranCount));
        });
    }

    [Fact]
    public void AfterFunc_NullArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => Context.AfterFunc(null!, () => { }));
        Assert.Throws<ArgumentNullException>(() => Context.AfterFunc(Context.Background, null!));
    }
}
