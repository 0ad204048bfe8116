// Licensed under the MIT License.

using System;
using System.Globalization;

namespace Goroutines.Time;

/// <summary>
/// A point in time as Go's <c>time.Now()</c> returns it: a wall-clock reading, to show and to
/// compare with dates, and a monotonic reading, to measure with. Durations between instants
/// (<see cref="Sub"/>, <see cref="Clock.Since"/>, <see cref="Clock.Until"/>) use the monotonic
/// reading, so they do not jump when the wall clock is set, as in Go.
/// </summary>
/// <remarks>
/// Both readings come from <see cref="Clock.Provider"/>, the runtime's clock: a fake clock in a
/// test moves them together. Monotonic readings compare only within one provider: measure
/// between instants taken while the same clock was installed. An instant from
/// <see cref="Clock.Now"/> and one made from it with <see cref="Add"/> keep the monotonic reading;
/// <see cref="FromWall"/> has none (Go's <c>t.Round(0)</c>), and durations and comparisons
/// involving one fall back to the wall clock, as Go's do (so, as in Go, mixing the two kinds can
/// order instants differently from their wall readings).
/// </remarks>
public readonly struct Instant : IEquatable<Instant>, IComparable<Instant>
{
    // Monotonic ticks of Clock.Provider (TimeProvider.GetTimestamp), and whether there are any.
    private readonly long _timestamp;
    private readonly bool _hasMonotonic;

    private Instant(DateTimeOffset wall, long timestamp, bool hasMonotonic)
    {
        Wall = wall;
        _timestamp = timestamp;
        _hasMonotonic = hasMonotonic;
    }

    /// <summary>The wall-clock reading.</summary>
    public DateTimeOffset Wall { get; }

    /// <summary>Whether the instant carries a monotonic reading (it came from <see cref="Clock.Now"/>).</summary>
    public bool HasMonotonic => _hasMonotonic;

    /// <summary>An instant of <paramref name="wall"/> alone, without a monotonic reading.</summary>
    /// <param name="wall">The wall-clock time.</param>
    /// <returns>The instant.</returns>
    public static Instant FromWall(DateTimeOffset wall) => new(wall, 0, hasMonotonic: false);

    /// <summary>
    /// Go's <c>t.Add(d)</c>: the instant <paramref name="duration"/> later (earlier if negative),
    /// both readings moved; without the monotonic reading when it cannot hold the result (as Go
    /// drops it then).
    /// </summary>
    /// <param name="duration">The duration to add.</param>
    /// <returns>The later instant.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The wall-clock result is outside <see cref="DateTimeOffset"/>'s range.</exception>
    public Instant Add(TimeSpan duration)
    {
        DateTimeOffset wall = Wall + duration;
        return _hasMonotonic && TryAddTimestamp(_timestamp, duration, out long timestamp)
            ? new Instant(wall, timestamp, hasMonotonic: true)
            : new Instant(wall, 0, hasMonotonic: false);
    }

    /// <summary>Go's <c>t.Sub(u)</c>: the duration from <paramref name="earlier"/> to this instant, by the monotonic readings when both have one.</summary>
    /// <param name="earlier">The instant to measure from.</param>
    /// <returns>The duration, negative if <paramref name="earlier"/> is later.</returns>
    public TimeSpan Sub(Instant earlier) =>
        _hasMonotonic && earlier._hasMonotonic
            ? Clock.Provider.GetElapsedTime(earlier._timestamp, _timestamp)
            : Wall - earlier.Wall;

    /// <summary>Go's <c>t.Sub(u)</c> as an operator.</summary>
    /// <param name="later">The instant to measure to.</param>
    /// <param name="earlier">The instant to measure from.</param>
    /// <returns>The duration between them.</returns>
    public static TimeSpan operator -(Instant later, Instant earlier) => later.Sub(earlier);

    /// <summary>Go's <c>t.Add(d)</c> as an operator.</summary>
    /// <param name="instant">The instant.</param>
    /// <param name="duration">The duration to add.</param>
    /// <returns>The later instant.</returns>
    public static Instant operator +(Instant instant, TimeSpan duration) => instant.Add(duration);

    /// <summary>Whether <paramref name="left"/> is before <paramref name="right"/> (Go's <c>Before</c>).</summary>
    /// <param name="left">The first instant.</param>
    /// <param name="right">The second instant.</param>
    /// <returns>True if the first is earlier.</returns>
    public static bool operator <(Instant left, Instant right) => left.CompareTo(right) < 0;

    /// <summary>Whether <paramref name="left"/> is after <paramref name="right"/> (Go's <c>After</c>).</summary>
    /// <param name="left">The first instant.</param>
    /// <param name="right">The second instant.</param>
    /// <returns>True if the first is later.</returns>
    public static bool operator >(Instant left, Instant right) => left.CompareTo(right) > 0;

    /// <summary>Whether <paramref name="left"/> is not after <paramref name="right"/>.</summary>
    /// <param name="left">The first instant.</param>
    /// <param name="right">The second instant.</param>
    /// <returns>True if the first is earlier or the same.</returns>
    public static bool operator <=(Instant left, Instant right) => left.CompareTo(right) <= 0;

    /// <summary>Whether <paramref name="left"/> is not before <paramref name="right"/>.</summary>
    /// <param name="left">The first instant.</param>
    /// <param name="right">The second instant.</param>
    /// <returns>True if the first is later or the same.</returns>
    public static bool operator >=(Instant left, Instant right) => left.CompareTo(right) >= 0;

    /// <summary>Whether two instants have the same readings (Go's <c>==</c> on times; <see cref="CompareTo"/> is 0 for Go's <c>Equal</c>).</summary>
    /// <param name="left">The first instant.</param>
    /// <param name="right">The second instant.</param>
    /// <returns>True if they are the same instant.</returns>
    public static bool operator ==(Instant left, Instant right) => left.Equals(right);

    /// <summary>Whether two instants have different readings.</summary>
    /// <param name="left">The first instant.</param>
    /// <param name="right">The second instant.</param>
    /// <returns>True if they are different instants.</returns>
    public static bool operator !=(Instant left, Instant right) => !left.Equals(right);

    /// <summary>Orders by the monotonic readings when both have one, else by the wall clock (as Go's comparisons).</summary>
    /// <param name="other">The instant to compare with.</param>
    /// <returns>Negative, zero or positive as this instant is earlier, the same or later.</returns>
    public int CompareTo(Instant other) =>
        _hasMonotonic && other._hasMonotonic ? _timestamp.CompareTo(other._timestamp) : Wall.CompareTo(other.Wall);

    /// <summary>Whether <paramref name="other"/> has the same readings, wall and monotonic (Go's <c>==</c> on times).</summary>
    /// <param name="other">The instant to compare with.</param>
    /// <returns>True if both readings are the same.</returns>
    public bool Equals(Instant other) =>
        Wall == other.Wall && Wall.Offset == other.Wall.Offset && _hasMonotonic == other._hasMonotonic && _timestamp == other._timestamp;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Instant other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Wall, Wall.Offset, _timestamp);

    /// <summary>The wall-clock reading in ISO 8601 (round-trip) form.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Wall.ToString("O", CultureInfo.InvariantCulture);

    // Now on the runtime's clock, both readings.
    internal static Instant Now(TimeProvider clock) => new(clock.GetUtcNow(), clock.GetTimestamp(), hasMonotonic: true);

    private static bool TryAddTimestamp(long timestamp, TimeSpan duration, out long sum)
    {
        Int128 exact = timestamp + ((Int128)duration.Ticks * Clock.Provider.TimestampFrequency / TimeSpan.TicksPerSecond);
        bool fits = exact >= long.MinValue && exact <= long.MaxValue;
        sum = fits ? (long)exact : 0;
        return fits;
    }
}
