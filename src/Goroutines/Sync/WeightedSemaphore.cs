// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Contexts;
using Goroutines.Scheduling;

namespace Goroutines.Sync;

// WeightedSemaphore: Go's golang.org/x/sync/semaphore.Weighted. A size, the weight
// held now, and a FIFO of waiters with the weight each asks for, under one lock.
// Granting (Go's notifyWaiters) serves waiters in order while the one at the head
// fits: a large request at the head is not overtaken by smaller ones behind it (no
// barging), so it cannot starve. TryAcquire, likewise, fails while anyone waits.
//
// A waiter is granted by the grant itself: its weight is added to _held and it is
// removed from the queue, under the lock; then it is woken, outside the lock. The
// plain form parks on a pooled SignalWaiter. The context form cannot: a pooled waiter
// is never cancelable (Waiter.cs), so it parks in a select between a channel of its
// own, closed by the grant, and ctx.Done (as Go's Acquire selects on ready and done).
//
// Protocol of the context form (Go's Acquire, as of x/sync 0.8):
//   1. Under the lock: if ctx is done, fail, even if the weight is free (a done
//      context happened before the call). Else take the weight if it fits and nobody
//      waits. Else a weight larger than Size can never be granted: do not queue it
//      (it would hold up everyone behind it); wait for ctx to be done and fail.
//      Else queue a waiter with a new channel.
//   2. Select on the channel and ctx.Done.
//   3. Done won: under the lock, if the waiter was granted meanwhile (it is no longer
//      queued), give the weight back and grant whoever fits now; else withdraw it,
//      and if it was at the head and weight is free, grant whoever fits now (it may
//      have been holding up smaller requests). Fail.
//   4. The channel won: if ctx is done by now, release the weight and fail (Go
//      prefers to fail whenever the context ended first); else acquired.
// Failure throws the context's exception (Context.ThrowIfDone's), and leaves the
// semaphore as it was.
//
// Invariants:
// - 0 <= _held <= Size, under _lock.
// - A waiter is granted (its weight added to _held, its node removed) before it is
//   woken, under _lock; a node is removed only by its grant or by its own withdrawal.

/// <summary>
/// Go's weighted semaphore (<c>golang.org/x/sync/semaphore</c>): bounds access to a resource of
/// a given size, each acquisition taking some weight of it. Parks goroutines, never threads;
/// waiters are served first in, first out, and a waiter is never overtaken by a smaller request.
/// </summary>
/// <remarks>
/// A <see cref="Release"/> happens-before the acquisitions it lets through return. Go's
/// <c>Acquire(ctx, n)</c> is <see cref="AcquireAsync(Context, long)"/>; without a context,
/// <see cref="AcquireAsync(long)"/> waits for as long as it takes.
/// </remarks>
public sealed class WeightedSemaphore
{
    private readonly Lock _lock = new();
    private readonly LinkedList<QueuedWaiter> _waiters = new();
    private long _held;

    /// <summary>Creates a semaphore of total weight <paramref name="size"/> (Go's <c>semaphore.NewWeighted</c>).</summary>
    /// <param name="size">The total weight that may be held at once.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is negative.</exception>
    public WeightedSemaphore(long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        Size = size;
    }

    // Step 1 of the context form, as an outcome.
    private enum Admission
    {
        Acquired,
        ContextDone,
        NeverFits,
        Queued,
    }

    /// <summary>The total weight that may be held at once.</summary>
    public long Size { get; }

    /// <summary>
    /// Acquires <paramref name="weight"/>, parking the goroutine until that much is free and every
    /// earlier waiter was served (Go's <c>s.Acquire</c> with a context that never ends).
    /// </summary>
    /// <param name="weight">The weight to acquire, from 0 to <see cref="Size"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="weight"/> is negative or larger than <see cref="Size"/> (it could never be acquired).</exception>
    public ValueTask AcquireAsync(long weight)
    {
        SignalWaiter? waiter = TryAcquireOrQueue(weight);
        return waiter is null ? default : waiter.ParkAsync(WaitReason.SyncSemaphoreAcquire);
    }

    /// <summary>
    /// Acquires <paramref name="weight"/>, blocking the calling thread until it is granted (in a
    /// blocking region on a goroutine's thread). Prefer <see cref="AcquireAsync(long)"/> in goroutines.
    /// </summary>
    /// <inheritdoc cref="AcquireAsync(long)" path="/param"/>
    /// <inheritdoc cref="AcquireAsync(long)" path="/exception"/>
    public void Acquire(long weight)
    {
        Bubble.ThrowIfBlockingInBubble();
        TryAcquireOrQueue(weight)?.Block();
    }

