// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace Goroutines.Scheduling;

// Waiter: the runtime's park/ready primitive, Go's gopark/goready and the core of
// its sudog. Subclasses add the awaitable surface (SignalWaiter: no value;
// ChannelWaiter<T>: the value being handed over and the links of a channel's wait
// queue); this base owns the continuation protocol and where the resumed code runs.
//
// A waiter is pooled (WaiterPool) and awaited through a ValueTask over it. When the
// awaiter is a goroutine (the await captured a goroutine's context), Ready enqueues
// the waiter itself on that goroutine as its next work item, so a park/ready cycle
// allocates nothing: no closure, no posted callback, no Task. Awaiters that are not
// goroutines (a plain thread, code under ConfigureAwait(false)) get the usual
// behaviour: their captured context, or the thread pool. A synchronous caller blocks
// its thread on a per-thread event instead (BlockUntilReady).
//
// A waiter is never cancelable: a cancelled, pooled waiter could be completed by a
// late Ready after it was reused; cancellation is a separate case of the operation
// that owns the waiter (a select case, a context's Done channel).
//
// Protocol (the continuation field decides, as in ManualResetValueTaskSourceCore):
//   OnCompleted: store the continuation with a CAS from null; if Ready already put
//                the completed sentinel there, replace it by a CAS and resume at once.
//                A continuation already there is a second await of one rental:
//                InvalidOperationException, checked before anything is written when
//                the first await registered earlier (the usual misuse), and by the
//                CASes when both register at the same moment.
//   Ready:       CAS the sentinel in from null; if a continuation was there, resume it.
//   GetResult:   the awaiter's last touch: bump the version, reset, return to the pool.
//                Before the operation completed (read synchronously, never awaited nor
//                readied), InvalidOperationException, with nothing reset: the waiter is still
//                queued where it parked, and pooled it would be handed out twice.
//
// Invariants:
// - Exactly one park/await/GetResult per rental (versions catch misuse).
// - A waiter is in at most one pool or wait queue at a time.
internal abstract class Waiter : IGoroutineWorkItem
{
    private static readonly Action<object?> s_completed = static _ => Debug.Fail("completed sentinel invoked");
    private static readonly Action<object?> s_setEvent = static s =>
    {
        Scheduler.Instance.NoteBlockedThreadWoken(); // until it runs: see Scheduler.Loop's yield
        ((ManualResetEventSlim)s!).Set();
    };
    private static readonly ContextCallback s_runReadied = static s => ((Waiter)s!).RunReadied();
    private static readonly Action<Waiter> s_runOffRuntime = static w => w.RunOffRuntime();

    [ThreadStatic]
    private static ManualResetEventSlim? t_blockingEvent;

    // Fields are few and small: a parked goroutine holds one waiter, and W2 counts its bytes.
    private Action<object?>? _continuation;
    private object? _continuationState;

    // Where the continuation runs: the parked Goroutine; or, for an awaiter outside the runtime,
    // its SynchronizationContext or TaskScheduler, the ExecutionContext to flow onto the thread
    // pool, or a ContextAndFlow holding both (allocated on that rare path only); null for the
    // thread pool without flow. One field, not three: a parked goroutine holds a waiter, and W2
    // counts its bytes.
    private object? _resumeTarget;
    private WaitReason _reason;
    private bool _resumeInline;

    // The operation waits on a channel outside the parking goroutine's bubble (set when it was
    // queued); told to the bubble only if the await registers, that is if the goroutine parks.
    private bool _waitsOutsideBubble;
    private short _version;

    /// <summary>The goroutine parked on this waiter, once its await registered.</summary>
    public Goroutine? Goroutine => _resumeTarget as Goroutine;

    /// <summary>The state the awaiter's continuation is invoked with (an async method's box), once its await registered.</summary>
    protected object? ContinuationState => _continuationState;

    /// <summary>The token of the current rental, for the ValueTask handed out over this waiter.</summary>
    protected short Version => _version;

    /// <summary>Completes the park: the awaiting goroutine becomes runnable. Any thread, once per park.</summary>
    /// <remarks>Go: goready.</remarks>
    public void Ready()
    {
        Action<object?>? continuation = Volatile.Read(ref _continuation)
            ?? Interlocked.CompareExchange(ref _continuation, s_completed, null);
        if (continuation is null)
        {
            return; // the await has not registered yet; OnCompleted will resume at once
        }

        Debug.Assert(continuation != s_completed, "a waiter was readied twice");
        Resume();
    }

    /// <summary>
    /// Blocks the calling thread until <see cref="Ready"/> (the synchronous forms of channel
    /// operations). On a goroutine's thread it enters a blocking region, so its processor is
    /// handed to another thread meanwhile. Call GetResult afterwards.
    /// </summary>
    public void BlockUntilReady()
    {
        Action<object?>? registered = Volatile.Read(ref _continuation);
        if (registered == s_completed)
        {
            return;
        }

        if (registered is not null)
        {
            throw AwaitedTwice(); // before _resumeInline changes how the first awaiter resumes
        }

        ManualResetEventSlim readied = t_blockingEvent ??= new ManualResetEventSlim();
        readied.Reset();
        _resumeInline = true;
        OnCompletedCore(s_setEvent, readied, _version, ValueTaskSourceOnCompletedFlags.None);
        using BlockingRegion region = BlockingRegion.Enter();
        readied.Wait();
        Scheduler.Instance.NoteBlockedThreadRunning();
    }

    /// <summary>Runs the continuation on the goroutine that parked (its machine calls this).</summary>
    public void Execute() => RunReadied();

    /// <summary>Marks this operation as waiting outside the bubble of the goroutine that queued it (ChannelCore.NoteParking).</summary>
    public void MarkWaitingOutsideBubble() => _waitsOutsideBubble = true;

