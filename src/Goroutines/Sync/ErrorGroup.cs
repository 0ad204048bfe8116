// Licensed under the MIT License.

using System;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Contexts;

namespace Goroutines.Sync;

// ErrorGroup: Go's golang.org/x/sync/errgroup.Group. A WaitGroup counts the group's
// goroutines; the first exception one of them throws is kept (later ones are
// dropped) and cancels the group's context; Wait waits for all, cancels the context,
// and rethrows the kept exception.
//
// The limit is Go's: a buffered channel of tokens, one per active goroutine. Starting
// a goroutine sends a token (parking while the channel is full: GoAsync; blocking the
// thread: Go; failing: TryGo); the goroutine receives it back as it ends, which hands
// its slot to the first starter parked on the channel, in order. Unlike Go, each
// goroutine gives its token back to the channel it took it from, not to whichever
// channel the group has then, so removing the limit and setting a new one while
// goroutines run cannot leave one of them blocked on the new channel at its end.
//
// Rejected: WeightedSemaphore as the limit. It would do, but Go's SetLimit(0) is a
// channel of capacity 0 on which every start waits forever, and the active count for
// SetLimit's check is the channel's length; the channel keeps Go's edge cases exact.
//
// Invariants:
// - A token is in _limit's buffer for each goroutine started under that limit that
//   has not yet returned.
// - _error is set once, before the context is canceled with it.

/// <summary>
/// Go's error group (<c>golang.org/x/sync/errgroup</c>): a <see cref="WaitGroup"/> for goroutines
/// that can fail. The first exception thrown by a function of the group is kept and rethrown by
/// <see cref="WaitAsync()"/>; with <see cref="WithContext"/>, it also cancels the group's context so
/// the other functions can stop early.
/// </summary>
/// <example>
/// <code>
/// var (group, ctx) = ErrorGroup.WithContext(parent);
/// foreach (string url in urls)
/// {
///     await group.GoAsync(async () => await FetchAsync(ctx, url));   // the first failure cancels ctx
/// }
/// await group.WaitAsync();   // throws the first failure, if any
/// </code>
/// </example>
/// <remarks>
/// <para>
/// An exception thrown by a function is that function's error, Go's non-nil <c>error</c>: it is
/// not a panic. The first one wins; the others are dropped, as in Go. The return of every
/// function happens-before <see cref="WaitAsync()"/> completes.
/// </para>
/// <para>
/// <see cref="GoAsync(Func{Task}, string, string, int)"/>, <see cref="Go(Func{Task}, string, string, int)"/>,
/// <see cref="TryGo(Func{Task}, string, string, int)"/> and the waits may be called from any
/// goroutine or thread. As in Go, <see cref="SetLimit"/> must not race with starting goroutines,
/// and starts must not race with a <see cref="WaitAsync()"/> that may return (the
/// <see cref="WaitGroup"/> rule). A group may be reused after its wait returned, but keeps its
/// first error and its canceled context.
/// </para>
/// </remarks>
public sealed class ErrorGroup
{
    private readonly WaitGroup _group = new();
    private readonly CancelCauseFunc? _cancel;
    private Chan<ValueTuple> _limit; // nil: no limit. Written by SetLimit only (not concurrently with starts).
    private ExceptionDispatchInfo? _error; // the first error, its stack captured once; set once with a CAS

    /// <summary>Creates a group with no limit and no context (Go's zero <c>errgroup.Group</c>).</summary>
    public ErrorGroup()
    {
    }

    private ErrorGroup(CancelCauseFunc cancel)
    {
        _cancel = cancel;
    }

    /// <summary>
    /// Creates a group and a context derived from <paramref name="parent"/> (Go's
    /// <c>errgroup.WithContext</c>). The context is canceled, with the first exception as its
    /// <see cref="Context.Cause"/>, when a function of the group first throws, or when a wait
    /// of the group returns, whichever comes first.
    /// </summary>
    /// <param name="parent">The parent of the group's context.</param>
    /// <returns>The group and its context; deconstruct with <c>var (group, ctx) = ...</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="parent"/> is null.</exception>
    public static (ErrorGroup Group, Context Context) WithContext(Context parent)
    {
        var (context, cancel) = Context.WithCancelCause(parent);
        return (new ErrorGroup(cancel), context);
    }

