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
// The context is immutable: the goroutine object and the id of its incarnation.
// Whether that incarnation is still alive is asked of the goroutine object
// (Goroutine.TryPost), whose cache line its machine holds anyway; so exiting never
// touches the context, which was written on the spawning thread's core.
//
// Invariants:
// - Immutable after construction.
// - A post reaches the goroutine only while the incarnation it names is alive.
internal sealed class GoroutineSynchronizationContext : SynchronizationContext
{
    private readonly Goroutine _goroutine;
    private readonly long _goroutineId;

    public GoroutineSynchronizationContext(Goroutine goroutine)
    {
        _goroutine = goroutine;
        _goroutineId = goroutine.Id;
    }

    /// <summary>The id of the goroutine incarnation this context belongs to.</summary>
    public long GoroutineId => _goroutineId;

    /// <summary>The goroutine this context belongs to, or null once that incarnation has exited.</summary>
    public Goroutine? Goroutine => _goroutine.IsIncarnation(_goroutineId) ? _goroutine : null;

    /// <inheritdoc/>
    public override void Post(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        var item = new PostedCallback(d, state);
        if (!_goroutine.TryPost(_goroutineId, item))
        {
            Scheduler.Instance.RunOrphan(item, _goroutineId);
        }
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
}
