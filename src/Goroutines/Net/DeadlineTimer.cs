// Licensed under the MIT License.

using Goroutines.Time;

namespace Goroutines.Net;

/// <summary>
/// The runtime timer behind one direction's deadline of a socket (Go's pollDesc <c>rt</c> and
/// <c>wt</c>): an entry of the processors' timer heaps whose firing expires the deadline and
/// wakes the waiting goroutine. Stopped and reset under its own monitor, where it also fires,
/// so a firing for a deadline since moved is dropped (see PollDescriptor.cs).
/// </summary>
internal sealed class DeadlineTimer(PollDescriptor descriptor, PollMode mode) : StoppableTimer
{
    /// <summary>
    /// The direction's deadline: 0 none, -1 expired, else the clock timestamp it expires at.
    /// Written under this timer's monitor (with an exchange where it expires), read racily by
    /// every attempt.
    /// </summary>
    public long Deadline;

    /// <inheritdoc/>
    protected override void Deliver(long lateness) => descriptor.ExpireDeadline(this, mode);
}
