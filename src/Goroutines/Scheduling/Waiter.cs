// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace Goroutines.Scheduling;

// Waiter: the runtime's park/ready primitive, Go's gopark/goready and the core of
// its sudog. Channels, locks and timers build on it (subclasses add the value being
// handed over and the links of their wait queues).
//
// A Waiter is a pooled IValueTaskSource. ParkAsync hands out a ValueTask over it;
// Ready completes it. When the awaiter is a goroutine (the await captured a
// goroutine's context), completion enqueues the Waiter itself on that goroutine as
// its next work item, so a park/ready cycle allocates nothing: no closure, no
// posted callback, no Task. Awaiters that are not goroutines (a plain thread, code
// under ConfigureAwait(false)) get the usual behaviour: their captured context, or
// the thread pool. A Waiter is never cancelable: a cancelled, pooled waiter could be
// completed by a late Ready after it was reused; cancellation is a separate case of
// the operation that owns the Waiter (a select case, a context's Done channel).
//
// Protocol (the continuation field decides, as in ManualResetValueTaskSourceCore):
//   OnCompleted: store the continuation with a CAS from null; if Ready already put
//                the completed sentinel there, resume at once.
//   Ready:       CAS the sentinel in from null; if a continuation was there, resume it.
//   GetResult:   the awaiter's last touch: bump the version and reset for reuse.
//
// Invariants:
// - Exactly one ParkAsync/await/GetResult per rental (versions catch misuse).
// - A Waiter is in at most one pool or wait queue at a time.
internal class Waiter : IValueTaskSource, IGoroutineWorkItem
{
    private static readonly Action<object?> s_completed = static _ => Debug.Fail("completed sentinel invoked");
    private static readonly ContextCallback s_invokeContinuation = static s => ((Waiter)s!).InvokeContinuation();

    // Bounded pool shared by all threads, plus one cached per thread (sizes picked without data).
    private const int PoolCapacity = 1024;
    private static readonly Waiter?[] s_pool = new Waiter?[PoolCapacity];
    private static int s_poolCount;
    private static readonly Lock s_poolLock = new();

    [ThreadStatic]
    private static Waiter? t_cached;

    private Action<object?>? _continuation;
    private object? _continuationState;
    private Goroutine? _goroutine;
    private long _goroutineId;
    private object? _capturedContext;
    private ExecutionContext? _executionContext;
    private WaitReason _reason;
    private short _version;

    /// <summary>Takes a waiter from the pool, or a new one.</summary>
    public static Waiter Rent()
    {
        Waiter? waiter = t_cached;
        if (waiter is not null)
        {
            t_cached = null;
            return waiter;
        }

        if (Volatile.Read(ref s_poolCount) > 0)
        {
            lock (s_poolLock)
            {
                if (s_poolCount > 0)
                {
                    waiter = s_pool[--s_poolCount];
                    s_pool[s_poolCount] = null;
                    return waiter!;
                }
            }
        }

        return new Waiter();
    }

    /// <summary>Returns a waiter whose await has completed (after GetResult) to the pool.</summary>
    public static void Return(Waiter waiter)
    {
        if (t_cached is null)
        {
            t_cached = waiter;
            return;
        }

        lock (s_poolLock)
        {
            if (s_poolCount < PoolCapacity)
            {
                s_pool[s_poolCount++] = waiter;
            }
        }
    }

    /// <summary>The goroutine parked on this waiter, once its await registered.</summary>
    public Goroutine? Goroutine => _goroutine;

    /// <summary>Returns an awaitable that completes when <see cref="Ready"/> is called.</summary>
    /// <remarks>Go: gopark.</remarks>
    public ValueTask ParkAsync(WaitReason reason)
    {
        _reason = reason;
        return new ValueTask(this, _version);
    }

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

    /// <inheritdoc/>
    public ValueTaskSourceStatus GetStatus(short token)
    {
        CheckToken(token);
        return Volatile.Read(ref _continuation) == s_completed ? ValueTaskSourceStatus.Succeeded : ValueTaskSourceStatus.Pending;
    }

    /// <inheritdoc/>
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        CheckToken(token);
        _continuationState = state;
        if ((flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0)
        {
            SynchronizationContext? context = SynchronizationContext.Current;
            if (context is GoroutineSynchronizationContext { Goroutine: { } g } goroutineContext)
            {
                _goroutine = g;
                _goroutineId = goroutineContext.GoroutineId;
                g.NoteParking(_reason);
            }
            else if (context is not null && context.GetType() != typeof(SynchronizationContext))
            {
                _capturedContext = context;
            }
            else if (TaskScheduler.Current != TaskScheduler.Default)
            {
                _capturedContext = TaskScheduler.Current;
            }
        }

        if (_goroutine is null && (flags & ValueTaskSourceOnCompletedFlags.FlowExecutionContext) != 0)
        {
            _executionContext = ExecutionContext.Capture();
        }

        Action<object?>? previous = Interlocked.CompareExchange(ref _continuation, continuation, null);
        if (previous is not null)
        {
            Debug.Assert(previous == s_completed, "a waiter was awaited twice");
            _continuation = continuation;
            Resume();
        }
    }

    /// <inheritdoc/>
    public void GetResult(short token)
    {
        CheckToken(token);
        Reset();
    }

    /// <summary>Runs the continuation on the goroutine that parked (its machine calls this).</summary>
    public void Execute() => InvokeContinuation();

    private void Resume()
    {
        if (_goroutine is { } g)
        {
            // Only into the incarnation that parked: a flow that outlived its goroutine runs as an orphan.
            if (!g.TryPost(_goroutineId, this))
            {
                Scheduler.Instance.RunOrphan(this, _goroutineId);
            }

            return;
        }

        Action<object?> continuation = _continuation!;
        object? state = _continuationState;
        switch (_capturedContext)
        {
            case SynchronizationContext context:
                context.Post(static s => ((Waiter)s!).RunOffRuntime(), this);
                return;
            case TaskScheduler scheduler:
                _ = Task.Factory.StartNew(static s => ((Waiter)s!).RunOffRuntime(), this, CancellationToken.None, TaskCreationOptions.DenyChildAttach, scheduler);
                return;
        }

        if (_executionContext is null)
        {
            ThreadPool.UnsafeQueueUserWorkItem(continuation, state, preferLocal: false);
        }
        else
        {
            ThreadPool.QueueUserWorkItem(static s => ((Waiter)s!).RunOffRuntime(), this, preferLocal: false);
        }
    }

    private void RunOffRuntime()
    {
        if (_executionContext is { } executionContext)
        {
            ExecutionContext.Run(executionContext, s_invokeContinuation, this);
        }
        else
        {
            InvokeContinuation();
        }
    }

    private void InvokeContinuation() => _continuation!(_continuationState);

    private void CheckToken(short token)
    {
        if (token != _version)
        {
            throw new InvalidOperationException("The awaitable of a parked operation was used after it completed: await each one exactly once.");
        }
    }

    private void Reset()
    {
        _version++;
        _continuation = null;
        _continuationState = null;
        _goroutine = null;
        _goroutineId = 0;
        _capturedContext = null;
        _executionContext = null;
        _reason = WaitReason.None;
    }
}
