// Licensed under the MIT License.

using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Sync;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Sync;

public sealed class OnceTests : RuntimeTest
{
    [Fact]
    public async Task DoAsync_TenGoroutines_RunsTheFunctionOnceAndEveryCallerWaitsForIt()
    {
        const int callers = 10;
        var once = new Once();
        var gate = new Chan<bool>();
        int runs = 0;
        int entered = 0;
        bool functionReturned = false;
        var group = new WaitGroup();
        await GoTest.RunAsync(async () =>
        {
            for (int i = 0; i < callers; i++)
            {
                group.Go(async () =>
                {
                    Interlocked.Increment(ref entered);
                    await once.DoAsync(async () =>
                    {
                        Interlocked.Increment(ref runs);
                        await gate.ReceiveAsync(); // held open until every caller has called DoAsync
                        Volatile.Write(ref functionReturned, true);
                    });
                    Assert.True(Volatile.Read(ref functionReturned), "A caller returned before the one call did.");
                });
            }

            await GoTest.YieldUntilAsync(() => Volatile.Read(ref entered) == callers && Volatile.Read(ref runs) == 1, "every caller to call DoAsync");
            await gate.SendAsync(true);
            await group.WaitAsync();
        });

        Assert.Equal(1, runs);
        Assert.True(once.IsDone);
    }

    [Fact]
    public async Task DoAsync_FunctionThrows_FirstCallerGetsTheExceptionAndLaterCallsDoNothing()
    {
        var once = new Once();
        int runs = 0;
        await GoTest.RunAsync(async () =>
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await once.DoAsync(() =>
            {
                runs++;
                throw new InvalidOperationException("boom");
            }));
            Assert.Equal("boom", error.Message);
            await once.DoAsync(() =>
            {
                runs++;
                return Task.CompletedTask;
            });
        });

        Assert.Equal(1, runs);
        Assert.True(once.IsDone);
    }

    [Fact]
    public void Do_CalledTwice_RunsOnce()
    {
        var once = new Once();
        int runs = 0;
        once.Do(() => runs++);
        once.Do(() => runs++);
        Assert.Equal(1, runs);
    }

    [Fact]
    public void Wrap_Value_CallsOnceAndReturnsTheValueEveryTime()
    {
        int calls = 0;
        Func<int> value = Once.Wrap(() => ++calls * 42);
        Assert.Equal(42, value());
        Assert.Equal(42, value());
        Assert.Equal(1, calls);
    }

    [Fact]
    public void Wrap_ActionThrows_EveryCallThrowsTheSameException()
    {
        int calls = 0;
        Action action = Once.Wrap(() =>
        {
            calls++;
            throw new InvalidOperationException("boom");
        });
        var first = Assert.Throws<InvalidOperationException>(action);
        var second = Assert.Throws<InvalidOperationException>(action);
        Assert.Same(first, second);
        Assert.Equal(1, calls);
    }
}
