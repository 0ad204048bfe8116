// Licensed under the MIT License.

using System.Threading;
using System.Threading.Tasks;

namespace Goroutines.Channels;

/// <summary>
/// Cancelable channel operations: the CancellationToken overloads of the channels' operations
/// and the System.Threading.Channels adapters. A parked channel
/// operation cannot be withdrawn (its waiter is pooled), so a cancelable one is a select between
/// the operation and a channel that the token's registration closes, which is how Go code
/// cancels (<c>case &lt;-ctx.Done():</c>). Allocates a select and a channel per call when the token
/// can be canceled; nothing extra otherwise.
/// </summary>
internal static class Cancellation
{
    /// <summary>Receives, or throws <see cref="System.OperationCanceledException"/> once <paramref name="token"/> is canceled.</summary>
    public static async ValueTask<(T Value, bool Ok)> ReceiveWithOkAsync<T>(Chan<T> channel, CancellationToken token)
    {
        if (!token.CanBeCanceled)
        {
            return await channel.ReceiveWithOkAsync(CancellationToken.None).ConfigureAwait(false);
        }

        token.ThrowIfCancellationRequested();
        Chan<bool> canceled = new();
        using CancellationTokenRegistration registration = token.Register(static s => ((Chan<bool>)s!).Close(), canceled);
        var select = new Select();
        if (await select.Receive(channel).Receive(canceled).WaitAsync(CancellationToken.None).ConfigureAwait(false) == 1)
        {
            token.ThrowIfCancellationRequested();
        }

        return (select.Received<T>(), select.ReceivedOk);
    }

    /// <summary>Receives, or throws <see cref="System.OperationCanceledException"/> once <paramref name="token"/> is canceled.</summary>
    public static async ValueTask<T> ReceiveAsync<T>(Chan<T> channel, CancellationToken token)
    {
        (T value, _) = await ReceiveWithOkAsync(channel, token).ConfigureAwait(false);
        return value;
    }

    /// <summary>Sends, or throws <see cref="System.OperationCanceledException"/> once <paramref name="token"/> is canceled.</summary>
    public static async ValueTask SendAsync<T>(Chan<T> channel, T value, CancellationToken token)
    {
        if (!token.CanBeCanceled)
        {
            await channel.SendAsync(value, CancellationToken.None).ConfigureAwait(false);
            return;
        }

        token.ThrowIfCancellationRequested();
        Chan<bool> canceled = new();
        using CancellationTokenRegistration registration = token.Register(static s => ((Chan<bool>)s!).Close(), canceled);
        if (await new Select().Send(channel, value).Receive(canceled).WaitAsync(CancellationToken.None).ConfigureAwait(false) == 1)
        {
            token.ThrowIfCancellationRequested();
        }
    }
}
