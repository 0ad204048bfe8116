// Licensed under the MIT License.

using System;

using Goroutines.Time;

namespace Goroutines.Contexts;

// TimerContext: Context.WithDeadline and WithTimeout (Go's timerCtx). A CancelContext
// with a deadline and a runtime timer (Clock.AfterFunc) that cancels it with
// DeadlineExceeded and the given cause when the deadline comes.
//
// Protocol (Go's withDeadline):
//   Start: attach to the parent; if the deadline has passed, cancel at once with
//          DeadlineExceeded. Else, under the lock and unless done by now, arm the
//          timer: a context canceled meanwhile (its parent, from another thread)
//          never gets one.
//   OnDone: under the lock take the timer, then stop it, so a context canceled early
//          leaves no timer behind.
// A parent whose deadline is earlier makes no TimerContext at all (Context.WithDeadline
// returns a plain CancelContext): the parent's timer cancels the child first anyway.
//
// Invariants:
// - Once the context is done and Start has returned, it holds no timer.

/// <summary>A context canceled with <see cref="Context.DeadlineExceeded"/> at its deadline.</summary>
internal sealed class TimerContext : CancelContext
{
    private Timer? _timer; // under SyncRoot

    private TimerContext(Context parent, DateTimeOffset deadline)
        : base(parent)
    {
        Deadline = deadline;
        DeadlineSource = this;
    }

    /// <summary>When the context is canceled with <see cref="Context.DeadlineExceeded"/>.</summary>
    internal DateTimeOffset Deadline { get; }

    /// <summary>Whether the context holds a timer now (for tests: a canceled context must not).</summary>
    internal bool HasTimer
    {
        get
        {
            lock (SyncRoot)
            {
                return _timer is not null;
            }
        }
    }

    /// <summary>Creates the context and arms its timer (Go's <c>WithDeadlineCause</c> past its parent check).</summary>
    internal static TimerContext Start(Context parent, DateTimeOffset deadline, Exception? cause)
    {
        var context = new TimerContext(parent, deadline);
        context.Attach();
        TimeSpan remaining = deadline - Clock.Provider.GetUtcNow();
        if (remaining <= TimeSpan.Zero)
        {
            context.Cancel(removeFromParent: true, DeadlineExceeded, cause);
            return context;
        }

        lock (context.SyncRoot)
        {
            if (!context.IsDoneLocked)
            {
                context._timer = Clock.AfterFunc(remaining, () => context.Cancel(removeFromParent: true, DeadlineExceeded, cause));
            }
        }

        return context;
    }

    /// <summary>Go's description: the deadline and, in brackets, the time left.</summary>
    private protected override string Segment => $".WithDeadline({Deadline:O} [{Deadline - Clock.Provider.GetUtcNow()}])";

    /// <inheritdoc/>
    private protected override void OnDone()
    {
        Timer? timer;
        lock (SyncRoot)
        {
            timer = _timer;
            _timer = null;
        }

        timer?.Stop();
    }
}
