// Licensed under the MIT License.

using System;

using Goroutines.Time;

using Microsoft.Extensions.Time.Testing;

namespace Goroutines.Tests.TestSupport;

/// <summary>
/// A <see cref="FakeTimeProvider"/> installed as the runtime's clock (<see cref="Clock.Provider"/>)
/// until disposed, for the tests whose subject is the runtime's own timer path on a replaced
/// clock, or time that no bubble can hold (network deadlines, sleepers seen by the leak
/// detector). Timers, tickers, sleeps and contexts' deadlines as such are tested in bubbles
/// (<see cref="Goroutines.Testing.SyncTest"/>).
/// </summary>
/// <remarks>
/// As every <see cref="FakeTimeProvider"/>, it starts at midnight UTC on 1 January 2000 and moves
/// only when the test advances it (<see cref="FakeTimeProvider.AutoAdvanceAmount"/> stays zero).
/// The runtime arms one timer of the provider for its earliest deadline, and
/// <see cref="FakeTimeProvider.Advance"/> runs the provider's due timers on the calling thread
/// before it returns, so every runtime timer it passed has fired by then (goroutines readied,
/// values sent, functions' goroutines started); a timer changed to a due time already reached
/// runs inside that change. The one exception: while another thread is running the provider's
/// due timers, Advance leaves the new ones to that thread and returns at once.
/// </remarks>
public sealed class FakeRuntimeClock : FakeTimeProvider, IDisposable
{
    private readonly TimeProvider _previous;

    private FakeRuntimeClock(TimeProvider previous) => _previous = previous;

    /// <summary>Makes a new fake clock the runtime's clock; dispose it to restore the previous one.</summary>
    /// <returns>The installed clock, which the test advances.</returns>
    public static FakeRuntimeClock Install()
    {
        var clock = new FakeRuntimeClock(Clock.Provider);
        Clock.Provider = clock;
        return clock;
    }

    /// <summary>Restores the clock that was installed before.</summary>
    public void Dispose() => Clock.Provider = _previous;
}
