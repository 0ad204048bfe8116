// Licensed under the MIT License.

using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace Goroutines.Channels;

// ChanChannelReader<T>: a System.Threading.Channels reader over a Chan<T>, for .NET
// code that consumes channels.
//
// WaitToReadAsync has no Go counterpart: Go cannot wait for a value without taking
// it. Here it takes the value (a real receive, so a sender on an unbuffered channel
// completes then, not at TryRead) and keeps it for this reader's next TryRead or
// ReadAsync. This keeps the rendezvous live when the writer also only waits
// (WaitToWriteAsync sees the parked receive). Values taken that way stay in this
// reader, in order, until read.
//
// Invariants:
// - Values are returned in the order they were received from the channel.
internal sealed class ChanChannelReader<T> : ChannelReader<T>
{
    private static readonly Task s_never = new TaskCompletionSource().Task;

    private readonly ChannelCore<T>? _core;
    private readonly ConcurrentQueue<T> _taken = new();

    public ChanChannelReader(ChannelCore<T>? core) => _core = core;

    /// <inheritdoc/>
    public override bool CanCount => true;

    /// <inheritdoc/>
    public override int Count => _taken.Count + (_core?.Count ?? 0);

    /// <inheritdoc/>
    public override Task Completion => _core?.Drained ?? s_never;

    private Chan<T> Channel => new(_core);

    /// <inheritdoc/>
    public override bool TryRead(out T item) => _taken.TryDequeue(out item!) || Channel.TryReceive(out item);

    /// <inheritdoc/>
    public override async ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        if (!_taken.IsEmpty)
        {
            return true;
        }

        (T value, bool ok) = await Cancellation.ReceiveWithOkAsync(Channel, cancellationToken).ConfigureAwait(false);
        if (ok)
        {
            _taken.Enqueue(value);
        }

        return ok || !_taken.IsEmpty;
    }

    /// <inheritdoc/>
    public override async ValueTask<T> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (_taken.TryDequeue(out T? taken))
        {
            return taken;
        }

        (T value, bool ok) = await Cancellation.ReceiveWithOkAsync(Channel, cancellationToken).ConfigureAwait(false);
        return ok ? value : throw new ChannelClosedException();
    }
}
