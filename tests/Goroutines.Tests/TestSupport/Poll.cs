// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Threading;

namespace Goroutines.Tests.TestSupport;

/// <summary>
/// Waits for a condition that has no event to wait on (a counter the runtime updates after
/// the fact, a goroutine's informational status). It re-checks the condition itself, with
/// <see cref="SpinWait"/>'s back-off, until it holds or a deadline passes: never a fixed sleep.
/// </summary>
public static class Poll
{
    /// <summary>Returns whether <paramref name="condition"/> became true before <paramref name="timeout"/>.</summary>
    public static bool Until(Func<bool> condition, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(condition);
        long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var spinner = default(SpinWait);
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                return condition();
            }

            spinner.SpinOnce();
        }

        return true;
    }
}
