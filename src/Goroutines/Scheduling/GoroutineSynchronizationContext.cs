// Licensed under the MIT License.

using System;
using System.Threading;

namespace Goroutines.Scheduling;

// GoroutineSynchronizationContext: how an await of any .NET awaitable comes back to
// the goroutine that awaited it — the netpoller's `injectglist`, for every kind of
// foreign completion.
//
// While a goroutine runs, SynchronizationContext.Current is its own context. An
// await of a .NET task captures it; the completion, on whatever thread, calls Post,
// which queues the callback on the goroutine and makes it runnable. The goroutine
// runs posts one at a time, between its other steps, never beside them.
//
// One context per goroutine incarnation, not per Goroutine object: Goroutine objects
// are reused, and a context captured by a flow that outlived its goroutine (an
// un-awaited task started inside it) must not post into the next goroutine that
// reuses the object. Such a late post runs as a new goroutine, created by the old
// one (a decision of ours: Go has no async flows that outlive their goroutine).
//
// Invariants:
// - _goroutine is non-null from spawn until the goroutine exits, then null forever.
// - No post lands in a dead goroutine. Post counts itself in flight, then reads the
//   goroutine; Detach clears the goroutine, then waits until no post is in flight.
//   Both first write, then read, with full fences between (a Dekker pair): a post
//   that saw the goroutine finishes its Enqueue before Detach returns and the
//   machine drains the leftovers. Rejected: a lock (two interlocked operations on
//   every goroutine's exit, for posts that almost never race with it).
internal sealed class GoroutineSynchronizationContext : SynchronizationContext
{
    // Cleared once by Detach; read by Post (see the invariants).
    private Goroutine? _goroutine;

    // Posts between their increment and decrement (see the invariants).
    private int _postsInFlight;

    private readonly long _goroutineId;

    public GoroutineSynchronizationContext(Goroutine goroutine)
    {
        _goroutine = goroutine;
        _goroutineId = goroutine.Id;
    }

    /// <summary>The goroutine this context belongs to, or null once it has exited.</summary>
    public Goroutine? Goroutine => Volatile.Read(ref _goroutine);

    /// <inheritdoc/>
    public override void Post(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        var item = new PostedCallback(d, state);
        Interlocked.Increment(ref _postsInFlight); // full fence: pairs with the Exchange in Detach
        Goroutine? goroutine = Volatile.Read(ref _goroutine);
        goroutine?.Enqueue(item);
        Interlocked.Decrement(ref _postsInFlight);
        if (goroutine is not null)
        {
            return;
        }

        Scheduler.Instance.RunOrphan(item, _goroutineId);
    }

    /// <inheritdoc/>
    public override void Send(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (Current == this)
        {
            d(state);
            return;
        }

        using var done = new ManualResetEventSlim();
        Exception? error = null;
        Post(
            _ =>
            {
                try
                {
                    d(state);
                }
#pragma warning disable CA1031 // Send must carry any exception back to the caller.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    error = ex;
                }
                finally
                {
                    done.Set();
                }
            },
            null);
        using (BlockingRegion.Enter())
        {
            done.Wait();
        }

        if (error is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        }
    }

    /// <inheritdoc/>
    public override SynchronizationContext CreateCopy() => this;

    /// <summary>Detaches the exited goroutine: later posts run as orphans. Its machine only.</summary>
    public void Detach()
    {
        Interlocked.Exchange(ref _goroutine, null); // full fence: pairs with the Increment in Post
        var spinner = default(SpinWait);
        while (Volatile.Read(ref _postsInFlight) != 0)
        {
            spinner.SpinOnce();
        }
    }
}
