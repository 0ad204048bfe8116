// Licensed under the MIT License.

using System.Threading;

namespace Goroutines.Scheduling;

/// <summary>
/// A callback posted to a goroutine (as the synchronization context of its steps) by
/// code the runtime does not own (a .NET task's continuation, <c>Task.Yield</c>).
/// Allocated per post: foreign awaits allocate anyway, and pooling would need a
/// return path that foreign callers never take.
/// </summary>
internal sealed class PostedCallback(SendOrPostCallback callback, object? state) : IGoroutineWorkItem
{
    /// <inheritdoc/>
    public void Execute() => callback(state);
}
