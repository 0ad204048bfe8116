// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace Goroutines.Channels;

/// <summary>
/// The receive-only view of a channel (Go's <c>&lt;-chan T</c>): what a function that only
/// consumes takes. Obtained by implicit conversion from <see cref="Chan{T}"/>; <c>default</c> is
/// the nil channel. Members behave exactly as the same members of <see cref="Chan{T}"/>.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct ReceiveOnlyChan<T> : IEquatable<ReceiveOnlyChan<T>>, IAsyncEnumerable<T>
{
    private readonly ChannelCore<T>? _core;

    internal ReceiveOnlyChan(ChannelCore<T>? core) => _core = core;

    /// <summary>Whether this is the nil channel.</summary>
    public bool IsNil => _core is null;

    /// <summary>Number of values in the buffer (Go's <c>len(ch)</c>). A snapshot.</summary>
    public int Count => _core?.Count ?? 0;

    /// <summary>Size of the buffer (Go's <c>cap(ch)</c>).</summary>
    public int Capacity => _core?.Capacity ?? 0;

    internal ChannelCore<T>? Core => _core;

    /// <summary>Whether two handles refer to the same channel.</summary>
    public static bool operator ==(ReceiveOnlyChan<T> left, ReceiveOnlyChan<T> right) => left.Equals(right);

    /// <summary>Whether two handles refer to different channels.</summary>
    public static bool operator !=(ReceiveOnlyChan<T> left, ReceiveOnlyChan<T> right) => !left.Equals(right);

    /// <inheritdoc cref="Chan{T}.ReceiveAsync()"/>
    public ValueTask<T> ReceiveAsync() => new Chan<T>(_core).ReceiveAsync();

    /// <inheritdoc cref="Chan{T}.ReceiveWithOkAsync()"/>
    public ValueTask<(T Value, bool Ok)> ReceiveWithOkAsync() => new Chan<T>(_core).ReceiveWithOkAsync();

    /// <inheritdoc cref="Chan{T}.ReceiveAsync(CancellationToken)"/>
    public ValueTask<T> ReceiveAsync(CancellationToken cancellationToken) => new Chan<T>(_core).ReceiveAsync(cancellationToken);

    /// <inheritdoc cref="Chan{T}.ReceiveWithOkAsync(CancellationToken)"/>
    public ValueTask<(T Value, bool Ok)> ReceiveWithOkAsync(CancellationToken cancellationToken) => new Chan<T>(_core).ReceiveWithOkAsync(cancellationToken);

    /// <inheritdoc cref="Chan{T}.Receive"/>
    public T Receive() => new Chan<T>(_core).Receive();

    /// <inheritdoc cref="Chan{T}.ReceiveWithOk"/>
    public (T Value, bool Ok) ReceiveWithOk() => new Chan<T>(_core).ReceiveWithOk();

    /// <inheritdoc cref="Chan{T}.TryReceive(out T)"/>
    public bool TryReceive(out T value) => new Chan<T>(_core).TryReceive(out value);

    /// <inheritdoc cref="Chan{T}.TryReceive(out T, out bool)"/>
    public bool TryReceive(out T value, out bool ok) => new Chan<T>(_core).TryReceive(out value, out ok);

    /// <inheritdoc cref="Chan{T}.GetAsyncEnumerator"/>
    public ChanEnumerator<T> GetAsyncEnumerator() => new(_core);

    /// <summary>
    /// The channel as an <see cref="IAsyncEnumerable{T}"/>, for LINQ's async operators and
    /// <c>WithCancellation</c>: each move is a receive that <paramref name="cancellationToken"/> can cancel.
    /// </summary>
    /// <param name="cancellationToken">Cancels a receive that waits; a token that cannot be canceled costs nothing.</param>
    IAsyncEnumerator<T> IAsyncEnumerable<T>.GetAsyncEnumerator(CancellationToken cancellationToken) => new ChanEnumerator<T>(_core, cancellationToken);

    /// <inheritdoc cref="Chan{T}.AsChannelReader"/>
    public ChannelReader<T> AsChannelReader() => new ChanChannelReader<T>(_core);

    /// <inheritdoc/>
    public bool Equals(ReceiveOnlyChan<T> other) => ReferenceEquals(_core, other._core);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ReceiveOnlyChan<T> other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _core?.GetHashCode() ?? 0;

    /// <summary>Go's spelling of the channel's type and state, for example <c>&lt;-chan Int32 (len 0, cap 0)</c>.</summary>
    public override string ToString() => ChannelCore<T>.Describe("<-chan", _core);
}
