// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Scheduling;

namespace Goroutines.Diagnostics;

// GoroutineLeaks: the public face of leak detection, in two strengths.
//   VerifyNone: goleak's check. Every live goroutine not ignored is a failure once
//     the timeout has passed; until then the check retries with a growing backoff,
//     because goroutines finish a moment after what the caller waited for.
//   FindLeaked: the collector's proof (LeakDetector.cs): goroutines parked where no
//     code can ever reach them. VerifyNone runs it before failing, so its report
//     marks which of the goroutines left behind are leaked for good.
/// <summary>
/// Finds goroutines that outlive the code that started them: a check for test suites in the
/// role of Go's goleak (<see cref="VerifyNone"/>), and a garbage-collector-based detector of
/// goroutines that no code can ever wake (<see cref="FindLeaked"/>).
/// </summary>
/// <example>
/// <code>
/// var options = new GoroutineLeakOptions().IgnoreCurrent(); // at the start of a test
/// // ... the test ...
/// GoroutineLeaks.VerifyNone(options);                       // at its end
/// </code>
/// </example>
public static class GoroutineLeaks
{
    private static readonly TimeSpan s_longestBackoff = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Waits up to <see cref="GoroutineLeakOptions.Timeout"/> for every goroutine but the caller and
    /// those <paramref name="options"/> ignore to exit, and throws if some remain. Blocks the
    /// calling thread; from a goroutine use <see cref="VerifyNoneAsync"/>.
    /// </summary>
    /// <param name="options">What to tolerate, and how long to wait; by default nothing, 5 seconds.</param>
    /// <exception cref="GoroutineLeakException">Goroutines remained; the message is their dump.</exception>
    public static void VerifyNone(GoroutineLeakOptions? options = null)
    {
        options ??= new GoroutineLeakOptions();
        long caller = Go.CurrentGoroutineId;
        long deadline = Environment.TickCount64 + (long)options.Timeout.TotalMilliseconds;
        TimeSpan backoff = TimeSpan.FromMilliseconds(1);
        List<GoroutineInfo> remaining = Remaining(options, caller);
        while (!IsSettled(remaining) && Environment.TickCount64 < deadline)
        {
            using (Go.EnterBlockingRegion())
            {
                Thread.Sleep(backoff);
            }

            backoff = Grow(backoff);
            remaining = Remaining(options, caller);
        }

        ThrowIfAnyRemain(options, caller, remaining);
    }

    /// <summary>The asynchronous form of <see cref="VerifyNone"/>: waits without blocking the thread.</summary>
    /// <param name="options">What to tolerate, and how long to wait; by default nothing, 5 seconds.</param>
    /// <param name="cancellationToken">Ends the wait early; the check is then not made.</param>
    /// <returns>A task that fails with <see cref="GoroutineLeakException"/> if goroutines remained.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public static async Task VerifyNoneAsync(GoroutineLeakOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new GoroutineLeakOptions();

        // The caller, read once here: the last check runs on a pool thread, where it would read 0.
        long caller = Go.CurrentGoroutineId;
        long deadline = Environment.TickCount64 + (long)options.Timeout.TotalMilliseconds;
        TimeSpan backoff = TimeSpan.FromMilliseconds(1);
        List<GoroutineInfo> remaining = Remaining(options, caller);
        while (!IsSettled(remaining) && Environment.TickCount64 < deadline)
        {
            await Task.Delay(backoff, cancellationToken).ConfigureAwait(true);
            backoff = Grow(backoff);
            remaining = Remaining(options, caller);
        }

        await Task.Run(() => ThrowIfAnyRemain(options, caller, remaining), cancellationToken).ConfigureAwait(true);
    }

    /// <summary>
    /// Finds the goroutines that are parked where nothing outside the runtime can reach them, so no
    /// code can ever wake them (the idea of Go 1.26's leak-detecting collector), and marks them:
    /// dumps show them as <c>[chan receive (leaked)]</c>. No goroutine that could still be woken is
    /// reported. Forces a full garbage collection; not for hot paths.
    /// </summary>
    /// <returns>The leaked goroutines, by id.</returns>
    /// <remarks>
    /// A goroutine waits on something: a channel, a lock, a timer, a .NET task. If code that is still
    /// alive (another goroutine, a thread, a static field, a pending timer) holds that something,
    /// the goroutine may be woken and is not reported, even if in fact nothing will ever wake it.
    /// Called from a goroutine, the call blocks its thread in a blocking region. Call it after an
    /// await, not in the step in which an async method the goroutine awaited has just returned: that
    /// method's finished frame is still on the thread's stack then (its continuation runs inline), so
    /// the channels its locals held are reachable and the goroutines parked on them are not reported.
    /// </remarks>
    public static IReadOnlyList<GoroutineInfo> FindLeaked()
    {
        List<Goroutine> leaked;

        // The goroutines this caller readied last went through its processor's ring, and the
        // ring's taken slots still name them: the processor is not idle (its goroutine is here,
        // soon in a blocking region), so the pass would not clear them, and a goroutine leaked a
        // moment ago by code of this caller (the Tour's Same, returning at the first difference
        // with both walkers parked) would go unreported. Cleared here, by the owner, before the
        // region lets sysmon hand the processor on.
        Scheduler.ClearOwnProcessorStaleSlots();
        using (Go.EnterBlockingRegion())
        {
            leaked = LeakDetector.FindLeaked();
        }

        return GoroutineDump.DescribeAll(leaked, current: null, static _ => true);
    }

    // Nothing remains, and no goroutine is between its spawn and its first step (one in a
    // hand-over between run queues may be missing from a dump).
    private static bool IsSettled(List<GoroutineInfo> remaining) =>
        remaining.Count == 0 && Scheduler.Instance.NotStartedCount == 0;

    // The goroutines still alive but the caller (0 for a thread outside the runtime) and those ignored.
    private static List<GoroutineInfo> Remaining(GoroutineLeakOptions options, long caller) =>
        GoroutineDump.Capture().Goroutines.Where(g => g.Id != caller && !options.IsIgnored(g)).ToList();

    // The last check: before failing, let the collector mark which of the remaining are leaked for
    // good, and look again.
    private static void ThrowIfAnyRemain(GoroutineLeakOptions options, long caller, List<GoroutineInfo> remaining)
    {
        if (remaining.Count == 0)
        {
            return;
        }

        _ = FindLeaked();
        remaining = Remaining(options, caller);
        if (remaining.Count > 0)
        {
            throw new GoroutineLeakException(remaining);
        }
    }

    private static TimeSpan Grow(TimeSpan backoff) => backoff * 2 < s_longestBackoff ? backoff * 2 : s_longestBackoff;
}
