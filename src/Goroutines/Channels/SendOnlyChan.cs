// Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace Goroutines.Channels;

/// <summary>
/// The send-only view of a channel (Go's <c>chan&lt;- T</c>): what a function that only produces
/// takes. Obtained by implicit conversion from <see cref="Chan{T}"/>; <c>default</c> is the nil
/// channel. Members behave exactly as the same members of <see cref="Chan{T}"/>.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct SendOnlyChan<T> : IEquatable<SendOnlyChan<T>>
{
    private readonly ChannelCore<T>? _core;

    internal SendOnlyChan(ChannelCore<T>? core) => _core = core;

    /// <summary>Whether this is the nil channel.</summary>
    public bool IsNil => _core is null;

    /// <summary>Number of values in the buffer (Go's <c>len(ch)</c>). A snapshot.</summary>
    public int Count => _core?.Count ?? 0;

    /// <summary>Size of the buffer (Go's <c>cap(ch)</c>).</summary>
    public int Capacity => _core?.Capacity ?? 0;

    internal ChannelCore<T>? Core => _core;

    /// <summary>Whether two handles refer to the same channel.</summary>
    public static bool operator ==(SendOnlyChan<T> left, SendOnlyChan<T> right) => left.Equals(right);

    /// <summary>Whether two handles refer to different channels.</summary>
    public static bool operator !=(SendOnlyChan<T> left, SendOnlyChan<T> right) => !left.Equals(right);

    /// <inheritdoc cref="Chan{T}.SendAsync(T)"/>
    public ValueTask SendAsync(T value) => new Chan<T>(_core).SendAsync(value);

    /// <inheritdoc cref="Chan{T}.SendAsync(T, CancellationToken)"/>
    public ValueTask SendAsync(T value, CancellationToken cancellationToken) => new Chan<T>(_core).SendAsync(value, cancellationToken);

    /// <inheritdoc cref="Chan{T}.Send"/>
    public void Send(T value) => new Chan<T>(_core).Send(value);

    /// <inheritdoc cref="Chan{T}.TrySend"/>
    public bool TrySend(T value) => new Chan<T>(_core).TrySend(value);

    /// <inheritdoc cref="Chan{T}.Close"/>
    public void Close() => new Chan<T>(_core).Close();

    /// <inheritdoc cref="Chan{T}.AsChannelWriter"/>
    public ChannelWriter<T> AsChannelWriter() => new ChanChannelWriter<T>(_core);

    /// <inheritdoc/>
    public bool Equals(SendOnlyChan<T> other) => ReferenceEquals(_core, other._core);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is SendOnlyChan<T> other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _core?.GetHashCode() ?? 0;

    /// <summary>Go's spelling of the channel's type and state, for example <c>chan&lt;- Int32 (len 0, cap 0)</c>.</summary>
    public override string ToString() => ChannelCore<T>.Describe("chan<-", _core);
}
