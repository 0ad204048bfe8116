// Licensed under the MIT License.

namespace Goroutines.Scheduling;

/// <summary>
/// A goroutine's membership of a <see cref="Bubble"/>: the bubble, and what the bubble needs to
/// know about the goroutine between its steps. Kept beside the goroutine in a side table, as
/// only goroutines of tests have one (a field would cost every goroutine 8 bytes, W2).
/// </summary>
internal sealed class BubbleMember(Bubble bubble, Goroutine goroutine)
{
    /// <summary>The bubble the goroutine belongs to, for life.</summary>
    public readonly Bubble Bubble = bubble;

    /// <summary>The goroutine.</summary>
    public readonly Goroutine Goroutine = goroutine;

    /// <summary>Parked on something only the bubble can wake (it does not count as active). Under the bubble's lock.</summary>
    public bool DurablyBlocked;

    /// <summary>
    /// Set by the goroutine's own step when one of its flows parked (registered its await) on a
    /// waiter of a channel created outside the bubble (not durable); cleared when the step ends.
    /// </summary>
    public bool WaitsOutside;

    /// <summary>Its priority under the PCT strategy (higher runs first). Under the bubble's lock.</summary>
    public long Priority;
}
