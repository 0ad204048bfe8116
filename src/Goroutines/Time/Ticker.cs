// Licensed under the MIT License.

using System;

using Goroutines.Channels;
using Goroutines.Scheduling;

namespace Goroutines.Time;

/// <summary>
/// Sends the time on <see cref="C"/> every period (Go's <c>time.Ticker</c>). A slow receiver
/// misses ticks rather than queueing them: the channel holds at most one.
/// </summary>
/// <remarks>
/// Go 1.23's semantics: once <see cref="Stop"/> or <see cref="Reset"/> returns, no tick prepared
/// before the call is received after it. A ticker runs until stopped: stop it when done, or it
/// stays queued for the life of the process. All members are safe to call from any thread.
/// </remarks>
public sealed class Ticker : IDisposable
{
    private readonly ChannelTimer _timer = new();

    /// <summary>Creates a ticker whose first tick comes after one <paramref name="period"/> (Go's <c>time.NewTicker</c>).</summary>
    /// <param name="period">The interval between ticks.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="period"/> is zero or negative (Go's panic "non-positive interval for NewTicker").</exception>
    public Ticker(TimeSpan period) => Start(period, "non-positive interval for NewTicker");

    /// <summary>The channel the ticks are sent on.</summary>
    public ReceiveOnlyChan<DateTimeOffset> C => _timer.Channel;

    /// <summary>Stops the ticker: no tick is sent after this returns, and an unreceived one is dropped (Go's <c>t.Stop</c>).</summary>
    public void Stop() => _timer.Stop();

    /// <summary>Stops the ticker, for <c>using</c>: the same as <see cref="Stop"/>.</summary>
    public void Dispose() => Stop();

    /// <summary>Stops the ticker and restarts it with a new period; the next tick comes one <paramref name="period"/> from now (Go's <c>t.Reset</c>).</summary>
    /// <param name="period">The new interval between ticks.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="period"/> is zero or negative (Go's panic "non-positive interval for Ticker.Reset").</exception>
    public void Reset(TimeSpan period) => Start(period, "non-positive interval for Ticker.Reset");

    private void Start(TimeSpan period, string message)
    {
        if (period <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(period), period, message);
        }

        _timer.ResetAfter(period, period);
    }
}
