// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

using Goroutines.Channels;

namespace Goroutines.Contexts;

// CancelContext: a context that can be canceled (Go's cancelCtx), and the protocol
// that every cancelable kind shares: propagation from parent to children (Go's
// propagateCancel, removeChild) and the cancel itself. TimerContext, AfterFuncContext
// and TokenContext add their own state (a timer, a function, a registration) and an
// OnDone hook that cleans it up.
//
// State, under _lock: err (null until done) and cause; the Done channel and the token
// source, both created on first use; the children that descendants registered.
//
// Protocol:
//   Attach (right after construction, before the context is handed out): if the
//     parent has a Canceler, lock it; if it is done, cancel the new child at once with
//     the parent's err and cause (after unlocking); else add the child to its set. A
//     new child and a cancel of its parent thus serialize on the parent's lock: the
//     child is in the set the cancel takes, or it sees err set.
//   Cancel(err, cause):
//     1. Mark, under the lock: if err is set, it was done before (cancel is
//        idempotent). Set cause, then err; close Done (or install the shared closed
//        channel if nobody asked for it yet), then flag it closed; read the children,
//        whose set no longer changes (a later Attach sees err, RemoveChild skips).
//     2. Mark every descendant as in 1, with an explicit stack: a deep chain must not
//        overflow a plain thread's stack (Go recurses, on its growable stacks). A
//        descendant done before is walked too while its set is still there: another
//        cancel may be marking its subtree right now, and when this cancel returns the
//        whole subtree must be done (Go's guarantee; Go gets it by holding each parent's
//        lock while it cancels the children, which we must not: see Rejected).
//     3. Drop the sets of the contexts this cancel marked: their subtrees are done, and a
//        walk that finds a set gone knows it (so a done tree is not walked again). A
//        context canceled for itself (its cancel function, its timer, its token) leaves
//        its parent's set only now, as in Go: until its subtree is done, a cancel of the
//        parent must find it there, to walk it.
//     4. Then, node by node from the top, for the contexts this cancel marked: the
//        kind's OnDone hook (stop the timer, unregister from the token, start the
//        AfterFunc goroutine) and the cancel of the token source, which runs user
//        callbacks. By then the whole subtree is done and no lock is held. Exceptions
//        from callbacks are gathered and thrown at the end as one AggregateException,
//        as CancellationTokenSource.Cancel does.
//   No two contexts' locks are ever held at once: a parent's is released before any
//   child's is taken. (Closing Done takes the channel's lock inside the context's;
//   channels never take a context's lock.)
//
// Rejected: canceling the children while holding the parent's lock, as Go does. Go's
// cancel runs no user code; here a token's callbacks do, and they must not run under
// a lock that creating a child (Attach) takes.
//
// Invariants:
// - _err is set at most once; _cause is set before it and never changes afterwards.
// - Done is closed after _err is written and before _doneClosed is (Error relies on both).
// - Once _err is set, _children only goes to null (step 3) and _tokenSource never changes.
// - A child leaves its parent's set once its subtree is done (canceled for itself), or with
//   the whole set once the parent's is (the parent canceled).

/// <summary>
/// A context with its own cancellation (Go's <c>cancelCtx</c>): what <see cref="Context.WithCancel"/>
/// and <see cref="Context.WithCancelCause"/> return, and the base of the other cancelable kinds.
/// </summary>
[DebuggerDisplay("{ToString(),nq} (err = {Error?.Message})")]
internal class CancelContext : Context
{
    // What Done returns once canceled if nobody asked for it before (Go's closedchan).
    private static readonly ChannelCore<ValueTuple> s_closedDone = CreateClosedChannel();

    private readonly Lock _lock = new();

    // Written under _lock with Volatile.Write, read lock-free with Volatile.Read first (pairs).
    private ChannelCore<ValueTuple>? _done;

    // Written under _lock with Volatile.Write, read lock-free with Volatile.Read first (pairs).
    private CancellationTokenSource? _tokenSource;

    // Under _lock; null until a child registers, and null again for good once done.
    private HashSet<CancelContext>? _children;

    // Written under _lock before _err; read after a Volatile.Read of _err saw it set.
    private Exception? _cause;

    // Written once under _lock with Volatile.Write; read with Volatile.Read (pairs).
    private ContextCanceledException? _err;

    // Set under _lock with Volatile.Write once Done is closed; read by Error (pairs).
    private bool _doneClosed;

    internal CancelContext(Context parent)
        : base(parent)
    {
        Canceler = this;
        DeadlineSource = parent.DeadlineSource;
    }