    /// <summary>Records why the coming await parks; called when handing out the awaitable.</summary>
    protected void SetWaitReason(WaitReason reason) => _reason = reason;

    /// <summary>IValueTaskSource.GetStatus for every awaitable surface of a subclass.</summary>
    protected ValueTaskSourceStatus GetStatusCore(short token)
    {
        CheckToken(token);
        return Volatile.Read(ref _continuation) == s_completed ? ValueTaskSourceStatus.Succeeded : ValueTaskSourceStatus.Pending;
    }

    /// <summary>IValueTaskSource.OnCompleted for every awaitable surface of a subclass.</summary>
    protected void OnCompletedCore(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        CheckToken(token);
        Action<object?>? registered = Volatile.Read(ref _continuation);
        if (registered is not null && registered != s_completed)
        {
            throw AwaitedTwice(); // before touching the first awaiter's state
        }

        _continuationState = state;
        object? target = null;
        if ((flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0)
        {
            SynchronizationContext? context = SynchronizationContext.Current;
            if (context is Goroutine g)
            {
                target = g;
                g.NoteParking(_reason, state);
                if (_waitsOutsideBubble)
                {
                    Bubble.NoteParkOutside(g);
                }
            }
            else if (context is not null && context.GetType() != typeof(SynchronizationContext))
            {
                target = context;
            }
            else if (TaskScheduler.Current != TaskScheduler.Default)
            {
                target = TaskScheduler.Current;
            }
        }

        if (target is not Scheduling.Goroutine && !_resumeInline && (flags & ValueTaskSourceOnCompletedFlags.FlowExecutionContext) != 0
            && ExecutionContext.Capture() is { } flow)
        {
            target = target is null ? flow : new ContextAndFlow(target, flow);
        }

        _resumeTarget = target; // before the CAS below publishes the continuation to Ready

        Action<object?>? previous = Interlocked.CompareExchange(ref _continuation, continuation, null);
        if (previous is null)
        {
            return;
        }

        // Readied before the await registered: resume at once, unless another await of the same
        // awaitable got here first (a CAS, so that only one of two can).
        if (previous != s_completed || Interlocked.CompareExchange(ref _continuation, continuation, s_completed) != s_completed)
        {
            throw AwaitedTwice();
        }

        Resume();
    }

    // As ManualResetValueTaskSourceCore, in every build: a second await of one pending operation
    // would take the first one's result or resume it with the wrong continuation.
    private static InvalidOperationException AwaitedTwice() =>
        new("The awaitable of a parked operation is awaited twice at once: a ValueTask may be awaited only once. Await it in one place (use AsTask() to share it).");

    /// <summary>The start of every GetResult: checks the token and resets for the next rental.</summary>
    protected void EndPark(short token)
    {
        CheckToken(token);
        if (Volatile.Read(ref _continuation) is null)
        {
            // Neither awaited nor readied: the waiter is still queued where it parked.
            throw new InvalidOperationException("The result of a parked operation was read before it completed: await the ValueTask instead.");
        }

        _version++;
        _continuation = null;
        _continuationState = null;
        _resumeTarget = null;
        _reason = WaitReason.None;
        _resumeInline = false;
        _waitsOutsideBubble = false;
    }

    private void Resume()
    {
        if (_resumeTarget is Goroutine g)
        {
            g.Enqueue(this); // a goroutine that exited meanwhile runs it as an orphan
            return;
        }

        if (_resumeInline)
        {
            InvokeContinuation(); // a blocked thread's event: setting it is all there is to run
            return;
        }

        switch (_resumeTarget is ContextAndFlow both ? both.Target : _resumeTarget)
        {
            case SynchronizationContext context:
                context.Post(static s => ((Waiter)s!).RunOffRuntime(), this);
                return;
            case TaskScheduler scheduler:
                _ = Task.Factory.StartNew(static s => ((Waiter)s!).RunOffRuntime(), this, CancellationToken.None, TaskCreationOptions.DenyChildAttach, scheduler);
                return;
            case ExecutionContext:
                ThreadPool.QueueUserWorkItem(static s => ((Waiter)s!).RunOffRuntime(), this, preferLocal: false);
                return;
            default:
                ThreadPool.UnsafeQueueUserWorkItem(s_runOffRuntime, this, preferLocal: false);
                return;
        }
    }

    private void RunOffRuntime()
    {
        ExecutionContext? flow = _resumeTarget switch
        {
            ExecutionContext alone => alone,
            ContextAndFlow both => both.Flow,
            _ => null,
        };
        if (flow is not null)
        {
            ExecutionContext.Run(flow, s_runReadied, this);
        }
        else
        {
            RunReadied();
        }
    }

    // An awaiter outside the runtime with both a scheduling context and an execution context to flow.
    private sealed record ContextAndFlow(object Target, ExecutionContext Flow);

    /// <summary>
    /// What a readied waiter does where its awaiter resumes (on the parked goroutine, or on the
    /// awaiter's context off the runtime): run the continuation. A subclass may first finish its
    /// operation there (NetSocket's reads retry their system call on the goroutine, and may park
    /// again instead of continuing).
    /// </summary>
    protected virtual void RunReadied() => InvokeContinuation();

    /// <summary>Runs the awaiter's continuation, on the calling thread.</summary>
    protected void InvokeContinuation() => _continuation!(_continuationState);

    /// <summary>Throws when <paramref name="token"/> is not the current rental's: an awaitable used after it completed.</summary>
    protected void CheckToken(short token)
    {
        if (token != _version)
        {
            throw new InvalidOperationException("The awaitable of a parked operation was used after it completed: await each one exactly once.");
        }
    }
}
