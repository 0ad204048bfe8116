// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;

namespace Goroutines.Diagnostics;

/// <summary>
/// What <see cref="GoroutineLeaks.VerifyNone"/> tolerates, and how long it waits for goroutines
/// to exit (goleak's options). Each <c>Ignore</c> method returns the options, so they chain.
/// </summary>
/// <example>
/// <code>
/// var options = new GoroutineLeakOptions().IgnoreCurrent().IgnoreCreatedBy("StartBackgroundPoller");
/// // ... the test ...
/// GoroutineLeaks.VerifyNone(options);
/// </code>
/// </example>
public sealed class GoroutineLeakOptions
{
    private readonly HashSet<long> _ignoredIds = [];
    private readonly List<Func<GoroutineInfo, bool>> _ignored = [];
    private TimeSpan _timeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long to wait for goroutines to exit before reporting them (default 5 seconds).
    /// Goroutines often finish a moment after what a test waited for; the check retries until then.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public TimeSpan Timeout
    {
        get => _timeout;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            _timeout = value;
        }
    }

    /// <summary>Ignores every goroutine alive now (goleak's <c>IgnoreCurrent</c>): take the options before the code under test starts.</summary>
    /// <returns>These options.</returns>
    public GoroutineLeakOptions IgnoreCurrent()
    {
        foreach (GoroutineInfo g in GoroutineDump.Capture().Goroutines)
        {
            _ignoredIds.Add(g.Id);
        }

        return this;
    }

    /// <summary>Ignores goroutines whose innermost frame is <paramref name="function"/> (goleak's <c>IgnoreTopFunction</c>).</summary>
    /// <param name="function">
    /// A function as dumps name it (<see cref="GoroutineFrame.Function"/>): the whole name
    /// (<c>MyApp.Poller.RunAsync</c>) or its last parts (<c>Poller.RunAsync</c>, <c>RunAsync</c>).
    /// </param>
    /// <returns>These options.</returns>
    /// <exception cref="ArgumentException"><paramref name="function"/> is null or empty.</exception>
    public GoroutineLeakOptions IgnoreTopFunction(string function)
    {
        ArgumentException.ThrowIfNullOrEmpty(function);
        return Ignore(g => g.Frames.Count > 0 && Names(g.Frames[0].Function, function));
    }

    /// <summary>Ignores goroutines created by <paramref name="function"/> (goleak's <c>IgnoreCreatedBy</c>).</summary>
    /// <param name="function">
    /// The creating function as dumps name it after <c>created by</c> (<see cref="GoroutineInfo.CreatedBy"/>):
    /// the whole name (<c>MyApp.Poller.Start</c>) or its last parts (<c>Poller.Start</c>, <c>Start</c>).
    /// </param>
    /// <returns>These options.</returns>
    /// <exception cref="ArgumentException"><paramref name="function"/> is null or empty.</exception>
    public GoroutineLeakOptions IgnoreCreatedBy(string function)
    {
        ArgumentException.ThrowIfNullOrEmpty(function);
        return Ignore(g => Names(g.CreatedBy.Function, function));
    }

    // Whether a dump's function name is the one asked for: the whole name, or its last parts
    // from a dot on (goleak asks for whole names; a short one is kinder where no package path
    // makes names unique).
    private static bool Names(string shown, string asked) =>
        shown.EndsWith(asked, StringComparison.Ordinal)
        && (shown.Length == asked.Length || shown[shown.Length - asked.Length - 1] == '.');

    /// <summary>Ignores goroutines for which <paramref name="predicate"/> returns true.</summary>
    /// <param name="predicate">Called for each goroutine still alive at a check.</param>
    /// <returns>These options.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="predicate"/> is null.</exception>
    public GoroutineLeakOptions Ignore(Func<GoroutineInfo, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        _ignored.Add(predicate);
        return this;
    }

    /// <summary>Whether <paramref name="g"/> is tolerated.</summary>
    internal bool IsIgnored(GoroutineInfo g) => _ignoredIds.Contains(g.Id) || _ignored.Any(ignore => ignore(g));
}