    /// <summary>
    /// Why the context is done, or null (Go's <c>c.err</c>). Lock-free except in the instant
    /// between a cancel's write of err and its close of Done: err is written first, so a receiver
    /// woken by Done sees it set; a reader that sees err before the close waits for the cancel to
    /// release the lock, so Err is never seen set while Done is open (Go's guarantee, kept there by
    /// its lock).
    /// </summary>
    internal ContextCanceledException? Error
    {
        get
        {
            ContextCanceledException? err = Volatile.Read(ref _err);
            if (err is null || Volatile.Read(ref _doneClosed))
            {
                return err;
            }

            lock (_lock)
            {
                return _err; // the cancel closed Done before it released the lock
            }
        }
    }

    /// <summary>The cause, once done (Go's <c>c.cause</c>); null before.</summary>
    internal Exception? CauseOrNull => Error is null ? null : _cause;

    /// <summary>The Done channel, created on first use.</summary>
    internal ReceiveOnlyChan<ValueTuple> DoneChannel
    {
        get
        {
            ChannelCore<ValueTuple>? done = Volatile.Read(ref _done);
            if (done is null)
            {
                lock (_lock)
                {
                    done = _done;
                    if (done is null)
                    {
                        // Not done yet: a cancel installs the closed channel under this lock.
                        done = new ChannelCore<ValueTuple>(0);
                        Volatile.Write(ref _done, done);
                    }
                }
            }

            return new Chan<ValueTuple>(done);
        }
    }

    /// <summary>The token, its source created on first use; a canceled token if asked for once done.</summary>
    internal CancellationToken Token
    {
        get
        {
            if (Volatile.Read(ref _tokenSource) is { } source)
            {
                return source.Token;
            }

            lock (_lock)
            {
                if (_tokenSource is { } existing)
                {
                    return existing.Token;
                }

                if (_err is not null)
                {
                    return new CancellationToken(canceled: true);
                }

                var created = new CancellationTokenSource();
                Volatile.Write(ref _tokenSource, created);
                return created.Token;
            }
        }
    }

    /// <summary>Number of children registered now (for tests: canceled children must not stay registered).</summary>
    internal int ChildCount
    {
        get
        {
            lock (_lock)
            {
                return _children?.Count ?? 0;
            }
        }
    }

    /// <summary>The lock that guards the state, for the kinds' own fields (a timer, a registration).</summary>
    private protected Lock SyncRoot => _lock;

    /// <summary>Whether the context is done. Call with <see cref="SyncRoot"/> held.</summary>
    private protected bool IsDoneLocked
    {
        get
        {
            Debug.Assert(_lock.IsHeldByCurrentThread, "IsDoneLocked without the lock");
            return _err is not null;
        }
    }

    /// <summary>Creates a context canceled with its parent and by its cancel function (Go's <c>withCancel</c>).</summary>
    internal static CancelContext Start(Context parent)
    {
        var context = new CancelContext(parent);
        context.Attach();
        return context;
    }

    /// <summary>
    /// Registers with the parent's canceler, or cancels at once if the parent is done (Go's
    /// <c>propagateCancel</c>). Call once, right after construction.
    /// </summary>
    internal void Attach()
    {
        if (Parent!.Canceler is not { } parent)
        {
            return; // the parent is never canceled
        }

        if (!parent.TryAddChild(this, out ContextCanceledException? err, out Exception? cause))
        {
            Cancel(removeFromParent: false, err, cause);
        }
    }

    /// <summary>
    /// Cancels this context and every descendant with <paramref name="err"/> and
    /// <paramref name="cause"/> (null: the cause is <paramref name="err"/>); nothing if already done.
    /// </summary>
    /// <remarks>Go: cancelCtx.cancel.</remarks>
    /// <exception cref="AggregateException">Callbacks registered on the tokens of the canceled contexts threw.</exception>
    internal void Cancel(bool removeFromParent, ContextCanceledException err, Exception? cause)
    {
        cause ??= err;
        bool marked = TryMarkDone(err, cause, out HashSet<CancelContext>? children);
        if (!marked && children is null)
        {
            return; // done before, and its whole subtree too
        }

        List<CancelContext>? descendants = null;
        if (children is not null)
        {
            // Each child is marked with its parent's err and cause, as Go's cancel passes them down.
            descendants = [];
            (ContextCanceledException Err, Exception Cause) mine = marked ? (err, cause) : ReadDone();
            var pending = new Stack<(CancelContext Child, ContextCanceledException Err, Exception Cause)>();
            PushAll(pending, children, mine);
            while (pending.TryPop(out (CancelContext Child, ContextCanceledException Err, Exception Cause) next))
            {
                // A child another cancel marked first may still have its subtree being marked
                // by that cancel: walk it too (marking is idempotent), with the child's own err
                // and cause, so that none of it is left undone when this returns and every
                // context below it carries its reason (Go's guarantee, which Go gets by holding
                // each parent's lock while it cancels the children).
                CancelContext child = next.Child;
                if (child.TryMarkDone(next.Err, next.Cause, out HashSet<CancelContext>? grandchildren))
                {
                    descendants.Add(child);
                    PushAll(pending, grandchildren, (next.Err, next.Cause));
                }
                else if (grandchildren is not null)
                {
                    PushAll(pending, grandchildren, child.ReadDone());
                }
            }
        }

        // Step 3: the subtree is done; the sets can go (a walk that finds one gone knows its subtree done),
        // and so can this context from its parent's set, which a cancel of the parent walks meanwhile.
        if (marked)
        {
            Volatile.Write(ref _children, null);
            if (removeFromParent)
            {
                Parent!.Canceler?.RemoveChild(this);
            }
        }

        if (descendants is not null)
        {
            foreach (CancelContext descendant in descendants)
            {
                Volatile.Write(ref descendant._children, null);
            }
        }

        // The hooks of the contexts this cancel marked, and only those: a context marked by another
        // cancel gets its hooks from that one, which may still be running them when this returns
        // (Go's cancel runs no hooks of its own; the done state is what it guarantees).
        List<Exception>? failures = null;
        if (marked)
        {
            AfterDone(ref failures);
        }

        if (descendants is not null)
        {
            foreach (CancelContext descendant in descendants)
            {
                descendant.AfterDone(ref failures);
            }
        }

        if (failures is not null)
        {
            throw new AggregateException(failures);
        }
    }

