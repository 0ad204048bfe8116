// Licensed under the MIT License.

using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Scheduling;

namespace Goroutines.Sync;

// WaitGroup: Go's sync.WaitGroup. One 64-bit state word holds the counter (high 32
// bits) and the number of waiters (low 32 bits), so Add and Wait agree with one
// atomic operation each, and waiters park on a RuntimeSemaphore.
//
// Protocol (Go's):
//   Add:  add delta to the counter unless it would go negative (then throw, the word
//         unchanged: Go's leaves the counter negative); if it is still positive or
//         nobody waits, done. Else (zero with waiters) reset the word to 0 and release
//         the semaphore once per waiter.
//   Wait: read the word; counter zero -> done. Else CAS waiters + 1 and acquire the
//         semaphore. A release that comes before the acquire parks is kept as a
//         permit, so no wake-up is lost. Woken, the word must still be 0 (the
//         releasing Add reset it): otherwise the group was reused before the wait
//         returned, Go's panic. (A canceled wait's helper skips that check.)
//
// Invariants:
// - Waiters are counted only while the counter is positive.

/// <summary>
/// Go's <c>sync.WaitGroup</c>: waits for a collection of goroutines to finish. Add a count for
/// each piece of work, call <see cref="Done"/> as each finishes, and await
/// <see cref="WaitAsync()"/> to park until the count is zero; or start each piece with
/// <see cref="Go(Func{Task}, string, string, int)"/>, which does both.
/// </summary>
/// <remarks>
/// Every member is safe to call from any thread and goroutine. A <see cref="Done"/> that brings
/// the counter to zero happens-before every wait it releases returns. As in Go, calls to
/// <see cref="Add"/> with a positive delta that start when the counter is zero must happen before
/// the <see cref="WaitAsync()"/> they are meant for; a group may be reused once its waits returned.
/// </remarks>
public sealed class WaitGroup
{
    private RuntimeSemaphore? _semaphore; // created on first contention (RuntimeSemaphore.Ensure)

    // Counter in the high 32 bits, waiters in the low 32 bits (see the header).
    private long _state;

    /// <summary>The current counter, as a snapshot (for diagnostics; Go has no such accessor).</summary>
    public int Count => (int)(Volatile.Read(ref _state) >> 32);

    /// <summary>Adds <paramref name="delta"/> (which may be negative) to the counter (Go's <c>wg.Add</c>).</summary>
    /// <param name="delta">The change to the counter.</param>
    /// <exception cref="InvalidOperationException">The counter would go negative (Go's panic "sync: negative WaitGroup counter", an <see cref="IRuntimeError"/>) or past <see cref="int.MaxValue"/>; the counter is left as it was.</exception>
    public void Add(int delta)
    {
        // Checked before the word changes (as Mutex checks its word): a failed Add leaves the
        // counter as it was, where Go's leaves it negative.
        long state = Volatile.Read(ref _state);
        while (true)
        {
            long next = (int)(state >> 32) + (long)delta;
            if (next < 0)
            {
                throw new RuntimePanicException("sync: negative WaitGroup counter");
            }

            if (next > int.MaxValue)
            {
                throw new RuntimePanicException("sync: WaitGroup counter overflow");
            }

            long seen = Interlocked.CompareExchange(ref _state, state + ((long)delta << 32), state);
            if (seen == state)
            {
                break;
            }

            state = seen;
        }

        state += (long)delta << 32;
        int counter = (int)(state >> 32);
        int waiters = (int)state;
        if (waiters != 0 && delta > 0 && counter == delta)
        {
            throw new RuntimePanicException("sync: WaitGroup misuse: Add called concurrently with Wait");
        }

        if (counter > 0 || waiters == 0)
        {
            return;
        }

        // The counter reached zero with goroutines waiting: nobody may add meanwhile (that is the
        // misuse Go reports too), so reset the word and release each waiter once.
        if (Interlocked.CompareExchange(ref _state, 0, state) != state)
        {
            throw new RuntimePanicException("sync: WaitGroup misuse: Add called concurrently with Wait");
        }

        for (int i = 0; i < waiters; i++)
        {
            RuntimeSemaphore.Ensure(ref _semaphore).Release();
        }
    }

    /// <summary>Subtracts one from the counter (Go's <c>wg.Done</c>).</summary>
    /// <exception cref="InvalidOperationException">The counter would go negative (Go's panic "sync: negative WaitGroup counter", an <see cref="IRuntimeError"/>); the counter is left as it was.</exception>
    public void Done() => Add(-1);

