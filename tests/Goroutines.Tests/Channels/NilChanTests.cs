// Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Scheduling;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Channels;

/// <summary>
/// The nil channel (<c>default(Chan&lt;T&gt;)</c>, Go's <c>var ch chan T</c>): sends and receives
/// block forever, the non-blocking forms never proceed, a select never chooses it, close throws.
/// </summary>
/// <remarks>
/// A goroutine parked on the nil channel can never be woken: it stays parked until the process
/// ends. The tests that park one declare it with <see cref="RuntimeTest.ExpectParkedForever"/>
/// (the leak check then needs the leak detector to prove exactly those unwakeable, and ignores
/// them), after checking that it is parked with Go's wait reason and stays so while other
/// goroutines run.
/// </remarks>
public sealed class NilChanTests : RuntimeTest
{
    [Fact]
    public void Properties_NilChannelAndViews_AreNilWithNoBufferAndEqual()
    {
        Chan<int> nil = default;
        ReceiveOnlyChan<int> receiveOnly = nil;
        SendOnlyChan<int> sendOnly = nil;

        Assert.True(nil.IsNil);
        Assert.True(receiveOnly.IsNil);
        Assert.True(sendOnly.IsNil);
        Assert.Equal(0, nil.Count);
        Assert.Equal(0, nil.Capacity);
        Assert.Equal(0, receiveOnly.Capacity);
        Assert.Equal(0, sendOnly.Count);
        Assert.True(nil == default(Chan<int>));
        Assert.True(receiveOnly == default(ReceiveOnlyChan<int>));
        Assert.True(sendOnly == default(SendOnlyChan<int>));
        Assert.Equal(0, nil.GetHashCode());
        Assert.True(nil != new Chan<int>());
        Assert.Equal("chan Int32 (nil)", nil.ToString());
        Assert.Equal("<-chan Int32 (nil)", receiveOnly.ToString());
        Assert.Equal("chan<- Int32 (nil)", sendOnly.ToString());
    }

    [Fact]
    public void TrySendAndTryReceive_NilChannel_ReturnFalse()
    {
        Chan<int> nil = default;

        Assert.False(nil.TrySend(1));
        Assert.False(nil.ToSendOnly().TrySend(1));
        Assert.False(nil.TryReceive(out int value));
        Assert.Equal(0, value);
        Assert.False(nil.TryReceive(out value, out bool ok));
        Assert.Equal((0, false), (value, ok));
        Assert.False(nil.ToReceiveOnly().TryReceive(out _, out _));
    }

    [Fact]
    public void Close_NilChannel_ThrowsCloseOfNilChannel()
    {
        var error = Assert.ThrowsAny<InvalidOperationException>(() => default(Chan<int>).Close());
        var viewError = Assert.ThrowsAny<InvalidOperationException>(() => default(SendOnlyChan<int>).Close());

        Assert.Equal("close of nil channel", error.Message);
        Assert.Equal("close of nil channel", viewError.Message);
    }

    [Fact]
    public async Task SendAsync_NilChannel_ParksForeverWithChanSendNilChan()
    {
        Chan<int> nil = default;
        Spawned sender = await Spawned.ParkedAsync(async () => await nil.SendAsync(1), WaitReason.ChanSendNilChan);
        ExpectParkedForever(1);

        await AssertStaysParkedWhileOtherWorkRunsAsync(sender, WaitReason.ChanSendNilChan);
    }

    [Fact]
    public async Task ReceiveAsync_NilChannel_ParksForeverWithChanReceiveNilChan()
    {
        Chan<int> nil = default;
        Spawned receiver = await Spawned.ParkedAsync(async () => await nil.ReceiveAsync(), WaitReason.ChanReceiveNilChan);
        ExpectParkedForever(1);

        await AssertStaysParkedWhileOtherWorkRunsAsync(receiver, WaitReason.ChanReceiveNilChan);
    }

    [Fact]
    public async Task ReceiveWithOkAsyncAndRange_NilChannelViews_ParkForeverWithChanReceiveNilChan()
    {
        ReceiveOnlyChan<int> nil = default;
        Spawned receiver = await Spawned.ParkedAsync(async () => await nil.ReceiveWithOkAsync(), WaitReason.ChanReceiveNilChan);
        Spawned ranging = await Spawned.ParkedAsync(
            async () =>
            {
                await foreach (int value in nil)
                {
                    throw new InvalidOperationException($"Received {value} from the nil channel.");
                }
            },
            WaitReason.ChanReceiveNilChan);
        Spawned sender = await Spawned.ParkedAsync(async () => await default(SendOnlyChan<int>).SendAsync(1), WaitReason.ChanSendNilChan);
        ExpectParkedForever(3);

        await AssertStaysParkedWhileOtherWorkRunsAsync(receiver, WaitReason.ChanReceiveNilChan);
        await AssertStaysParkedWhileOtherWorkRunsAsync(ranging, WaitReason.ChanReceiveNilChan);
        await AssertStaysParkedWhileOtherWorkRunsAsync(sender, WaitReason.ChanSendNilChan);
    }

