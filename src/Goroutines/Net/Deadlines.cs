// Licensed under the MIT License.

using System;

using Goroutines.Scheduling;

namespace Goroutines.Net;

/// <summary>Go's deadlines (absolute times, the zero time for none) on the runtime's clock.</summary>
internal static class Deadlines
{
    /// <summary>
    /// <paramref name="deadline"/> as a timestamp of the runtime's clock (<see cref="Time.Clock.Provider"/>);
    /// null for <c>default</c>, Go's zero time: no deadline.
    /// </summary>
    public static long? ToClock(DateTimeOffset deadline)
    {
        if (deadline == default)
        {
            return null;
        }

        Scheduler scheduler = Scheduler.Instance;
        TimeSpan remaining = deadline - scheduler.Clock.GetUtcNow();
        return remaining <= TimeSpan.Zero ? long.MinValue : scheduler.DeadlineAfter(remaining);
    }

    /// <summary>The earlier of two clock deadlines, null meaning none.</summary>
    public static long? Earlier(long? first, long? second) =>
        first is null ? second : second is null ? first : Math.Min(first.Value, second.Value);
}
