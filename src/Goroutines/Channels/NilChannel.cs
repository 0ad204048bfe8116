// Licensed under the MIT License.

using System.Diagnostics;
using System.Threading.Tasks;

using Goroutines.Scheduling;

namespace Goroutines.Channels;

/// <summary>
/// The nil channel's operations (Go's <c>var ch chan T</c>): a send or receive blocks forever, a
/// close throws. The waiter parked on is never readied, so the goroutine stays parked, and shows
/// as such in dumps, until the process ends.
/// </summary>
internal static class NilChannel
{
    /// <summary>Parks forever with Go's wait reason for a send on a nil channel.</summary>
    public static ValueTask SendForeverAsync() => SignalWaiter.Rent().ParkAsync(WaitReason.ChanSendNilChan);

    /// <summary>Parks forever with Go's wait reason for a receive on a nil channel.</summary>
    public static ValueTask<TResult> ReceiveForeverAsync<TResult>() => ParkForeverAsync<TResult>(WaitReason.ChanReceiveNilChan);

    /// <summary>Parks forever with <paramref name="reason"/> (a receive, or a select with only nil cases or none).</summary>
    public static async ValueTask<TResult> ParkForeverAsync<TResult>(WaitReason reason)
    {
        await SignalWaiter.Rent().ParkAsync(reason).ConfigureAwait(true);
        throw new UnreachableException("a goroutine parked forever was woken");
    }

    /// <summary>Blocks the calling thread forever (the synchronous forms).</summary>
    public static void BlockForever()
    {
        Bubble.ThrowIfBlockingInBubble();
        SignalWaiter.Rent().BlockUntilReady();
    }
}
