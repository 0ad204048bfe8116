// Licensed under the MIT License.

using System;

using Goroutines.Channels;
using Goroutines.Scheduling;

namespace Goroutines.Time;

/// <summary>
/// A timer that sends the time on a one-slot channel (Go's <c>NewTimer</c>, <c>After</c>,
/// <c>NewTicker</c>, <c>Tick</c>). A send that finds the slot full is dropped: a ticker skips
/// ticks for a slow receiver; a one-shot timer's slot is always empty when it fires. The time
/// sent is the deadline's (now less the firing's lateness), as Go 1.23 sends.
/// </summary>
internal sealed class ChannelTimer : StoppableTimer
{
    /// <summary>The channel the time is sent on.</summary>
    public readonly Chan<DateTimeOffset> Channel = new(1);

    /// <inheritdoc/>
    protected override void Deliver(long lateness)
    {
        TimeProvider clock = Heap?.Bubble?.Clock ?? Scheduler.Instance.Clock;
        Channel.TrySend(clock.GetUtcNow() - clock.GetElapsedTime(0, lateness));
    }

    /// <inheritdoc/>
    protected override bool TakeBackUndelivered() => Channel.TryReceive(out _);
}