    private static void PushAll(
        Stack<(CancelContext Child, ContextCanceledException Err, Exception Cause)> pending,
        HashSet<CancelContext>? children,
        (ContextCanceledException Err, Exception Cause) reason)
    {
        if (children is null)
        {
            return;
        }

        foreach (CancelContext child in children)
        {
            pending.Push((child, reason.Err, reason.Cause));
        }
    }

    // The err and cause of a context that is done.
    private (ContextCanceledException Err, Exception Cause) ReadDone()
    {
        lock (_lock)
        {
            return (_err!, _cause!);
        }
    }

    /// <summary>The cancel function handed out with the context (Go's <c>func() { c.cancel(true, Canceled, nil) }</c>).</summary>
    internal void CancelByCaller() => Cancel(removeFromParent: true, Canceled, cause: null);

    /// <summary>The cancel-with-cause function handed out by <see cref="Context.WithCancelCause"/>.</summary>
    internal void CancelByCallerWithCause(Exception? cause) => Cancel(removeFromParent: true, Canceled, cause);

    /// <inheritdoc/>
    private protected override string Segment => ".WithCancel";

    /// <summary>
    /// The kind's own clean-up once done (step 4 of the header): no lock held, the whole subtree
    /// already done. Called once.
    /// </summary>
    private protected virtual void OnDone()
    {
    }

    private static ChannelCore<ValueTuple> CreateClosedChannel()
    {
        var channel = new ChannelCore<ValueTuple>(0, owner: null); // shared by every context of the process: no bubble's
        channel.Close();
        return channel;
    }

    // Step 1 of the header. False if already done. Either way, the children to walk: the set,
    // which no longer changes once the context is done, until the walk that marked it ends (step 3).
    private bool TryMarkDone(ContextCanceledException err, Exception cause, out HashSet<CancelContext>? children)
    {
        lock (_lock)
        {
            if (_err is not null)
            {
                children = _children;
                return false;
            }

            _cause = cause;
            Volatile.Write(ref _err, err); // pairs with the Volatile.Read in Error
            if (_done is { } done)
            {
                done.Close();
            }
            else
            {
                Volatile.Write(ref _done, s_closedDone); // pairs with the Volatile.Read in DoneChannel
            }

            Volatile.Write(ref _doneClosed, true); // pairs with the Volatile.Read in Error

            children = _children;
            return true;
        }
    }

    // Step 4 of the header.
    private void AfterDone(ref List<Exception>? failures)
    {
        // One context's failure must not leave the rest of the subtree with live timers,
        // registrations or unstarted AfterFuncs: collect it and go on.
        try
        {
            OnDone();
        }
        catch (Exception hook)
        {
            (failures ??= []).Add(hook);
        }

        try
        {
            Volatile.Read(ref _tokenSource)?.Cancel(); // final once done (invariant 2)
        }
        catch (AggregateException callbacks)
        {
            (failures ??= []).AddRange(callbacks.InnerExceptions);
        }
    }

    // Go's propagateCancel, the parent's side: false with the parent's err and cause if it is done.
    private bool TryAddChild(CancelContext child, out ContextCanceledException err, out Exception cause)
    {
        lock (_lock)
        {
            if (_err is { } done)
            {
                err = done;
                cause = _cause!;
                return false;
            }

            (_children ??= []).Add(child);
            err = null!;
            cause = null!;
            return true;
        }
    }

    // Go's removeChild. A done parent's set is being walked, or gone: it is not changed.
    private void RemoveChild(CancelContext child)
    {
        lock (_lock)
        {
            if (_err is null)
            {
                _children?.Remove(child);
            }
        }
    }
}
