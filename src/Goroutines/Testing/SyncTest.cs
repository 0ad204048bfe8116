// Licensed under the MIT License.

using System;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;

using Goroutines.Scheduling;

namespace Goroutines.Testing;

/// <summary>
/// Go's <c>testing/synctest</c>: runs a test body in a bubble, a set of goroutines with a fake
/// clock that moves only when every goroutine of the bubble is durably blocked, so tests of
/// timeouts, tickers and retries run instantly and deterministically.
/// </summary>
/// <remarks>
/// <para>
/// The body runs as the bubble's first goroutine; every goroutine it starts, transitively, joins
/// the bubble, and so do the timers, tickers, sleeps and context deadlines they create. The
/// bubble's clock (<see cref="Time.Clock.Provider"/> inside it) starts at midnight UTC on
/// 1 January 2000. When every goroutine of the bubble is durably blocked, the clock jumps to the
/// next timer and fires what is due; with no timer left, the bubble is deadlocked.
/// </para>
/// <para>
/// Durably blocked means parked on something only the bubble can wake: a send, receive or
/// select on channels created in the bubble, a nil channel, a sleep, a timer's channel, a
/// <see cref="Sync.WaitGroup"/>, <see cref="Sync.Cond"/>, <see cref="Sync.Mutex"/>,
/// <see cref="Sync.RWMutex"/> or semaphore wait, or <see cref="WaitAsync"/>. Awaiting a .NET task,
/// network I/O or a channel created outside the bubble is not durable: time waits for it.
/// </para>
/// <para>
/// Where this differs from Go, and why: the synchronous forms (<c>Receive</c>, <c>Lock</c>,
/// <c>Clock.Sleep</c>...) throw <see cref="NotSupportedException"/> inside a bubble, as a blocked
/// thread is invisible to it; waits on a mutex count as durable (.NET code holds locks across
/// awaits, so a lock held by a sleeping goroutine is common and must let time move; Go does not
/// count them); a panic in any goroutine of the bubble fails <see cref="RunAsync"/> with its
/// exception instead of ending the process; closing a bubble's channel from outside is allowed
/// (an outer context's cancellation reaching an inner one), while sending or receiving on it
/// from outside throws <see cref="InvalidOperationException"/>. Bubbles share no process-wide
/// state: tests in parallel classes may each run their own.
/// </para>
/// </remarks>
public static class SyncTest
{
    /// <summary>
    /// Runs <paramref name="body"/> as the first goroutine of a new bubble (Go's <c>synctest.Test</c>)
    /// and completes when it and every goroutine of the bubble have returned; time inside goes on
    /// moving after the body returns, so goroutines that sleep still finish.
    /// </summary>
    /// <param name="body">The test body.</param>
    /// <param name="member">The calling member, the bubble's creation site; filled in by the compiler.</param>
    /// <param name="file">The calling file; filled in by the compiler.</param>
    /// <param name="line">The calling line; filled in by the compiler.</param>
    /// <returns>A task that completes when the bubble is empty.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called inside a bubble (bubbles do not nest).</exception>
    /// <remarks>
    /// The task fails with the first exception that escapes a goroutine of the bubble (a later one,
    /// escaping after the outcome is decided, goes to the panic handler as any panic does); with a
    /// <see cref="DeadlockException"/> (Go's <c>deadlock: all goroutines in bubble are blocked</c>,
    /// with the dump of the bubble's goroutines) when every goroutine is durably blocked and no timer
    /// is left; and with a <see cref="Diagnostics.GoroutineLeakException"/> listing the goroutines
    /// left blocked forever once the body has returned.
    /// </remarks>
    public static Task RunAsync(Func<Task> body, [CallerMemberName] string member = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(body);
        return Bubble.Start(body, chooser: null, maxSteps: long.MaxValue, member, file, line).Completion;
    }

    /// <summary>
    /// Parks the calling goroutine until every other goroutine of its bubble is durably blocked
    /// (Go's <c>synctest.Wait</c>): then whatever they were going to do without time passing is done.
    /// </summary>
    /// <returns>An awaitable that completes when the rest of the bubble is durably blocked.</returns>
    /// <exception cref="InvalidOperationException">
    /// The caller is not a goroutine of a bubble, or another goroutine of the bubble is in
    /// <see cref="WaitAsync"/> already.
    /// </exception>
    public static ValueTask WaitAsync()
    {
        BubbleMember caller = Bubble.MemberOf(Goroutine.Running)
            ?? throw new InvalidOperationException("SyncTest.WaitAsync is for goroutines of a bubble: call it from SyncTest.RunAsync's body or a goroutine it started.");
        return caller.Bubble.WaitAsync();
    }

    /// <summary>Whether the caller is a goroutine of a bubble.</summary>
    public static bool IsInBubble => Bubble.MemberOf(Goroutine.Running) is not null;
}