    /// <summary>
    /// Starts <paramref name="function"/> in a new goroutine of the group, first parking the
    /// calling goroutine while the group has as many active goroutines as its limit (Go's
    /// <c>g.Go</c>). Completes as soon as the goroutine is started, not when it returns.
    /// </summary>
    /// <param name="function">The goroutine's body; an exception it throws is its error.</param>
    /// <param name="member">The spawning member; filled in by the compiler.</param>
    /// <param name="file">The spawning file; filled in by the compiler.</param>
    /// <param name="line">The spawning line; filled in by the compiler.</param>
    /// <returns>An awaitable that completes once the goroutine is started; at once when under the limit.</returns>
    /// <remarks>Starts wait for a slot first in, first out. With a limit of 0, it waits forever, as in Go.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="function"/> is null.</exception>
    public ValueTask GoAsync(Func<Task> function, [CallerMemberName] string member = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(function);
        return GoAsyncCore(function, member, file, line);
    }

    /// <summary>Starts the synchronous <paramref name="function"/> in a new goroutine of the group, parking while at the limit.</summary>
    /// <inheritdoc cref="GoAsync(Func{Task}, string, string, int)"/>
    public ValueTask GoAsync(Action function, [CallerMemberName] string member = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(function);
        return GoAsyncCore(function, member, file, line);
    }

    /// <summary>
    /// Starts <paramref name="function"/> in a new goroutine of the group, blocking the calling
    /// thread while the group is at its limit (in a blocking region on a goroutine's thread); without
    /// a limit it never blocks. Prefer <see cref="GoAsync(Func{Task}, string, string, int)"/> in goroutines.
    /// </summary>
    /// <inheritdoc cref="GoAsync(Func{Task}, string, string, int)" path="/param"/>
    /// <inheritdoc cref="GoAsync(Func{Task}, string, string, int)" path="/exception"/>
    public void Go(Func<Task> function, [CallerMemberName] string member = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(function);
        GoCore(function, member, file, line);
    }

    /// <summary>Starts the synchronous <paramref name="function"/> in a new goroutine of the group, blocking while at the limit.</summary>
    /// <inheritdoc cref="Go(Func{Task}, string, string, int)"/>
    public void Go(Action function, [CallerMemberName] string member = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(function);
        GoCore(function, member, file, line);
    }

    /// <summary>
    /// Starts <paramref name="function"/> in a new goroutine of the group only if that keeps the
    /// group within its limit (Go's <c>g.TryGo</c>).
    /// </summary>
    /// <inheritdoc cref="GoAsync(Func{Task}, string, string, int)" path="/param"/>
    /// <inheritdoc cref="GoAsync(Func{Task}, string, string, int)" path="/exception"/>
    /// <returns>True if the goroutine was started.</returns>
    public bool TryGo(Func<Task> function, [CallerMemberName] string member = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(function);
        return TryGoCore(function, member, file, line);
    }

    /// <summary>Starts the synchronous <paramref name="function"/> only if that keeps the group within its limit.</summary>
    /// <inheritdoc cref="TryGo(Func{Task}, string, string, int)"/>
    public bool TryGo(Action function, [CallerMemberName] string member = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(function);
        return TryGoCore(function, member, file, line);
    }

    /// <summary>
    /// Limits the group to <paramref name="limit"/> active goroutines; a negative value removes the
    /// limit (Go's <c>g.SetLimit</c>). Later starts wait (or, with <c>TryGo</c>, fail) while the
    /// group is at the limit.
    /// </summary>
    /// <param name="limit">The most goroutines active at once; negative for no limit.</param>
    /// <remarks>
    /// As in Go, a new limit may not be set while goroutines started under the current limit are
    /// still active; removing the limit is always allowed, and goroutines started without a limit
    /// do not count. Not safe to call concurrently with starts.
    /// </remarks>
    /// <exception cref="InvalidOperationException">
    /// <paramref name="limit"/> is not negative and goroutines started under the current limit are
    /// active (Go's panic "errgroup: modify limit while N goroutines in the group are still active").
    /// </exception>
    public void SetLimit(int limit)
    {
        if (limit < 0)
        {
            _limit = default;
            return;
        }

        int active = _limit.Count;
        if (active != 0)
        {
            throw new InvalidOperationException($"errgroup: modify limit while {active} goroutines in the group are still active");
        }

        _limit = new Chan<ValueTuple>(limit);
    }

