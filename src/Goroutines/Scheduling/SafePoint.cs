// Licensed under the MIT License.

using System.Threading;

namespace Goroutines.Scheduling;

// SafePoint: where runtime operations (a channel operation, a select) honour
// sysmon's request that a goroutine yield, even when they could complete at once
// (Go checks the preempt flag in every function prologue; a stackless goroutine's
// only safe points are the runtime's own awaitable operations).
//
// Reading the running goroutine costs a thread-static lookup, so operations first
// read a process-wide count of outstanding requests, which is zero nearly always.
// The count is a hint: sysmon is the only writer of a request and the goroutine the
// only one that clears it, each adjusting the count after its own flag write, so the
// count settles on the number of set flags. A stale non-zero count costs one lookup;
// a request missed while the count lags is honoured at the next safe point or by
// sysmon's hand-off. An explored bubble adds one to the count for its life: its chooser
// decides at every safe point of its goroutines (Bubble.cs).
//
// Invariants:
// - ShouldYield is true only inside a goroutine that sysmon asked to yield, or whose
//   explored bubble's chooser preempts it.
internal static class SafePoint
{
    // Outstanding preemption requests. Written with Interlocked by sysmon and by goroutines.
    private static int s_requests;

    /// <summary>Whether the calling goroutine should yield before its operation. Any thread.</summary>
    public static bool ShouldYield => Volatile.Read(ref s_requests) != 0 && RunningShouldYield();

    // A bubble's goroutine asks its bubble (an explored one's chooser decides); any other, sysmon's flag.
    private static bool RunningShouldYield() => Goroutine.Running is { } g
        && (g.InBubble ? Bubble.MemberOf(g) is { } member && member.Bubble.ShouldYieldAtSafePoint(member) : g.PreemptRequested);

    /// <summary>An explored bubble started: while it lives, every safe point looks at the running goroutine.</summary>
    public static void NoteExplorationStarted() => Interlocked.Increment(ref s_requests);

    /// <summary>An explored bubble ended.</summary>
    public static void NoteExplorationEnded() => Interlocked.Decrement(ref s_requests);

    /// <summary>Counts a request sysmon just set. Sysmon only.</summary>
    public static void NotePreemptRequested() => Interlocked.Increment(ref s_requests);

    /// <summary>Counts a request the goroutine just cleared. The goroutine's machine only.</summary>
    public static void NotePreemptCleared() => Interlocked.Decrement(ref s_requests);
}
