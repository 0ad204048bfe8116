// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Threading;

namespace Goroutines.Scheduling;

/// <summary>
/// A bubble's fake clock as a <see cref="TimeProvider"/>: what <c>Clock.Provider</c> returns inside
/// the bubble. It starts at midnight UTC on 1 January 2000, as Go's synctest does, and moves only
/// when the bubble jumps to its next timer. Timestamps count in <see cref="Stopwatch.Frequency"/>
/// units, as the system clock's do, so durations convert the same way inside and outside.
/// </summary>
internal sealed class BubbleClock(Bubble bubble) : TimeProvider
{
    /// <summary>The instant every bubble starts at (Go's synctest epoch).</summary>
    public static readonly DateTimeOffset Epoch = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <inheritdoc/>
    public override long TimestampFrequency => Stopwatch.Frequency;

    /// <inheritdoc/>
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <inheritdoc/>
    public override long GetTimestamp() => bubble.NowTimestamp;

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow() => Epoch + GetElapsedTime(0, bubble.NowTimestamp);

    /// <inheritdoc/>
    /// <remarks>
    /// Not inside a bubble: an <see cref="ITimer"/> completes a .NET task or runs a callback, which a
    /// goroutine awaits as a foreign completion, never durably, so the bubble's time could not reach it.
    /// </remarks>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        throw new NotSupportedException(
            "A bubble's clock does not create .NET timers (Task.Delay with a TimeProvider, PeriodicTimer): "
            + "inside a bubble use Clock.SleepAsync, Goroutines.Time.Timer or Ticker, or a Context's deadline, which run on the bubble's time.");
}
