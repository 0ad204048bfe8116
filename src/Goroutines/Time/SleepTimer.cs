// Licensed under the MIT License.

using Goroutines.Scheduling;

namespace Goroutines.Time;

/// <summary>
/// The timer of one sleep: firing readies the sleeping goroutine's waiter. Never stopped or
/// reset, so it needs no lock of its own; one per sleep (Go caches one per goroutine; ours are
/// short-lived and small).
/// </summary>
internal sealed class SleepTimer(SignalWaiter waiter) : RuntimeTimer
{
    /// <inheritdoc/>
    public override void Fire(uint sequence) => waiter.Ready();
}
