// Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Channels;

/// <summary>
/// Channel operations and select are safe points: a goroutine that loops on operations which
/// always complete at once never suspends by itself, so it yields there when sysmon asks, and
/// another goroutine gets its processor.
/// </summary>
public sealed class SafePointTests : RuntimeTest
{
    [Theory]
    [InlineData("SendAsync+ReceiveAsync")]
    [InlineData("SendAsync+ReceiveWithOkAsync")]
    [InlineData("ReceiveAsync from closed")]
    [InlineData("Select.WaitAsync with a ready case")]
    [InlineData("await foreach, refilled")]
    public async Task Operation_LoopThatAlwaysCompletesAtOnceOnOneProcessor_PreemptedSoAnotherGoroutineRuns(string loop)
    {
        // Warm up first: early on the JIT recompiles the hot loop in place (the loop stalled at
        // its 10,000th iteration in trials), a pause without safe points.
        const long warmup = 200_000;
        Settings.SetMaxProcs(1);
        bool stop = false;
        long iterations = 0;
        int looperThread = 0;
        int otherThread = 0;
        var looping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        Task looper = GoTest.Start(async () =>
        {
            var ch = new Chan<int>(1);
            var closed = new Chan<int>();
            closed.Close();
            var select = new Select();
            if (loop == "await foreach, refilled")
            {
                Assert.True(ch.TrySend(0));
                await foreach (int value in ch)
                {
                    Volatile.Write(ref iterations, iterations + 1);
                    if (iterations == warmup)
                    {
                        Volatile.Write(ref looperThread, Environment.CurrentManagedThreadId);
                        looping.SetResult();
                    }

                    if (Volatile.Read(ref stop))
                    {
                        break;
                    }

                    Assert.True(ch.TrySend(value + 1));
                }

                return;
            }

            while (!Volatile.Read(ref stop))
            {
                switch (loop)
                {
                    case "SendAsync+ReceiveAsync":
                        await ch.SendAsync(1);
                        await ch.ReceiveAsync();
                        break;
                    case "SendAsync+ReceiveWithOkAsync":
                        await ch.SendAsync(1);
                        await ch.ReceiveWithOkAsync();
                        break;
                    case "ReceiveAsync from closed":
                        await closed.ReceiveAsync();
                        break;
                    case "Select.WaitAsync with a ready case":
                        Assert.True(ch.TrySend(1));
                        await select.Receive(ch).Receive(closed).Send(ch, 2).WaitAsync();
                        ch.TryReceive(out _);
                        break;
                    default:
                        throw new ArgumentOutOfRangeException(nameof(loop), loop, "unknown loop");
                }

                Volatile.Write(ref iterations, iterations + 1);
                if (iterations == warmup)
                {
                    Volatile.Write(ref looperThread, Environment.CurrentManagedThreadId);
                    looping.SetResult();
                }
            }
        });
        await looping.Task.Within(what: "the loop to warm up");
        RuntimeStatistics before = Go.ReadStatistics();

        // Queued behind the loop, which holds the only processor and never suspends by itself.
        var otherRan = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Go.Run(() =>
        {
            otherThread = Environment.CurrentManagedThreadId;
            otherRan.SetResult();
        });
        await otherRan.Task.Within(what: "a goroutine queued behind the loop");

        // The loop yields at its next safe point once it runs after the request. Usually that
        // is what let the other goroutine in; on a loaded machine sysmon may hand the processor
        // to another thread first (the loop's thread was descheduled), and the loop then yields
        // when it next runs. Either way the count rises, and never if safe points were ignored.
        bool preempted = Poll.Until(() => Go.ReadStatistics().Preemptions > before.Preemptions, TestTimeouts.Default);
        RuntimeStatistics after = Go.ReadStatistics();

        long seen = Volatile.Read(ref iterations);
        bool loopGoesOn = Poll.Until(() => Volatile.Read(ref iterations) > seen || looper.IsCompleted, TestTimeouts.Default);
        Volatile.Write(ref stop, true);
        await looper.Within(what: "the loop to stop");

        Assert.True(loopGoesOn && seen > 0, $"The loop did not go on after the other goroutine ran ({seen} iterations).");
        Assert.True(preempted, $"The preemption counter did not move ({before.Preemptions} before, {after.Preemptions} after; hand-offs {before.Handoffs} before, {after.Handoffs} after; loop on thread {looperThread}, other on {otherThread}).");
    }
}
