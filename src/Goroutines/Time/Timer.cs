// Licensed under the MIT License.

using System;

using Goroutines.Channels;
using Goroutines.Scheduling;

namespace Goroutines.Time;

/// <summary>
/// A single event: after a duration, the time is sent on <see cref="C"/> (Go's <c>time.Timer</c>
/// from <c>NewTimer</c>), or a function starts in its own goroutine (from
/// <see cref="Clock.AfterFunc(TimeSpan, Action, string, string, int)"/>). Its channel can be used in a <see cref="Select"/>.
/// </summary>
/// <remarks>
/// Go 1.23's semantics: once <see cref="Stop"/> or <see cref="Reset"/> returns, no value prepared
/// before the call is received after it, so a stopped or reset timer needs no draining. All
/// members are safe to call from any thread. The name is System.Threading's too; with both
/// namespaces imported, alias it: <c>using Timer = Goroutines.Time.Timer;</c>.
/// </remarks>
public sealed class Timer : IDisposable
{
    private readonly StoppableTimer _timer;

    /// <summary>Creates a timer that sends the time on <see cref="C"/> after <paramref name="duration"/> (Go's <c>time.NewTimer</c>).</summary>
    /// <param name="duration">The delay; zero or negative sends at once.</param>
    public Timer(TimeSpan duration)
        : this(new ChannelTimer(), duration)
    {
    }

    internal Timer(StoppableTimer timer, TimeSpan duration)
    {
        _timer = timer;
        timer.ResetAfter(duration, TimeSpan.Zero);
    }

    /// <summary>The channel the time is sent on when the timer fires; the nil channel for a timer from <see cref="Clock.AfterFunc(TimeSpan, Action, string, string, int)"/>.</summary>
    public ReceiveOnlyChan<DateTimeOffset> C => _timer is ChannelTimer channelTimer ? channelTimer.Channel : default;

    /// <summary>
    /// Stops the timer (Go's <c>t.Stop</c>). For a function timer that already started its
    /// goroutine, Stop does not wait for it.
    /// </summary>
    /// <returns>
    /// True if the call stopped the timer; false if it had already fired (and its value was
    /// received, for a channel timer) or been stopped.
    /// </returns>
    public bool Stop() => _timer.Stop();

    /// <summary>Stops the timer, for <c>using</c>: the same as <see cref="Stop"/>.</summary>
    public void Dispose() => Stop();

    /// <summary>Makes the timer fire after <paramref name="duration"/> from now, stopped or not (Go's <c>t.Reset</c>).</summary>
    /// <param name="duration">The new delay; zero or negative fires at once.</param>
    /// <returns>True if the timer was active (see <see cref="Stop"/>), false if it had fired or been stopped.</returns>
    public bool Reset(TimeSpan duration) => _timer.ResetAfter(duration, TimeSpan.Zero);
}
