// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

using Goroutines.Scheduling;

namespace Goroutines.Channels;

/// <summary>
/// The enumerator of <c>await foreach</c> over a channel (Go's <c>for v := range ch</c>): each
/// <see cref="MoveNextAsync"/> is a receive; the loop ends when the channel is closed and drained.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
/// <remarks>
/// One enumerator is allocated per loop; the receives themselves allocate nothing, parked or
/// not. Not thread-safe: one loop at a time, as every enumerator.
/// </remarks>
public sealed class ChanEnumerator<T> : IAsyncEnumerator<T>, IValueTaskSource<bool>
{
    private readonly ChannelCore<T>? _core;
    private readonly CancellationToken _cancellationToken;
    private ChannelWaiter<T>? _parked;
    private short _parkedToken; // the parked waiter's own token
    private short _version;     // this enumerator's token for the awaitable of the parked move
    private T _current = default!;

    internal ChanEnumerator(ChannelCore<T>? core, CancellationToken cancellationToken = default)
    {
        _core = core;
        _cancellationToken = cancellationToken;
    }

    /// <summary>The value the last successful <see cref="MoveNextAsync"/> received.</summary>
    public T Current => _current;

    /// <summary>Receives the next value; false once the channel is closed and drained.</summary>
    /// <exception cref="OperationCanceledException">The enumeration's token (<c>WithCancellation</c>) was canceled before a value came; no value was taken.</exception>
    public ValueTask<bool> MoveNextAsync()
    {
        if (_cancellationToken.CanBeCanceled)
        {
            return MoveNextCancelableAsync();
        }

        if (_core is not { } core)
        {
            return NilChannel.ReceiveForeverAsync<bool>();
        }

        if (SafePoint.ShouldYield)
        {
            return MoveNextAfterYieldAsync();
        }

        if (core.TryReceiveOrPark(out T value, out bool ok, out ChannelWaiter<T>? parked))
        {
            _current = value;
            return new ValueTask<bool>(ok);
        }

        _parkedToken = parked!.PrepareReceivePark();
        _parked = parked;
        return new ValueTask<bool>(this, ++_version);
    }

    /// <summary>Nothing to release: a loop ends only between receives.</summary>
    public ValueTask DisposeAsync() => default;

    /// <inheritdoc/>
    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => Parked(token).GetStatus(_parkedToken);

    /// <inheritdoc/>
    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        Parked(token).OnCompleted(continuation, state, _parkedToken, flags);

    /// <inheritdoc/>
    bool IValueTaskSource<bool>.GetResult(short token)
    {
        ChannelWaiter<T> parked = Parked(token);
        (T value, bool ok) = ((IValueTaskSource<(T Value, bool Ok)>)parked).GetResult(_parkedToken);
        _parked = null;
        _current = value;
        return ok;
    }

    private ChannelWaiter<T> Parked(short token) => token == _version && _parked is { } parked ? parked : throw new InvalidOperationException("The awaitable of MoveNextAsync was used after it completed: await each one exactly once.");

    private async ValueTask<bool> MoveNextCancelableAsync()
    {
        (T value, bool ok) = await Cancellation.ReceiveWithOkAsync(new Chan<T>(_core), _cancellationToken).ConfigureAwait(true);
        _current = value;
        return ok;
    }

    private async ValueTask<bool> MoveNextAfterYieldAsync()
    {
        await Go.YieldAsync();
        return await MoveNextAsync().ConfigureAwait(true);
    }
}
