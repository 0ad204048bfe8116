// Licensed under the MIT License.

using System;
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
// Completion completes once the channel is closed and drained and this reader holds
// no taken value, with the error a writer adapter completed the channel with, if
// any; that error also ends WaitToReadAsync and ReadAsync, as the writer contract
// of System.Threading.Channels has it.
//
// Invariants:
// - Values are returned in the order they were received from the channel.
// - Completion completes only when the channel is drained, no receive of
//   WaitToReadAsync is between taking a value and keeping it, and none is kept.
internal sealed class ChanChannelReader<T> : ChannelReader<T>
{
    private static readonly Task s_never = new TaskCompletionSource().Task;

    private readonly ChannelCore<T>? _core;
    private readonly ConcurrentQueue<T> _taken = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Receives of WaitToReadAsync between their start and keeping their value (Interlocked).
    private int _taking;
    private int _completionWatched;

    public ChanChannelReader(ChannelCore<T>? core) => _core = core;

    /// <inheritdoc/>
    public override bool CanCount => true;

    /// <inheritdoc/>
    public override int Count => _taken.Count + (_core?.Count ?? 0);

    /// <inheritdoc/>
    public override Task Completion
    {
        get
        {
            if (_core is not { } core)
            {
                return s_never;
            }

            if (Interlocked.Exchange(ref _completionWatched, 1) == 0)
            {
                _ = core.Drained.ContinueWith(static (_, s) => ((ChanChannelReader<T>)s!).TryComplete(), this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            return _completion.Task;
        }
    }

    private Chan<T> Channel => new(_core);

    /// <inheritdoc/>
    public override bool TryRead(out T item)
    {
        if (_taken.TryDequeue(out item!))
        {
            TryComplete();
            return true;
        }

        return Channel.TryReceive(out item);
    }

    /// <inheritdoc/>
    public override async ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        if (!_taken.IsEmpty)
        {
            return true;
        }

        Interlocked.Increment(ref _taking);
        bool ok;
        try
        {
            (T value, ok) = await Cancellation.ReceiveWithOkAsync(Channel, cancellationToken).ConfigureAwait(false);
            if (ok)
            {
                _taken.Enqueue(value);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _taking);
            TryComplete();
        }

        if (ok || !_taken.IsEmpty)
        {
            return true;
        }

        return _core?.CloseError is { } error ? throw error : false;
    }

    /// <inheritdoc/>
    public override async ValueTask<T> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (_taken.TryDequeue(out T? taken))
        {
            TryComplete();
            return taken;
        }

        (T value, bool ok) = await Cancellation.ReceiveWithOkAsync(Channel, cancellationToken).ConfigureAwait(false);
        return ok ? value : throw new ChannelClosedException(_core?.CloseError);
    }

    // Completes Completion if the channel is drained and this reader holds nothing (see the header).
    private void TryComplete()
    {
        if (Volatile.Read(ref _completionWatched) == 0 || _core is not { } core || !core.Drained.IsCompleted
            || Volatile.Read(ref _taking) != 0 || !_taken.IsEmpty)
        {
            return;
        }

        if (core.CloseError is { } error)
        {
            _completion.TrySetException(error);
        }
        else
        {
            _completion.TrySetResult();
        }
    }
}