    /// <summary>
    /// Acquires <paramref name="weight"/> as <see cref="AcquireAsync(long)"/> does, unless
    /// <paramref name="cancellationToken"/> is canceled first: then nothing is held and the
    /// waiters behind this one move up, as Go's context form leaves them.
    /// </summary>
    /// <param name="weight">The weight to acquire, from 0 to <see cref="Size"/>; a larger one waits for the token only.</param>
    /// <param name="cancellationToken">Cancels the wait; a token that cannot be canceled costs nothing.</param>
    /// <returns>An awaitable that completes when the weight is held.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="weight"/> is negative, or larger than <see cref="Size"/> with a token that cannot be canceled.</exception>
    /// <exception cref="OperationCanceledException">The token was canceled before the weight was acquired.</exception>
    public ValueTask AcquireAsync(long weight, CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            return AcquireAsync(weight);
        }

        ArgumentOutOfRangeException.ThrowIfNegative(weight);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        return TryAcquire(weight) ? default : AcquireCancelableAsync(weight, cancellationToken);
    }

    /// <summary>
    /// Acquires <paramref name="weight"/>, parking the goroutine until it is granted or
    /// <paramref name="context"/> is done, whichever comes first (Go's <c>s.Acquire(ctx, n)</c>).
    /// On failure the semaphore is left as it was.
    /// </summary>
    /// <param name="context">Ends the wait when done.</param>
    /// <param name="weight">The weight to acquire.</param>
    /// <remarks>
    /// As in Go: a context that is done already fails the call even if the weight is free; a
    /// waiter granted just as its context ends gives the weight back and fails; a waiter withdrawn
    /// from the head of the queue lets the waiters behind it that now fit through. A weight larger
    /// than <see cref="Size"/> can never be granted: it waits for the context to end, without
    /// holding up other acquisitions, then fails (with a context that never ends, it waits forever,
    /// as in Go). The wait is a select, which a goroutine dump shows as <c>select</c>.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="context"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="weight"/> is negative.</exception>
    /// <exception cref="ContextCanceledException">
    /// <paramref name="context"/> was done before the weight was acquired: the exception of
    /// <see cref="Context.ThrowIfDone"/> (a <see cref="DeadlineExceededException"/> if its deadline passed).
    /// </exception>
    public ValueTask AcquireAsync(Context context, long weight)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfNegative(weight);
        ReceiveOnlyChan<ValueTuple> done = context.Done;
        if (done.IsNil && weight <= Size)
        {
            return AcquireAsync(weight); // nothing can end the wait: the plain form
        }

        return Admit(done, weight, out LinkedListNode<QueuedWaiter>? node) switch
        {
            Admission.Acquired => default,
            Admission.ContextDone => ValueTask.FromException(context.CreateDoneException()),
            Admission.NeverFits => WaitForDoneAsync(context, done),
            _ => AwaitGrantOrDoneAsync(context, done, node!),
        };
    }

    /// <summary>
    /// Acquires <paramref name="weight"/>, blocking the calling thread until it is granted or
    /// <paramref name="context"/> is done (in a blocking region on a goroutine's thread). Prefer
    /// <see cref="AcquireAsync(Context, long)"/> in goroutines.
    /// </summary>
    /// <inheritdoc cref="AcquireAsync(Context, long)" path="/param"/>
    /// <inheritdoc cref="AcquireAsync(Context, long)" path="/remarks"/>
    /// <inheritdoc cref="AcquireAsync(Context, long)" path="/exception"/>
    public void Acquire(Context context, long weight)
    {
        Bubble.ThrowIfBlockingInBubble();
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfNegative(weight);
        ReceiveOnlyChan<ValueTuple> done = context.Done;
        if (done.IsNil && weight <= Size)
        {
            Acquire(weight);
            return;
        }

        switch (Admit(done, weight, out LinkedListNode<QueuedWaiter>? node))
        {
            case Admission.Acquired:
                return;
            case Admission.ContextDone:
                throw context.CreateDoneException();
            case Admission.NeverFits:
                done.Receive();
                throw context.CreateDoneException();
            default:
                int chosen = new Select().Receive(node!.Value.Ready).Receive(done).Wait();
                CompleteWait(context, done, node, contextWon: chosen == 1);
                return;
        }
    }

    /// <summary>Acquires <paramref name="weight"/> if it is free and nobody waits (Go's <c>s.TryAcquire</c>).</summary>
    /// <param name="weight">The weight to acquire.</param>
    /// <returns>True if acquired.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="weight"/> is negative.</exception>
    public bool TryAcquire(long weight)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(weight);
        lock (_lock)
        {
            if (Size - _held < weight || _waiters.Count != 0)
            {
                return false;
            }

            _held += weight;
            return true;
        }
    }

    /// <summary>Releases <paramref name="weight"/> and grants waiters that now fit, in order (Go's <c>s.Release</c>).</summary>
    /// <param name="weight">The weight to release.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="weight"/> is negative.</exception>
    /// <exception cref="SynchronizationLockException">More is released than is held (Go's panic "semaphore: released more than held").</exception>
    public void Release(long weight)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(weight);
        List<QueuedWaiter>? granted = null;
        lock (_lock)
        {
            if (weight > _held)
            {
                throw new SynchronizationLockException("semaphore: released more than held");
            }

            _held -= weight;
            GrantLocked(ref granted);
        }

        Wake(granted);
    }

    private static void Wake(List<QueuedWaiter>? granted)
    {
        if (granted is null)
        {
            return; // the common release: nobody to wake
        }

        foreach (QueuedWaiter waiter in granted)
        {
            if (waiter.Signal is { } signal)
            {
                signal.Ready();
            }
            else
            {
                waiter.Ready.Close();
            }
        }
    }

    // Whether done is closed: a receive from it completes only then (nothing is sent on it).
    private static bool IsDone(ReceiveOnlyChan<ValueTuple> done) => done.TryReceive(out _, out _);

    private static async ValueTask WaitForDoneAsync(Context context, ReceiveOnlyChan<ValueTuple> done)
    {
        await done.ReceiveAsync().ConfigureAwait(true);
        throw context.CreateDoneException();
    }

    private SignalWaiter? TryAcquireOrQueue(long weight)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(weight);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(weight, Size);
        lock (_lock)
        {
            if (Size - _held >= weight && _waiters.Count == 0)
            {
                _held += weight;
                return null;
            }

            SignalWaiter waiter = SignalWaiter.Rent();
            _waiters.AddLast(new QueuedWaiter(weight, waiter, default));
            return waiter;
        }
    }

    // Step 1 of the context form (see the header).
    private Admission Admit(ReceiveOnlyChan<ValueTuple> done, long weight, out LinkedListNode<QueuedWaiter>? node)
    {
        node = null;
        lock (_lock)
        {
            if (IsDone(done))
            {
                return Admission.ContextDone;
            }

            if (Size - _held >= weight && _waiters.Count == 0)
            {
                _held += weight;
                return Admission.Acquired;
            }

            if (weight > Size)
            {
                return Admission.NeverFits;
            }

            node = _waiters.AddLast(new QueuedWaiter(weight, null, new Chan<ValueTuple>()));
            return Admission.Queued;
        }
    }

    // Step 2 of the context form, parking.
    private async ValueTask AwaitGrantOrDoneAsync(Context context, ReceiveOnlyChan<ValueTuple> done, LinkedListNode<QueuedWaiter> node)
    {
        int chosen = await new Select().Receive(node.Value.Ready).Receive(done).WaitAsync().ConfigureAwait(true);
        CompleteWait(context, done, node, contextWon: chosen == 1);
    }

    // Steps 3 and 4 of the context form: returns if acquired, throws the context's exception if not.
    private void CompleteWait(Context context, ReceiveOnlyChan<ValueTuple> done, LinkedListNode<QueuedWaiter> node, bool contextWon)
    {
        long weight = node.Value.Weight;
        if (!contextWon)
        {
            if (!IsDone(done))
            {
                return;
            }

            Release(weight);
            throw context.CreateDoneException();
        }

        List<QueuedWaiter>? granted = null;
        lock (_lock)
        {
            if (node.List is null)
            {
                // Granted as the context ended: give the weight back.
                _held -= weight;
                GrantLocked(ref granted);
            }
            else
            {
                bool wasFirst = _waiters.First == node;
                _waiters.Remove(node);
                if (wasFirst && Size > _held)
                {
                    GrantLocked(ref granted); // it may have been holding up smaller requests
                }
            }
        }

        Wake(granted);
        throw context.CreateDoneException();
    }

    // Go's notifyWaiters: grants waiters in order while the first one fits. Call with _lock held.
    private void GrantLocked(ref List<QueuedWaiter>? granted)
    {
        while (_waiters.First is { } first && Size - _held >= first.Value.Weight)
        {
            _held += first.Value.Weight;
            _waiters.RemoveFirst();
            (granted ??= []).Add(first.Value);
        }
    }

    // A queued acquisition: the plain form's pooled waiter, or the context form's channel.
    private readonly record struct QueuedWaiter(long Weight, SignalWaiter? Signal, Chan<ValueTuple> Ready);

    // The context form under a context the token cancels: its queue withdrawal is exact.
    private async ValueTask AcquireCancelableAsync(long weight, CancellationToken cancellationToken)
    {
        (Context context, CancelFunc cancel) = Context.WithCancellationToken(Context.Background, cancellationToken);
        try
        {
            await AcquireAsync(context, weight).ConfigureAwait(true);
        }
        catch (ContextCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        finally
        {
            cancel();
        }
    }
}