    /// <summary>
    /// Parks until every function of the group has returned, cancels the group's context, then
    /// throws the first exception a function threw, if any (Go's <c>g.Wait</c>, which returns it).
    /// </summary>
    /// <returns>An awaitable that completes when every function has returned.</returns>
    /// <remarks>
    /// The exception is rethrown as it was thrown (its stack trace kept, with the wait's
    /// appended), as awaiting a faulted task does; every wait of the group rethrows the same one.
    /// Exceptions after the first are dropped, as in Go.
    /// </remarks>
    /// <exception cref="Exception">The first exception thrown by a function of the group.</exception>
    public async ValueTask WaitAsync()
    {
        await _group.WaitAsync().ConfigureAwait(true);
        Finish();
    }

    /// <summary>
    /// Blocks the calling thread until every function of the group has returned (in a blocking
    /// region on a goroutine's thread), then behaves as <see cref="WaitAsync()"/>. Prefer
    /// <see cref="WaitAsync()"/> in goroutines.
    /// </summary>
    /// <inheritdoc cref="WaitAsync()" path="/remarks"/>
    /// <inheritdoc cref="WaitAsync()" path="/exception"/>
    public void Wait()
    {
        _group.Wait();
        Finish();
    }

    private ValueTask GoAsyncCore(Delegate function, string member, string file, int line)
    {
        Chan<ValueTuple> limit = _limit;
        if (limit.IsNil)
        {
            Start(function, limit, member, file, line);
            return default;
        }

        ValueTask slot = limit.SendAsync(default);
        if (slot.IsCompletedSuccessfully)
        {
            slot.GetAwaiter().GetResult();
            Start(function, limit, member, file, line);
            return default;
        }

        return StartAfterSlotAsync(slot, function, limit, member, file, line);
    }

    private async ValueTask StartAfterSlotAsync(ValueTask slot, Delegate function, Chan<ValueTuple> limit, string member, string file, int line)
    {
        await slot.ConfigureAwait(true);
        Start(function, limit, member, file, line);
    }

    private bool TryGoCore(Delegate function, string member, string file, int line)
    {
        Chan<ValueTuple> limit = _limit;
        if (!limit.IsNil && !limit.TrySend(default))
        {
            return false;
        }

        Start(function, limit, member, file, line);
        return true;
    }

    // Go's body: takes a slot under the limit, blocking while there is none, then starts the goroutine.
    private void GoCore(Delegate function, string member, string file, int line)
    {
        Chan<ValueTuple> limit = _limit;
        if (!limit.IsNil)
        {
            limit.Send(default);
        }

        Start(function, limit, member, file, line);
    }

    // Starts the goroutine; its slot under limit (if any) is taken already and is given back as it ends.
    private void Start(Delegate function, Chan<ValueTuple> limit, string member, string file, int line)
    {
        try
        {
            if (function is Func<Task> asynchronous)
            {
                _group.Go(
                    async () =>
                    {
                        try
                        {
                            await asynchronous().ConfigureAwait(true);
                        }
                        catch (Exception ex) when (ex is not GoexitException)
                        {
                            Record(ex);
                        }
                        finally
                        {
                            FreeSlot(limit);
                        }
                    },
                    member,
                    file,
                    line);
            }
            else
            {
                var synchronous = (Action)function;
                _group.Go(
                    () =>
                    {
                        try
                        {
                            synchronous();
                        }
                        catch (Exception ex) when (ex is not GoexitException)
                        {
                            Record(ex);
                        }
                        finally
                        {
                            FreeSlot(limit);
                        }
                    },
                    member,
                    file,
                    line);
            }
        }
        catch
        {
            FreeSlot(limit); // not started: WaitGroup.Go undid its count
            throw;
        }
    }

    // Go's done(): the token goes back, which hands the slot to the first parked starter.
    private static void FreeSlot(Chan<ValueTuple> limit)
    {
        if (!limit.IsNil && !limit.TryReceive(out _))
        {
            throw new InvalidOperationException("errgroup: a goroutine ended without a token in its limit's channel");
        }
    }

    // Go's errOnce.Do: the first error is kept and cancels the context.
    private void Record(Exception error)
    {
        if (Volatile.Read(ref _error) is null // later errors are dropped: capture only a candidate for the first
            && Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(error), null) is null)
        {
            _cancel?.Invoke(error);
        }
    }

    private void Finish()
    {
        // Every wait rethrows the stack captured when the error was recorded, not one grown by earlier waits.
        ExceptionDispatchInfo? error = Volatile.Read(ref _error);
        _cancel?.Invoke(error?.SourceException);
        error?.Throw();
    }
}