    [Fact]
    public async Task Receive_NilChannelOnPlainThread_BlocksForever()
    {
        // The thread stays blocked until the process ends, as a Go thread would; it is a
        // background thread the runtime does not own, so it holds no processor.
        var receiver = PlainThread.Start(() => default(Chan<int>).Receive());
        receiver.WaitUntilBlocked("Receive on the nil channel");

        await RunOtherWorkAsync();

        Assert.False(receiver.Completion.IsCompleted, $"The receive on the nil channel returned ({receiver.Completion.Status}).");
    }

    [Fact]
    public async Task Receive_NilChannelInGoroutineOnOneProcessor_BlocksForeverAndHandsOffTheProcessor()
    {
        // In a child process: the goroutine holds its machine thread in a blocking region until
        // the process ends, which this process's later tests would find in their way.
        string failure = await ScenarioProcess.RunAsync(Scenarios.BlockOnNilChannelInGoroutine);

        Assert.True(failure.Length == 0, failure);
    }

    [Fact]
    public async Task Select_NilCaseBesideReadyCases_NeverChosen()
    {
        Chan<int> nil = default;
        var ready = new Chan<int>(1);
        var select = new Select();

        await GoTest.RunAsync(async () =>
        {
            for (int i = 0; i < 1_000; i++)
            {
                Assert.True(ready.TrySend(i));
                int chosen = await select.Receive(nil).Send(nil, i).Receive(ready).WaitAsync();
                Assert.Equal(2, chosen);
                Assert.Equal(i, select.Received<int>());
            }
        });
    }

    [Fact]
    public async Task Select_OnlyNilCasesAndDefault_ChoosesDefault()
    {
        Chan<int> nil = default;
        var select = new Select();

        int chosen = await select.Receive(nil).Send(nil, 1).Default().WaitAsync();

        Assert.Equal(2, chosen);
        Assert.Equal(2, select.Chosen);
    }

    private static async Task AssertStaysParkedWhileOtherWorkRunsAsync(Spawned parked, WaitReason reason)
    {
        await RunOtherWorkAsync();

        Assert.False(parked.Completion.IsCompleted, $"The goroutine parked on the nil channel finished: {parked.Describe()}.");
        Assert.True(parked.IsParked(reason), $"The goroutine parked on the nil channel is no longer parked with {reason}: {parked.Describe()}.");
    }

    // Traffic on other channels between goroutines: the runtime goes on around the parked one.
    private static async Task RunOtherWorkAsync()
    {
        const int values = 1_000;
        var ch = new Chan<int>();
        Task producer = GoTest.Start(async () =>
        {
            for (int i = 0; i < values; i++)
            {
                await ch.SendAsync(i);
            }

            ch.Close();
        });

        int sum = await GoTest.RunAsync(async () =>
        {
            int total = 0;
            await foreach (int value in ch)
            {
                total += value;
                await Go.YieldAsync();
            }

            return total;
        });

        await producer.Within(what: "the other producer");
        Assert.Equal(values * (values - 1) / 2, sum);
    }

    /// <summary>The child processes' bodies (see <see cref="ScenarioProcess"/>).</summary>
    public static class Scenarios
    {
        public static string BlockOnNilChannelInGoroutine()
        {
            Go.SetMaxProcs(1);
            using var otherRan = new ManualResetEventSlim();
            Goroutine? blocked = null;
            bool returned = false;
            Go.Run(() =>
            {
                Volatile.Write(ref blocked, Goroutine.Running);
                Go.Run(otherRan.Set); // queued on this goroutine's processor, the only one
                default(Chan<int>).Receive();
                Volatile.Write(ref returned, true);
            });

            if (!otherRan.Wait(TestTimeouts.Default))
            {
                return "The goroutine queued behind the receive on the nil channel never ran: the processor was not handed off.";
            }

            Goroutine g = Volatile.Read(ref blocked)!;
            if (!Poll.Until(() => g.Status == GoroutineStatus.Syscall, TestTimeouts.Default))
            {
                return $"The goroutine is {g.Status}, not blocked in a blocking region.";
            }

            var ch = new Chan<int>();
            using var done = new ManualResetEventSlim();
            Go.Run(async () =>
            {
                for (int i = 0; i < 1_000; i++)
                {
                    await ch.SendAsync(i);
                }
            });
            Go.Run(async () =>
            {
                for (int i = 0; i < 1_000; i++)
                {
                    await ch.ReceiveAsync();
                }

                done.Set();
            });
            if (!done.Wait(TestTimeouts.Default))
            {
                return "Other goroutines did not run while one was blocked on the nil channel.";
            }

            return Volatile.Read(ref returned) || g.Status != GoroutineStatus.Syscall
                ? $"The receive on the nil channel returned (goroutine {g.Status})."
                : string.Empty;
        }
    }
}
