// Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Channels;

/// <summary>
/// Awaitables of channel operations used as they must not be (a result read while the operation
/// is pending, an awaitable used after it completed, a round ended by another flow): each fails
/// with InvalidOperationException and leaves the pooled waiters and the channels intact.
/// </summary>
#pragma warning disable CA2012 // These tests misuse ValueTasks on purpose.
public sealed class AwaitableMisuseTests : RuntimeTest
{
    // Element types no other test uses: their waiter pools start empty on every thread, so which
    // pooled waiter each operation rents is deterministic.
    private readonly record struct PendingItem(int N);

    private readonly record struct RangeItem(int N);

    [Fact]
    public async Task ReceiveAsync_ResultReadWhilePending_ThrowsAndDoesNotPoolTheQueuedWaiter()
    {
        var thread = PlainThread.Start(() =>
        {
            var a = new Chan<PendingItem>();
            var b = new Chan<PendingItem>();
            ValueTask<PendingItem> pending = a.ReceiveAsync(); // off the runtime: parks a pooled waiter on a
            Assert.False(pending.IsCompleted);

            Exception? misuse = Record.Exception(() => pending.GetAwaiter().GetResult());

            ValueTask<PendingItem> fromB = b.ReceiveAsync(); // the next receive on this thread, on another channel
            Assert.True(a.TrySend(new PendingItem(42)));
            Assert.False(fromB.IsCompleted, "a receive on channel b completed with the value sent on channel a");
            Assert.IsType<InvalidOperationException>(misuse);
            Assert.True(pending.IsCompleted);
            Assert.Equal(42, pending.Result.N);
            Assert.True(b.TrySend(new PendingItem(0)));
            Assert.Equal(0, fromB.Result.N);
        });
        await thread.Completion.Within(what: "the plain thread");
    }

    [Fact]
    public async Task SelectWaitAsync_ResultReadWhilePending_ThrowsInvalidOperationAndTheRoundGoesOn()
    {
        var thread = PlainThread.Start(() =>
        {
            var a = new Chan<int>();
            var select = new Select();
            ValueTask<int> round = select.Receive(a).WaitAsync(); // parks
            Assert.False(round.IsCompleted);

            Assert.Throws<InvalidOperationException>(() => round.GetAwaiter().GetResult());

            Assert.True(a.TrySend(5));
            Assert.Equal(0, round.Result);
            Assert.Equal(5, select.Received<int>());
        });
        await thread.Completion.Within(what: "the plain thread");
    }

    [Fact]
    public async Task MoveNextAsync_AwaitableUsedAgainAfterItCompleted_ThrowsInsteadOfJoiningTheNextMove()
    {
        var thread = PlainThread.Start(() =>
        {
            var ch = new Chan<RangeItem>();
            var other = new Chan<RangeItem>();
            ChanEnumerator<RangeItem> moves = ch.GetAsyncEnumerator();

            ValueTask<bool> first = moves.MoveNextAsync(); // parks a new waiter (version 0)
            Assert.True(ch.TrySend(new RangeItem(1)));
            Assert.True(first.IsCompleted);
            Assert.True(first.Result); // completes: the waiter, now version 1, goes to this thread's cache
            Assert.Equal(1, moves.Current.N);

            ValueTask<RangeItem> unrelated = other.ReceiveAsync(); // takes that waiter from the cache
            ValueTask<bool> second = moves.MoveNextAsync(); // a new waiter, version 0 again: first's token

            Exception? staleUse = Record.Exception(() => first.GetAwaiter().UnsafeOnCompleted(() => { }));
            Exception? realAwait = Record.Exception(() => second.GetAwaiter().UnsafeOnCompleted(() => { }));

            Assert.Null(realAwait); // without its own token, the enumerator handed the stale awaitable the second move
            Assert.IsType<InvalidOperationException>(staleUse);
            Assert.True(ch.TrySend(new RangeItem(2)));
            Assert.True(other.TrySend(new RangeItem(3)));
            Assert.Equal(3, unrelated.Result.N);
        });
        await thread.Completion.Within(what: "the plain thread");
    }

    [Fact]
    public async Task WaitAsync_CanceledTokenFromAnotherFlowWhileARoundIsBuilt_ThrowsBusyAndKeepsTheRound()
    {
        var builder = PlainThread.Start(() =>
        {
            var ch = new Chan<int>(1);
            Assert.True(ch.TrySend(5));
            var select = new Select();
            select.Receive(ch); // this thread builds a round
            using var cts = new CancellationTokenSource();
            cts.Cancel();

            Exception? fromOther = null;
            var other = new Thread(() => fromOther = Record.Exception(() => select.WaitAsync(cts.Token)));
            other.Start();
            Assert.True(other.Join(TestTimeouts.Default));

            Assert.IsType<InvalidOperationException>(fromOther);
            ValueTask<int> round = select.WaitAsync(); // this thread's round: a value is buffered
            Assert.True(round.IsCompleted, "the builder's round lost its cases and parks forever as select {}");
            Assert.Equal(0, round.Result);
            Assert.Equal(5, select.Received<int>());
        });
        await builder.Completion.Within(what: "the builder thread");
    }
}
#pragma warning restore CA2012
