// Licensed under the MIT License.

namespace Goroutines.Scheduling;

/// <summary>
/// A piece of a goroutine's sequential flow that its machine runs in one step: the
/// continuation of a parked await (a pooled <see cref="Waiter"/>) or a callback
/// posted to the goroutine's synchronization context.
/// </summary>
internal interface IGoroutineWorkItem
{
    /// <summary>Runs the work on the goroutine's machine, with the goroutine's context current.</summary>
    void Execute();
}