    /// <summary>
    /// Waits as <see cref="WaitAsync()"/> does, unless <paramref name="cancellationToken"/> is
    /// canceled first.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait; a token that cannot be canceled costs nothing.</param>
    /// <returns>An awaitable that completes when the counter is zero.</returns>
    /// <exception cref="OperationCanceledException">The token was canceled before the counter was zero.</exception>
    /// <remarks>
    /// A canceled wait leaves a goroutine of the runtime's waiting on the group until its counter
    /// is zero (the group's waiters cannot be withdrawn); dumps show it in <c>sync.WaitGroup.Wait</c>.
    /// </remarks>
    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            return WaitAsync();
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        // The helper does not check for reuse: once its caller gave up, the group may be reused
        // before the helper's wait returns, and that is no misuse of the caller's.
        return Count == 0 ? default : CancelableAcquire.RunAsync(() => WaitCoreAsync(checkReuse: false), giveBack: null, cancellationToken);
    }

    /// <summary>
    /// Parks the goroutine until the counter is zero (Go's <c>wg.Wait</c>); completes at once if
    /// it already is. Allocates nothing when it completes at once; a park uses a pooled waiter.
    /// </summary>
    /// <exception cref="InvalidOperationException">The group was reused (<see cref="Add"/> raised the counter from zero) before this wait returned (Go's panic "sync: WaitGroup is reused before previous Wait has returned", an <see cref="IRuntimeError"/>).</exception>
    public ValueTask WaitAsync() => WaitCoreAsync(checkReuse: true);

    private ValueTask WaitCoreAsync(bool checkReuse)
    {
        if (SafePoint.ShouldYield)
        {
            return WaitAfterYieldAsync(checkReuse);
        }

        if (!TryCountWaiter())
        {
            return default;
        }

        ValueTask parked = RuntimeSemaphore.Ensure(ref _semaphore).AcquireAsync(WaitReason.SyncWaitGroupWait);
        return checkReuse ? ThenCheckReuseAsync(parked) : parked;
    }

    /// <summary>
    /// Blocks the calling thread until the counter is zero; on a goroutine's thread the wait is a
    /// blocking region, so its processor is handed to another thread meanwhile. Prefer
    /// <see cref="WaitAsync()"/> inside goroutines.
    /// </summary>
    /// <exception cref="InvalidOperationException">The group was reused before this wait returned (Go's panic "sync: WaitGroup is reused before previous Wait has returned").</exception>
    public void Wait()
    {
        Bubble.ThrowIfBlockingInBubble();
        if (TryCountWaiter())
        {
            RuntimeSemaphore.Ensure(ref _semaphore).Acquire();
            ThrowIfReused();
        }
    }

    /// <summary>
    /// Starts <paramref name="function"/> in a new goroutine counted by this group: adds one now
    /// and calls <see cref="Done"/> when it returns, even if it panicked (Go 1.25's <c>wg.Go</c>).
    /// </summary>
    /// <param name="function">The goroutine's body.</param>
    /// <param name="member">The spawning member; filled in by the compiler.</param>
    /// <param name="file">The spawning file; filled in by the compiler.</param>
    /// <param name="line">The spawning line; filled in by the compiler.</param>
    /// <exception cref="ArgumentNullException"><paramref name="function"/> is null.</exception>
    public void Go(Func<Task> function, [CallerMemberName] string member = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(function);
        Add(1);
        SpawnCounted(
            async () =>
            {
                try
                {
                    await function().ConfigureAwait(true);
                }
                finally
                {
                    Done();
                }
            },
            member,
            file,
            line);
    }

    /// <summary>Starts the synchronous <paramref name="function"/> in a new goroutine counted by this group.</summary>
    /// <inheritdoc cref="Go(Func{Task}, string, string, int)"/>
    public void Go(Action function, [CallerMemberName] string member = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(function);
        Add(1);
        SpawnCounted(
            () =>
            {
                try
                {
                    function();
                }
                finally
                {
                    Done();
                }
            },
            member,
            file,
            line);
    }

    // Spawns a goroutine already counted by Add(1); if it cannot be spawned, the count is undone.
    private void SpawnCounted(Delegate entry, string member, string file, int line)
    {
        try
        {
            Scheduler.Instance.Spawn(entry, member, file, line);
        }
        catch
        {
            Done();
            throw;
        }
    }

    // Counts the caller as a waiter unless the counter is zero; true if it must acquire.
    private bool TryCountWaiter()
    {
        while (true)
        {
            long state = Volatile.Read(ref _state);
            if ((int)(state >> 32) == 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _state, state + 1, state) == state)
            {
                return true;
            }
        }
    }

    private async ValueTask WaitAfterYieldAsync(bool checkReuse)
    {
        await Goroutines.Go.YieldAsync();
        await WaitCoreAsync(checkReuse).ConfigureAwait(true);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ThenCheckReuseAsync(ValueTask parked)
    {
        await parked.ConfigureAwait(true);
        ThrowIfReused();
    }

    // As Go's Wait after its wake-up: the Add that released the waiters reset the word to zero,
    // so anything else means the group was reused before this wait returned.
    private void ThrowIfReused()
    {
        if (Volatile.Read(ref _state) != 0)
        {
            throw new RuntimePanicException("sync: WaitGroup is reused before previous Wait has returned");
        }
    }
}
