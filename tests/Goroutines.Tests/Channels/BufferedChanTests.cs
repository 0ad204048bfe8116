// Licensed under the MIT License.

using System;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Channels;

/// <summary>The channel contract on a buffered channel (Go's <c>make(chan int, 3)</c>).</summary>
public sealed class BufferedChanTests : ChanContractTests
{
    private protected override int MadeCapacity => 3;

    private protected override Chan<int> Make() => new(3);

    [Fact]
    public async Task SendAsync_RoomInBuffer_CompletesBeforeAnyReceiverArrives()
    {
        Chan<int> ch = Make();

        await GoTest.RunAsync(async () =>
        {
            for (int i = 0; i < ch.Capacity; i++)
            {
                ValueTask send = ch.SendAsync(i);
                Assert.True(send.IsCompletedSuccessfully);
                await send;
                Assert.Equal(i + 1, ch.Count);
            }
        });

        Assert.Equal(ch.Capacity, ch.Count);
    }

    [Fact]
    public void Constructor_NegativeCapacity_ThrowsArgumentOutOfRangeException()
    {
        Assert.Throws<ArgumentOutOfRangeException>("capacity", () => new Chan<int>(-1));
    }

    [Fact]
    public void Constructor_CapacityZero_IsUnbuffered()
    {
        var ch = new Chan<int>(0);

        Assert.Equal(0, ch.Capacity);
        Assert.False(ch.TrySend(1));
    }
}
