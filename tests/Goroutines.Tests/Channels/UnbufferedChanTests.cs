// Licensed under the MIT License.

using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Scheduling;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Channels;

/// <summary>The channel contract on an unbuffered channel (Go's <c>make(chan int)</c>), and the rendezvous.</summary>
public sealed class UnbufferedChanTests : ChanContractTests
{
    private protected override int MadeCapacity => 0;

    private protected override Chan<int> Make() => new();

    [Fact]
    public async Task SendAsync_NoReceiver_CompletesOnlyOnceAReceiverTookTheValue()
    {
        var order = new EventOrder();
        Chan<int> ch = Make();
        Spawned sender = await Spawned.ParkedAsync(
            async () =>
            {
                order.Expect(1);
                await ch.SendAsync(7);
                order.Expect(3); // fails as event 2 if the send completed before the receive below
            },
            WaitReason.ChanSend);

        order.Expect(2);
        Assert.True(ch.TryReceive(out int value));
        Assert.Equal(7, value);

        await sender.Completion.Within(what: "the sender");
        order.Finish(4);
        await order.AssertFinishedAsync();
    }

    [Fact]
    public async Task Count_SendersParked_StaysZero()
    {
        Chan<int> ch = Make();
        Spawned sender = await Spawned.ParkedAsync(async () => await ch.SendAsync(1), WaitReason.ChanSend);

        Assert.Equal(0, ch.Count);
        Assert.Equal(0, ch.Capacity);

        Assert.Equal(1, await ch.ReceiveAsync().AsTask().Within(what: "the receive"));
        await sender.Completion.Within(what: "the sender");
    }
}
