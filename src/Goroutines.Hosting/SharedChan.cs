// Licensed under the MIT License.

using System.Diagnostics;

using Goroutines.Channels;

namespace Goroutines.Hosting;

/// <summary>
/// A channel shared through dependency injection: <see cref="Chan{T}"/> is a struct (a handle
/// that copies cheaply), which a container cannot register, so it is registered inside this
/// small singleton with <see cref="ChanServiceCollectionExtensions.AddChan{T}"/> (one per
/// element type) or <see cref="ChanServiceCollectionExtensions.AddKeyedChan{T}"/> (several of
/// one element type, told apart by key). Every service that takes a <c>SharedChan&lt;T&gt;</c>
/// gets the same channel.
/// </summary>
/// <typeparam name="T">The type of the channel's elements.</typeparam>
/// <example>
/// <code>
/// services.AddChan&lt;Job&gt;(capacity: 16);
/// sealed class Producer(SharedChan&lt;Job&gt; jobs) : IGoroutineService { ... jobs.Chan.SendAsync(job) ... }
/// </code>
/// </example>
/// <remarks>
/// The container makes the channel the first time a service asks for it, and never closes it:
/// as in Go, the sender closes a channel when it is done sending, so the producing service
/// closes it (in a <c>finally</c>) to let its consumers' <c>await foreach</c> end.
/// </remarks>
[DebuggerDisplay("{Chan}")]
public sealed class SharedChan<T>
{
    /// <summary>Makes the shared channel (Go's <c>make(chan T, capacity)</c>).</summary>
    /// <param name="capacity">The buffer's size; 0 for an unbuffered channel.</param>
    /// <exception cref="System.ArgumentOutOfRangeException"><paramref name="capacity"/> is negative.</exception>
    public SharedChan(int capacity) => Chan = new Chan<T>(capacity);

    /// <summary>The channel. Copy it freely: every copy is the same channel.</summary>
    public Chan<T> Chan { get; }

    /// <inheritdoc/>
    public override string ToString() => Chan.ToString();
}
