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
// - Post and Detach exclude each other (the goroutine object's monitor), so no post
//   lands in a dead goroutine. The monitor, not a lock object of our own: one context
//   is made per spawn, and a thin lock in the goroutine's header costs no allocation.
internal sealed class GoroutineSynchronizationContext : SynchronizationContext
{
    // Written by Detach under the goroutine's monitor; read under it by Post, racily elsewhere.
    private Goroutine? _goroutine;

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
        if (Volatile.Read(ref _goroutine) is { } goroutine)
        {
            lock (goroutine)
            {
                if (_goroutine == goroutine)
                {
                    goroutine.Enqueue(item);
                    return;
                }
            }
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
        Goroutine? goroutine = _goroutine;
        if (goroutine is not null)
        {
            lock (goroutine)
            {
                _goroutine = null;
            }
        }
    }
}
