// Licensed under the MIT License.

using System;

using Goroutines.Time;

namespace Goroutines.Contexts;

// Context.Deadline: deadlines and timeouts. Time is the runtime's clock
// (Goroutines.Time.Clock.Provider), so a test's fake clock drives them, and the
// timers are the runtime's own (Clock.AfterFunc), not a .NET timer each.

public abstract partial class Context
{
    /// <summary>
    /// The time at which the context is canceled with <see cref="DeadlineExceeded"/> (Go's
    /// <c>ctx.Deadline()</c>), if it has one, its own or inherited.
    /// </summary>
    /// <param name="deadline">The deadline, or <c>default</c> when there is none.</param>
    /// <returns>True if the context has a deadline.</returns>
    public bool TryGetDeadline(out DateTimeOffset deadline)
    {
        if (DeadlineSource is { } source)
        {
            deadline = source.Deadline;
            return true;
        }

        deadline = default;
        return false;
    }

    /// <summary>
    /// Derives a context that is canceled with <see cref="DeadlineExceeded"/> at
    /// <paramref name="deadline"/>, or with <see cref="Canceled"/> by its cancel function or its
    /// parent, whichever comes first (Go's <c>context.WithDeadline</c>).
    /// </summary>
    /// <param name="parent">The parent context.</param>
    /// <param name="deadline">When to cancel, on the runtime's clock (<see cref="Clock.Provider"/>).</param>
    /// <returns>The context and its cancel function; deconstruct with <c>var (ctx, cancel) = ...</c>.</returns>
    /// <remarks>
    /// If the parent's deadline is earlier, the child is simply <see cref="WithCancel"/> of the
    /// parent: it inherits the earlier deadline. A deadline already passed cancels the context at
    /// once. Call the cancel function when the work is finished: it stops the timer.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="parent"/> is null.</exception>
    public static (Context Context, CancelFunc Cancel) WithDeadline(Context parent, DateTimeOffset deadline) =>
        WithDeadlineCause(parent, deadline, cause: null);

    /// <summary>
    /// As <see cref="WithDeadline"/>, and when the deadline comes <see cref="Cause"/> reports
    /// <paramref name="cause"/> (Go's <c>context.WithDeadlineCause</c>). A cancel by the returned
    /// function records no cause (<see cref="Canceled"/>).
    /// </summary>
    /// <param name="parent">The parent context.</param>
    /// <param name="deadline">When to cancel, on the runtime's clock.</param>
    /// <param name="cause">The cause recorded at the deadline; null records <see cref="DeadlineExceeded"/>.</param>
    /// <inheritdoc cref="WithDeadline" path="/returns"/>
    /// <inheritdoc cref="WithDeadline" path="/remarks"/>
    /// <inheritdoc cref="WithDeadline" path="/exception"/>
    public static (Context Context, CancelFunc Cancel) WithDeadlineCause(Context parent, DateTimeOffset deadline, Exception? cause)
    {
        CheckParent(parent);
        if (parent.TryGetDeadline(out DateTimeOffset current) && current < deadline)
        {
            return WithCancel(parent); // the parent's earlier deadline cancels this one first
        }

        TimerContext context = TimerContext.Start(parent, deadline, cause);
        return (context, context.CancelByCaller);
    }

    /// <summary>
    /// Derives a context that is canceled with <see cref="DeadlineExceeded"/> after
    /// <paramref name="timeout"/> (Go's <c>context.WithTimeout</c>:
    /// <c>WithDeadline(parent, now + timeout)</c>).
    /// </summary>
    /// <param name="parent">The parent context.</param>
    /// <param name="timeout">How long from now, on the runtime's clock; zero or negative cancels at once.</param>
    /// <inheritdoc cref="WithDeadline" path="/returns"/>
    /// <inheritdoc cref="WithDeadline" path="/remarks"/>
    /// <inheritdoc cref="WithDeadline" path="/exception"/>
    public static (Context Context, CancelFunc Cancel) WithTimeout(Context parent, TimeSpan timeout) =>
        WithDeadlineCause(parent, DeadlineAfter(timeout), cause: null);

    /// <summary>
    /// As <see cref="WithTimeout"/>, with the cause to record when the time is up (Go's
    /// <c>context.WithTimeoutCause</c>).
    /// </summary>
    /// <param name="parent">The parent context.</param>
    /// <param name="timeout">How long from now, on the runtime's clock.</param>
    /// <param name="cause">The cause recorded when the time is up; null records <see cref="DeadlineExceeded"/>.</param>
    /// <inheritdoc cref="WithDeadline" path="/returns"/>
    /// <inheritdoc cref="WithDeadline" path="/remarks"/>
    /// <inheritdoc cref="WithDeadline" path="/exception"/>
    public static (Context Context, CancelFunc Cancel) WithTimeoutCause(Context parent, TimeSpan timeout, Exception? cause) =>
        WithDeadlineCause(parent, DeadlineAfter(timeout), cause);

    // now + timeout, saturated at the ends of the calendar (a huge timeout means no deadline soon).
    private static DateTimeOffset DeadlineAfter(TimeSpan timeout)
    {
        DateTimeOffset now = Clock.Provider.GetUtcNow();
        if (timeout > DateTimeOffset.MaxValue - now)
        {
            return DateTimeOffset.MaxValue;
        }

        return timeout < DateTimeOffset.MinValue - now ? DateTimeOffset.MinValue : now + timeout;
    }
}
