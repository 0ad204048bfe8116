// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading;

using Goroutines.Time;

namespace Goroutines.Tests.TestSupport;

/// <summary>
/// A clock that moves only when the test says so. <see cref="Install"/> makes it the runtime's
/// clock (<see cref="Clock.Provider"/>) until disposed; <see cref="Advance"/> moves it and, before
/// returning, runs every timer it created that came due, so every runtime timer due by then has
/// fired (goroutines readied, values sent, functions' goroutines started). Like Microsoft's
/// FakeTimeProvider, a timer changed to a due time already reached runs inside that Change call.
/// </summary>
public sealed class FakeClock : TimeProvider, IDisposable
{
    private static readonly DateTimeOffset s_epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly Lock _lock = new();
    private readonly List<FakeTimer> _timers = [];
    private readonly TimeProvider _previous;
    private long _ticks;

    private FakeClock(TimeProvider previous) => _previous = previous;

    /// <summary>Makes a new fake clock the runtime's clock; dispose it to restore the previous one.</summary>
    public static FakeClock Install()
    {
        var clock = new FakeClock(Clock.Provider);
        Clock.Provider = clock;
        return clock;
    }

    /// <inheritdoc/>
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc/>
    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow() => s_epoch + TimeSpan.FromTicks(GetTimestamp());

    /// <inheritdoc/>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new FakeTimer(this, callback, state);
        lock (_lock)
        {
            _timers.Add(timer); // first: a zero due time fires inside Change, which looks in _timers
        }

        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Moves the clock forward and runs, on this thread, every timer that came due.</summary>
    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        Interlocked.Add(ref _ticks, by.Ticks);
        RunDue();
    }

    private void RunDue()
    {
        while (TakeDue() is { } due)
        {
            due.Run();
        }
    }

    /// <summary>Restores the clock that was installed before.</summary>
    public void Dispose() => Clock.Provider = _previous;

    private FakeTimer? TakeDue()
    {
        lock (_lock)
        {
            long now = GetTimestamp();
            foreach (FakeTimer timer in _timers)
            {
                if (timer.TryTakeDue(now))
                {
                    return timer;
                }
            }

            return null;
        }
    }

    private void Remove(FakeTimer timer)
    {
        lock (_lock)
        {
            _timers.Remove(timer);
        }
    }

    private sealed class FakeTimer(FakeClock clock, TimerCallback callback, object? state) : ITimer
    {
        private long _dueAt = long.MaxValue;
        private long _period;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(dueTime, TimeSpan.FromMilliseconds(uint.MaxValue - 1));
            lock (this)
            {
                _dueAt = dueTime == Timeout.InfiniteTimeSpan ? long.MaxValue : clock.GetTimestamp() + dueTime.Ticks;
                _period = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks;
            }

            if (dueTime == TimeSpan.Zero)
            {
                clock.RunDue();
            }

            return true;
        }

        public bool TryTakeDue(long now)
        {
            lock (this)
            {
                if (_dueAt > now)
                {
                    return false;
                }

                _dueAt = _period > 0 ? now + _period : long.MaxValue;
                return true;
            }
        }

        public void Run() => callback(state);

        public void Dispose() => clock.Remove(this);

        public System.Threading.Tasks.ValueTask DisposeAsync()
        {
            Dispose();
            return default;
        }
    }
}
