// Licensed under the MIT License.

using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Scheduling;

namespace Goroutines.Time;

/// <summary>
/// Go's <c>time</c> package on the scheduler: sleeping, one-shot and periodic timers, all served
/// by per-processor timer heaps (one heap entry per timer, no .NET <see cref="System.Threading.Timer"/>
/// each). Sleeping parks the goroutine, never its thread.
/// </summary>
/// <remarks>
/// Durations follow Go: a zero or negative duration is due at once. Time is read from
/// <see cref="Provider"/>, which tests may replace with a fake clock.
/// </remarks>
public static class Clock
{
    /// <summary>
    /// The clock every timer of the runtime runs on; <see cref="TimeProvider.System"/> unless
    /// replaced. Timers already queued keep their remaining time when it changes. Inside a bubble
    /// (<see cref="Testing.SyncTest"/>) it is the bubble's fake clock, which starts at midnight UTC
    /// on 1 January 2000 and moves only when every goroutine of the bubble is durably blocked.
    /// </summary>
    /// <remarks>
    /// Replace it while nothing else schedules timers (at start-up, or in a test before its
    /// goroutines run): a timer scheduled during the change may be converted from the old clock.
    /// With a provider other than <see cref="TimeProvider.System"/>, timers fire when that
    /// provider's timers do; a fake clock's advance fires every timer it passes before it returns.
    /// </remarks>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    /// <exception cref="InvalidOperationException">Set inside a bubble.</exception>
    public static TimeProvider Provider
    {
        get => Bubble.Current?.Clock ?? Scheduler.Instance.Clock;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (Bubble.Current is not null)
            {
                throw new InvalidOperationException("Clock.Provider cannot be replaced inside a bubble: the bubble's clock is its own. Set it outside, before the bubble starts.");
            }

            Scheduler.Instance.SetClock(value);
        }
    }

    /// <summary>
    /// The current time on <see cref="Provider"/>, with a monotonic reading (Go's <c>time.Now()</c>):
    /// durations measured from it do not jump when the wall clock is set.
    /// </summary>
    /// <returns>The instant now.</returns>
    public static Instant Now() => Instant.Now(Provider);

    /// <summary>The time elapsed since <paramref name="start"/> (Go's <c>time.Since(t)</c>), by the monotonic clock.</summary>
    /// <param name="start">An instant, usually from <see cref="Now"/>.</param>
    /// <returns>The duration from <paramref name="start"/> to now.</returns>
    public static TimeSpan Since(Instant start) => Now() - start;

    /// <summary>The time left until <paramref name="deadline"/> (Go's <c>time.Until(t)</c>), by the monotonic clock.</summary>
    /// <param name="deadline">An instant, usually <c>Clock.Now().Add(d)</c>.</param>
    /// <returns>The duration from now to <paramref name="deadline"/>, negative once it has passed.</returns>
    public static TimeSpan Until(Instant deadline) => deadline - Now();

    /// <summary>Parks the goroutine for at least <paramref name="duration"/> (Go's <c>time.Sleep</c>).</summary>
    /// <param name="duration">How long to sleep; zero or negative returns at once.</param>
    /// <returns>An awaitable that completes when the time has passed.</returns>
    /// <remarks>Outside a goroutine the continuation runs where an await of a task would.</remarks>
    public static ValueTask SleepAsync(TimeSpan duration)
    {
        return duration <= TimeSpan.Zero ? default : WaiterWokenAfter(duration).ParkAsync(WaitReason.Sleep);
    }

    private static async ValueTask SleepCancelableAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        var timer = new Timer(duration);
        try
        {
            await timer.C.ReceiveAsync(cancellationToken).ConfigureAwait(true);
        }
        finally
        {
            timer.Stop(); // canceled: its heap entry goes now, not when it would have fired
        }
    }

    /// <summary>
    /// Parks the goroutine for at least <paramref name="duration"/>, unless
    /// <paramref name="cancellationToken"/> is canceled first (Go's
    /// <c>select { case &lt;-time.After(d): case &lt;-ctx.Done(): }</c>).
    /// </summary>
    /// <param name="duration">How long to sleep; zero or negative returns at once (after a check of the token).</param>
    /// <param name="cancellationToken">Ends the sleep early; a token that cannot be canceled costs nothing.</param>
    /// <returns>An awaitable that completes when the time has passed.</returns>
    /// <exception cref="OperationCanceledException">The token was canceled before the time passed.</exception>
    /// <remarks>
    /// A cancelable sleep is a select over a timer's channel and the token, so a dump shows it
    /// waiting in <c>select</c>, where a plain sleep shows <c>sleep</c>.
    /// </remarks>
    public static ValueTask SleepAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            return SleepAsync(duration);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        return duration <= TimeSpan.Zero ? default : SleepCancelableAsync(duration, cancellationToken);
    }

    /// <summary>
    /// Blocks the calling thread for at least <paramref name="duration"/>; on a goroutine's thread
    /// in a blocking region, so its processor is handed on. Prefer <see cref="SleepAsync(TimeSpan)"/> in goroutines.
    /// </summary>
    /// <param name="duration">How long to sleep; zero or negative returns at once.</param>
    /// <exception cref="NotSupportedException">Called inside a bubble, which cannot see a blocked thread: use <see cref="SleepAsync(TimeSpan)"/>.</exception>
    public static void Sleep(TimeSpan duration)
    {
        Bubble.ThrowIfBlockingInBubble();
        if (duration > TimeSpan.Zero)
        {
            WaiterWokenAfter(duration).Block();
        }
    }

    /// <summary>
    /// Returns a channel that receives the time once, after <paramref name="duration"/> (Go's
    /// <c>time.After</c>, the same as <c>new Timer(duration).C</c>).
    /// </summary>
    /// <param name="duration">The delay; zero or negative sends at once.</param>
    /// <returns>The timer's channel.</returns>
    /// <remarks>
    /// The timer stays queued until it fires, even if nobody receives: in a loop, prefer one
    /// <see cref="Timer"/> that is reset.
    /// </remarks>
    public static ReceiveOnlyChan<DateTimeOffset> After(TimeSpan duration) => new Timer(duration).C;

    /// <summary>
    /// Runs <paramref name="function"/> in its own goroutine after <paramref name="duration"/>
    /// (Go's <c>time.AfterFunc</c>). The returned timer's <see cref="Timer.Stop"/> cancels it.
    /// </summary>
    /// <param name="duration">The delay; zero or negative starts it at once.</param>
    /// <param name="function">The goroutine's body.</param>
    /// <param name="member">The calling member, the goroutine's creation site; filled in by the compiler.</param>
    /// <param name="file">The calling file; filled in by the compiler.</param>
    /// <param name="line">The calling line; filled in by the compiler.</param>
    /// <returns>A timer whose <see cref="Timer.C"/> is the nil channel.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="function"/> is null.</exception>
    public static Timer AfterFunc(TimeSpan duration, Action function, [CallerMemberName] string member = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(function);
        return new Timer(new FunctionTimer(function, member, file, line), duration);
    }

    /// <summary>
    /// Runs the async <paramref name="function"/> in its own goroutine after <paramref name="duration"/>
    /// (Go's <c>time.AfterFunc</c>, whose function may block: here it awaits). The returned timer's
    /// <see cref="Timer.Stop"/> cancels it before it starts.
    /// </summary>
    /// <inheritdoc cref="AfterFunc(TimeSpan, Action, string, string, int)"/>
    public static Timer AfterFunc(TimeSpan duration, Func<Task> function, [CallerMemberName] string member = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(function);
        return new Timer(new FunctionTimer(function, member, file, line), duration);
    }

    /// <summary>
    /// Returns a ticker's channel, for when the ticker never needs stopping (Go's <c>time.Tick</c>);
    /// the nil channel for a zero or negative period, as Go.
    /// </summary>
    /// <param name="period">The interval between ticks.</param>
    /// <returns>The ticker's channel.</returns>
    /// <remarks>The ticker stays queued for the life of the process: use a <see cref="Ticker"/> and stop it otherwise.</remarks>
    public static ReceiveOnlyChan<DateTimeOffset> Tick(TimeSpan period) => period <= TimeSpan.Zero ? default : new Ticker(period).C;

    // A pooled waiter whose wake-up is queued in the caller's timer heap for duration from now.
    private static SignalWaiter WaiterWokenAfter(TimeSpan duration)
    {
        SignalWaiter waiter = SignalWaiter.Rent();
        Scheduler scheduler = Scheduler.Instance;
        Bubble? bubble = Bubble.Current;
        scheduler.ScheduleWakeUp(waiter, scheduler.DeadlineAfter(duration, bubble), bubble);
        return waiter;
    }
}
