// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace Goroutines.Channels;

/// <summary>
/// Go's channel (<c>chan T</c>): a typed conduit through which goroutines send and receive values,
/// unbuffered (every send is a rendezvous with a receive) or buffered with a fixed capacity.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
/// <remarks>
/// <para>
/// A <see cref="Chan{T}"/> is a handle, copied by value; copies refer to the same channel.
/// <c>new Chan&lt;T&gt;()</c> is Go's <c>make(chan T)</c>, <c>new Chan&lt;T&gt;(n)</c> is
/// <c>make(chan T, n)</c>, and <c>default</c> is the nil channel (Go's <c>var ch chan T</c>), on which
/// sends and receives block forever, a <see cref="Select"/> never chooses a case and
/// <see cref="Close"/> throws.
/// </para>
/// <para>
/// Every member may be used from any thread and any number of goroutines at once. A send
/// happens-before the matching receive completes; a close happens-before a receive that returns
/// because the channel is closed. Parked senders, and parked receivers, are served first in,
/// first out. The async operations allocate nothing when they complete at once, nor in steady
/// state when they park; they are safe points where the scheduler may preempt a goroutine.
/// </para>
/// </remarks>
public readonly struct Chan<T> : IEquatable<Chan<T>>, IAsyncEnumerable<T>
{
    private readonly ChannelCore<T>? _core;

    /// <summary>Creates an unbuffered channel (Go's <c>make(chan T)</c>).</summary>
    public Chan()
    {
        _core = new ChannelCore<T>(0);
    }

    /// <summary>Creates a channel with a buffer of <paramref name="capacity"/> values (Go's <c>make(chan T, capacity)</c>).</summary>
    /// <param name="capacity">The buffer's size; 0 for an unbuffered channel.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is negative.</exception>
    public Chan(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _core = new ChannelCore<T>(capacity);
    }

    internal Chan(ChannelCore<T>? core) => _core = core;

    /// <summary>Whether this is the nil channel.</summary>
    public bool IsNil => _core is null;

    /// <summary>Number of values in the buffer (Go's <c>len(ch)</c>); 0 for an unbuffered or nil channel. A snapshot.</summary>
    public int Count => _core?.Count ?? 0;

    /// <summary>Size of the buffer (Go's <c>cap(ch)</c>); 0 for an unbuffered or nil channel.</summary>
    public int Capacity => _core?.Capacity ?? 0;

    internal ChannelCore<T>? Core => _core;

    /// <summary>The receive-only view of this channel (Go's implicit conversion to <c>&lt;-chan T</c>).</summary>
    public static implicit operator ReceiveOnlyChan<T>(Chan<T> channel) => new(channel._core);

    /// <summary>The send-only view of this channel (Go's implicit conversion to <c>chan&lt;- T</c>).</summary>
    public static implicit operator SendOnlyChan<T>(Chan<T> channel) => new(channel._core);

    /// <summary>Whether two handles refer to the same channel (Go's <c>==</c> on channels).</summary>
    public static bool operator ==(Chan<T> left, Chan<T> right) => left.Equals(right);

    /// <summary>Whether two handles refer to different channels.</summary>
    public static bool operator !=(Chan<T> left, Chan<T> right) => !left.Equals(right);

    /// <summary>The receive-only view of this channel.</summary>
    public ReceiveOnlyChan<T> ToReceiveOnly() => new(_core);

    /// <summary>The send-only view of this channel.</summary>
    public SendOnlyChan<T> ToSendOnly() => new(_core);

    /// <summary>
    /// Sends <paramref name="value"/> (Go's <c>ch &lt;- v</c>): completes when a receiver took it
    /// (unbuffered) or it is in the buffer; parks the goroutine meanwhile.
    /// </summary>
    /// <exception cref="ChannelClosedException">The channel is closed, or was closed while the send waited (Go's panic "send on closed channel").</exception>
    public ValueTask SendAsync(T value) => _core is { } core ? core.SendAsync(value) : NilChannel.SendForeverAsync();

    /// <summary>
    /// Receives a value (Go's <c>&lt;-ch</c>); once the channel is closed and drained, the default
    /// value at once.
    /// </summary>
    public ValueTask<T> ReceiveAsync() => _core is { } core ? core.ReceiveAsync() : NilChannel.ReceiveForeverAsync<T>();

    /// <summary>
    /// Receives a value and whether it was sent (Go's <c>v, ok := &lt;-ch</c>): <c>Ok</c> is false,
    /// with the default value, once the channel is closed and drained.
    /// </summary>
    public ValueTask<(T Value, bool Ok)> ReceiveWithOkAsync() =>
        _core is { } core ? core.ReceiveWithOkAsync() : NilChannel.ReceiveForeverAsync<(T Value, bool Ok)>();

    /// <summary>
    /// Sends <paramref name="value"/> as <see cref="SendAsync(T)"/> does, unless
    /// <paramref name="cancellationToken"/> is canceled first (Go's
    /// <c>select { case ch &lt;- v: case &lt;-ctx.Done(): }</c>): then nothing was sent.
    /// </summary>
    /// <param name="value">The value to send.</param>
    /// <param name="cancellationToken">Cancels the wait; a token that cannot be canceled costs nothing.</param>
    /// <exception cref="ChannelClosedException">The channel is closed, or was closed while the send waited.</exception>
    /// <exception cref="OperationCanceledException">The token was canceled before a receiver or the buffer took the value; the channel is as if the send was never tried.</exception>
    public ValueTask SendAsync(T value, CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled ? Cancellation.SendAsync(this, value, cancellationToken) : SendAsync(value);

    /// <summary>
    /// Receives as <see cref="ReceiveAsync()"/> does, unless <paramref name="cancellationToken"/> is
    /// canceled first: then nothing was received.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait; a token that cannot be canceled costs nothing.</param>
    /// <exception cref="OperationCanceledException">The token was canceled before a value came; no value was taken.</exception>
    public ValueTask<T> ReceiveAsync(CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled ? Cancellation.ReceiveAsync(this, cancellationToken) : ReceiveAsync();

    /// <summary>
    /// Receives as <see cref="ReceiveWithOkAsync()"/> does, unless <paramref name="cancellationToken"/>
    /// is canceled first: then nothing was received.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait; a token that cannot be canceled costs nothing.</param>
    /// <exception cref="OperationCanceledException">The token was canceled before a value came or the channel closed; no value was taken.</exception>
    public ValueTask<(T Value, bool Ok)> ReceiveWithOkAsync(CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled ? Cancellation.ReceiveWithOkAsync(this, cancellationToken) : ReceiveWithOkAsync();

    /// <summary>
    /// Sends <paramref name="value"/>, blocking the calling thread until it is taken. On a
    /// goroutine's thread the wait is a blocking region, so the goroutine's processor is handed to
    /// another thread meanwhile; prefer <see cref="SendAsync(T)"/> there.
    /// </summary>
    /// <exception cref="ChannelClosedException">The channel is closed, or was closed while the send waited.</exception>
    public void Send(T value)
    {
        if (_core is { } core)
        {
            core.Send(value);
        }
        else
        {
            NilChannel.BlockForever();
        }
    }

    /// <summary>Receives a value, blocking the calling thread until one arrives (see <see cref="Send"/>).</summary>
    /// <returns>The value, or the default value once the channel is closed and drained.</returns>
    public T Receive() => ReceiveWithOk().Value;

    /// <summary>Receives a value and whether it was sent, blocking the calling thread until one arrives or the channel is closed.</summary>
    public (T Value, bool Ok) ReceiveWithOk()
    {
        if (_core is { } core)
        {
            return core.Receive();
        }

        NilChannel.BlockForever();
        return default;
    }

    /// <summary>
    /// Sends <paramref name="value"/> if that needs no waiting (Go's <c>select</c> with a
    /// <c>default</c> case): a receiver is parked or the buffer has room.
    /// </summary>
    /// <returns>True if sent; false if the send would block (always, on the nil channel).</returns>
    /// <exception cref="ChannelClosedException">The channel is closed.</exception>
    public bool TrySend(T value) => _core is { } core && core.TrySend(value);

    /// <summary>
    /// Receives a value if one is there without waiting. Unlike Go's one-case select, a closed
    /// and drained channel returns false here, as <see cref="ChannelReader{T}.TryRead"/> does;
    /// use <see cref="TryReceive(out T, out bool)"/> to tell the two apart.
    /// </summary>
    /// <returns>True if a value was received.</returns>
    public bool TryReceive(out T value)
    {
        value = default!;
        return _core is { } core && core.TryReceive(out value, out bool ok) && ok;
    }

    /// <summary>
    /// Receives if that needs no waiting, exactly as Go's <c>select { case v, ok := &lt;-ch: ... default: }</c>.
    /// </summary>
    /// <param name="value">The value received, or the default value.</param>
    /// <param name="ok">False when the receive completed because the channel is closed and drained.</param>
    /// <returns>True if the receive completed (with a value or because the channel is closed); false if it would block.</returns>
    public bool TryReceive(out T value, out bool ok)
    {
        value = default!;
        ok = false;
        return _core is { } core && core.TryReceive(out value, out ok);
    }

    /// <summary>
    /// Closes the channel (Go's <c>close(ch)</c>): buffered values can still be received, then
    /// receives return the default value with <c>Ok</c> false; every parked receiver is released
    /// that way and every parked sender fails.
    /// </summary>
    /// <exception cref="InvalidOperationException">The channel is already closed ("close of closed channel"), or is nil ("close of nil channel").</exception>
    public void Close() => (_core ?? throw ChannelPanics.CloseOfNilChannel()).Close();

    /// <summary>
    /// Ranges over the channel (Go's <c>for v := range ch</c>) with <c>await foreach</c>: yields
    /// each received value and ends when the channel is closed and drained.
    /// </summary>
    public ChanEnumerator<T> GetAsyncEnumerator() => new(_core);

    /// <summary>
    /// The channel as an <see cref="IAsyncEnumerable{T}"/>, for LINQ's async operators and
    /// <c>WithCancellation</c>: each move is a receive that <paramref name="cancellationToken"/> can cancel.
    /// </summary>
    /// <param name="cancellationToken">Cancels a receive that waits; a token that cannot be canceled costs nothing.</param>
    IAsyncEnumerator<T> IAsyncEnumerable<T>.GetAsyncEnumerator(CancellationToken cancellationToken) => new ChanEnumerator<T>(_core, cancellationToken);

    /// <summary>
    /// A <see cref="ChannelReader{T}"/> over this channel, so .NET code that consumes
    /// System.Threading.Channels can receive from it. Its completion is the channel's close.
    /// </summary>
    public ChannelReader<T> AsChannelReader() => new ChanChannelReader<T>(_core);

    /// <summary>
    /// A <see cref="ChannelWriter{T}"/> over this channel, so .NET code that produces into
    /// System.Threading.Channels can send on it. <c>Complete</c> closes the channel.
    /// </summary>
    public ChannelWriter<T> AsChannelWriter() => new ChanChannelWriter<T>(_core);

    /// <inheritdoc/>
    public bool Equals(Chan<T> other) => ReferenceEquals(_core, other._core);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Chan<T> other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _core?.GetHashCode() ?? 0;

    /// <summary>Go's spelling of the channel's type and state, for example <c>chan Int32 (len 1, cap 4)</c>.</summary>
    public override string ToString() => ChannelCore<T>.Describe("chan", _core);
}
