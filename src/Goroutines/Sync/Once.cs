// Licensed under the MIT License.

using System;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

namespace Goroutines.Sync;

// Once: Go's sync.Once — a done flag read with one volatile load on the fast path,
// and a Mutex that makes every other caller wait until the first call of the
// function has returned. The flag is set when the function returns or throws, so a
// panicking function counts as done (Go's defer o.done.Store(1)).
//
// Invariants:
// - _done goes 0 -> 1 once, under _mutex, after the function returned or threw.

/// <summary>
/// Go's <c>sync.Once</c>: runs a function exactly once, however many goroutines call
/// <see cref="DoAsync(Func{Task})"/> or <see cref="Do"/>; every caller returns only after that one call has
/// returned. A function that throws counts as done: the exception reaches the caller that ran it,
/// and later calls return without running anything (as Go's <c>Do</c> after a panic).
/// </summary>
/// <remarks>
/// The return of the one call happens-before every call of <see cref="DoAsync(Func{Task})"/>,
/// <see cref="DoAsync(Action)"/> or <see cref="Do"/> returns. The static <see cref="Wrap(Action)"/>
/// and <see cref="Wrap{T}(Func{T})"/> are Go's <c>sync.OnceFunc</c> and <c>sync.OnceValue</c>, and
/// <c>Wrap(() =&gt; (a, b))</c>, over a tuple, is <c>sync.OnceValues</c>.
/// </remarks>
public sealed class Once
{
    private readonly Mutex _mutex = new();
    private int _done;

    /// <summary>Whether the function has run (or thrown). A snapshot.</summary>
    public bool IsDone => Volatile.Read(ref _done) != 0;

    /// <summary>
    /// Runs <paramref name="function"/> if no call of this once has run one yet, parking other
    /// callers until it returns (Go's <c>once.Do(f)</c>).
    /// </summary>
    /// <param name="function">The function to run once.</param>
    /// <exception cref="ArgumentNullException"><paramref name="function"/> is null.</exception>
    public ValueTask DoAsync(Func<Task> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Volatile.Read(ref _done) != 0 ? default : DoSlowAsync(function);
    }

    /// <summary>
    /// Runs the synchronous <paramref name="function"/> if no call of this once has run one yet,
    /// parking other callers until it returns (Go's <c>once.Do(f)</c> for an <c>f</c> that does
    /// not wait): no caller's thread blocks.
    /// </summary>
    /// <inheritdoc cref="DoAsync(Func{Task})" path="/param"/>
    /// <inheritdoc cref="DoAsync(Func{Task})" path="/exception"/>
    public ValueTask DoAsync(Action function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Volatile.Read(ref _done) != 0 ? default : DoSlowAsync(function);
    }

    /// <summary>
    /// Runs the synchronous <paramref name="function"/> if no call of this once has run one yet,
    /// blocking other callers' threads until it returns (in a blocking region on a goroutine's).
    /// </summary>
    /// <inheritdoc cref="DoAsync(Func{Task})" path="/param"/>
    /// <inheritdoc cref="DoAsync(Func{Task})" path="/exception"/>
    public void Do(Action function)
    {
        ArgumentNullException.ThrowIfNull(function);
        if (Volatile.Read(ref _done) != 0)
        {
            return;
        }

        using (_mutex.Lock())
        {
            if (_done == 0)
            {
                try
                {
                    function();
                }
                finally
                {
                    Volatile.Write(ref _done, 1);
                }
            }
        }
    }

    /// <summary>
    /// Returns an action that runs <paramref name="function"/> the first time it is called; if it
    /// throws, every call throws the same exception (Go's <c>sync.OnceFunc</c>).
    /// </summary>
    /// <param name="function">The function to run once.</param>
    /// <exception cref="ArgumentNullException"><paramref name="function"/> is null.</exception>
    public static Action Wrap(Action function)
    {
        ArgumentNullException.ThrowIfNull(function);
        Func<bool> once = Wrap(() =>
        {
            function();
            return true;
        });
        return () => once();
    }

    /// <summary>
    /// Returns a function that calls <paramref name="function"/> the first time and returns its
    /// value every time; if it throws, every call throws the same exception (Go's
    /// <c>sync.OnceValue</c>; a tuple gives <c>sync.OnceValues</c>).
    /// </summary>
    /// <param name="function">The function to call once.</param>
    /// <exception cref="ArgumentNullException"><paramref name="function"/> is null.</exception>
    public static Func<T> Wrap<T>(Func<T> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        var once = new Once();
        Func<T>? pending = function; // dropped once called, as Go's OnceValue drops f
        T value = default!;
        ExceptionDispatchInfo? failure = null;
        return () =>
        {
            once.Do(() =>
            {
                try
                {
                    value = pending!();
                }
                catch (GoexitException)
                {
                    // The caller's goroutine ends; later callers have no value: Go's OnceValue
                    // re-panics with recover()'s nil for them, which is Go's PanicNilError.
                    failure = ExceptionDispatchInfo.Capture(new RuntimePanicException("panic called with nil argument"));
                    throw;
                }
                catch (Exception ex)
                {
                    failure = ExceptionDispatchInfo.Capture(ex);
                }
                finally
                {
                    pending = null;
                }
            });
            failure?.Throw();
            return value;
        };
    }

    // The slow path of both DoAsync forms: function is a Func<Task> or an Action.
    private async ValueTask DoSlowAsync(Delegate function)
    {
        using (await _mutex.LockAsync().ConfigureAwait(true))
        {
            if (_done == 0)
            {
                try
                {
                    if (function is Func<Task> asynchronous)
                    {
                        await asynchronous().ConfigureAwait(true);
                    }
                    else
                    {
                        ((Action)function)();
                    }
                }
                finally
                {
                    Volatile.Write(ref _done, 1);
                }
            }
        }
    }
}
