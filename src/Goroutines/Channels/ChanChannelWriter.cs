// Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace Goroutines.Channels;

// ChanChannelWriter<T>: a System.Threading.Channels writer over a Chan<T>, for .NET
// code that produces into channels. Complete is Go's close; an error passed to it
// faults the readers' Completion (Go channels cannot carry one; a reader adapter
// can). TryWrite and WaitToWriteAsync report a closed channel with false, as the
// writer contract asks, where Go's send would panic; WriteAsync throws
// ChannelClosedException as both do.
internal sealed class ChanChannelWriter<T> : ChannelWriter<T>
{
    private readonly ChannelCore<T>? _core;

    public ChanChannelWriter(ChannelCore<T>? core) => _core = core;

    private Chan<T> Channel => new(_core);

    /// <inheritdoc/>
    public override bool TryComplete(Exception? error = null) => _core is { } core && core.TryClose(error);

    /// <inheritdoc/>
    public override bool TryWrite(T item)
    {
        if (_core is not { IsClosed: false })
        {
            return false;
        }

        try
        {
            return Channel.TrySend(item);
        }
        catch (ChannelClosedException)
        {
            return false; // closed after the check above
        }
    }

    /// <inheritdoc/>
    public override ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default)
    {
        if (_core is null)
        {
            return NeverWritableAsync(cancellationToken); // the nil channel: until canceled
        }

        return cancellationToken.IsCancellationRequested
            ? ValueTask.FromCanceled<bool>(cancellationToken)
            : _core.WaitUntilWritableAsync(cancellationToken);
    }

    private static async ValueTask<bool> NeverWritableAsync(CancellationToken cancellationToken)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        return false;
    }

    /// <inheritdoc/>
    public override ValueTask WriteAsync(T item, CancellationToken cancellationToken = default) =>
        Channel.SendAsync(item, cancellationToken);
}
