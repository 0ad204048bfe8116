// Licensed under the MIT License.

using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace Goroutines.Scheduling;

// Goroutine: Go's G. A stackless goroutine is an async function plus this object,
// which the scheduler owns; its "stack" is the chain of suspended async frames on
// the heap, and its safe points are its awaits.
//
// A goroutine is one sequential flow. Work reaches it from three places: its entry
// function (the first step), the runtime readying it (a parked await's
// continuation) and foreign completions posted to it as the synchronization context
// of its steps (an await of any .NET task captures the goroutine and posts back to
// it; the runtime's own netpoller readies its waiters instead, Scheduler.NetPoll.cs).
// All three go through Enqueue, and a machine runs one work item per step, so
// nothing of one goroutine ever runs beside anything else of it.
//
// A Goroutine object is used once, never recycled: it is its own synchronization
// context, and a context captured by a flow that outlived the goroutine (an
// un-awaited task started inside it) must never post into another goroutine. Work
// that arrives after the exit runs as an orphan goroutine created by the exited one
// (a decision of ours: Go has no async flows that outlive their goroutine). Go
// recycles its g objects for their stacks; a stackless goroutine has no stack to
// keep, and W1 measured no gain from recycling, while a recycled object needed a
// separate context object and an incarnation check on every ready.
//
// The scheduled state (0 parked, 1 queued or running, 2 exited) decides who puts
// the goroutine on a run queue:
//   Enqueue (any thread):
//     1. CAS scheduled 0 -> 1. Won: store the item in the `next` slot and ready the
//        goroutine (the run queue's release/acquire publishes the slot).
//     2. Lost (queued, running or exited): add the item to the posted queue, then,
//        if scheduled has meanwhile dropped to 0, CAS it 0 -> 1 and ready; if it is
//        2, run the queue's leftovers as orphans.
//   End of a step (its machine):
//     3. Exchange scheduled 1 -> 0 (a full fence), then, if the posted queue is not
//        empty, CAS 0 -> 1 and run on. Step 2 and step 3 are a Dekker pair: either
//        the poster sees 0 or the machine sees the post, so no wake-up is lost.
//   Exit (its machine):
//     4. Exchange scheduled 1 -> 2 (a full fence), then run whatever is queued as
//        orphans. With step 2 another Dekker pair: either the poster sees 2 or Exit
//        sees the post. Nothing moves scheduled out of 2, so no late post wins it.
// Only the holder of the scheduled flag writes `next` (the winner of 0 -> 1, or the
// machine ending a step that posted to its own goroutine: Post keeps such a callback
// in the machine and FinishStep makes it `next` when nothing else is queued, so a
// nested async method's completion needs no posted queue; behind queued work it joins
// the queue, first in, first out; a second self-post or a yield in the same step moves
// the held one into the queue first, so the step's own work runs in the order posted),
// and the machine empties it before releasing the flag, so `next` needs no atomics.
//
// Rejected: a lock per goroutine (two lock round trips per park/ready); an
// intrusive MPSC queue of pooled waiters (its consumed node stays as the stub, so a
// pooled waiter could not be reused at once).
//
// Invariants:
// - At most one machine runs a goroutine's work at a time (scheduled flag).
// - _next is non-null only between a winning Enqueue (or a step's self-post) and the
//   step that runs it, or, before the first step, holding the spawner's execution context.
// - A dead goroutine has no queued work: leftovers run as orphan goroutines.
[DebuggerDisplay("goroutine {Id} [{Status}]")]
internal sealed class Goroutine : SynchronizationContext
{
    // States of _scheduled.
    private const int Parked = 0;
    private const int Scheduled = 1;
    private const int Exited = 2;

    private static readonly Action s_wake = static () => { };
    private static readonly ContextCallback s_start = static state => ((Goroutine)state!).Start();

    // Machines parked in a blocking region's slow exit, by goroutine (see LockedMachine): a side
    // table, as this is rare and a field would cost every goroutine 8 bytes (W2).
    private static readonly ConditionalWeakTable<Goroutine, Machine> s_lockedMachines = [];

    // The events Go.Main waits on, signalled when its main goroutine exits: a side table, as
    // only a handful of goroutines ever have one (a field would cost every goroutine 8 bytes).
    private static readonly ConditionalWeakTable<Goroutine, MainExit> s_exitSignals = [];

    // ---- identity and diagnostics: written at spawn by the spawning thread, read by dumps ----

    /// <summary>Goroutine id, unique for the process, never reused (Go's goid).</summary>
    public long Id;

    /// <summary>Id of the goroutine that spawned this one; 0 when spawned from outside the runtime.</summary>
    public long ParentId;

    /// <summary>Member, file and line of the spawning call (Go's gopc, as source text).</summary>
    public readonly SpawnSite CreatedAt;

    /// <summary>Member of the spawning call.</summary>
    public string? CreatedByMember => CreatedAt.Member;

    /// <summary>File of the spawning call.</summary>
    public string? CreatedByFile => CreatedAt.File;

    /// <summary>Line of the spawning call.</summary>
    public int CreatedByLine => CreatedAt.Line;

    /// <summary>Current state; informational, written by the thread making the transition.</summary>
    public GoroutineStatus Status;

    /// <summary>Why it waits, while <see cref="Status"/> is Waiting.</summary>
    public WaitReason WaitReason;

    /// <summary>
    /// When it began waiting, in whole seconds of <see cref="Environment.TickCount64"/>: dumps show a
    /// wait only past a minute (as Go), and the coarse clock costs a fraction of a precise one on
    /// every park. An int, not a long: a parked goroutine's bytes count (W2).
    /// </summary>
    public int WaitSinceSeconds;

    /// <summary>The registry shard it is listed in: the id of the processor its first step ran on (GoroutineList.cs).</summary>
    public ushort RegistryShard;

    /// <summary>Its slot in that shard, for life, from its first step (-1 before); its exit clears it.</summary>
    public int RegistrySlot = -1;

    // ---- scheduling ----

    // Set by sysmon after 10 ms without a scheduling tick; honoured at the next safe point. Cleared when it yields.
    private volatile bool _preemptRequested;


    // The entry (a delegate, or a GoroutineEntry with its arguments) until the first step, then
    // the root task (null if it completed at once); the exception that ended the goroutine if it
    // panicked. One field for three phases (W2).
    private object? _body;

    // Parked (0), Scheduled: queued or running (1), or Exited (2); see the header.
    private int _scheduled;

    // The next work item: an Action or an IGoroutineWorkItem. Written by the winner of scheduled 0 -> 1.
    // Until the first step, which no Enqueue can win (the spawner queues the goroutine), the
    // spawner's execution context, or null: the entry runs in it, as Task.Run's delegate does, so
    // AsyncLocal values (logging scopes, Activity.Current) flow into the goroutine. One field for
    // both (a parked goroutine's bytes count, W2).
    private object? _next;

    // Work that arrived while the goroutine was queued or running. Allocated on first use.
    private ConcurrentQueue<object>? _posted;

    // Set during a step by the goroutine's own code; consumed by its machine at the end of the step.
    private WaitReason _parkReason;

    // The root flow itself parked on a runtime waiter, last of the flows that parked in this step
    // (NoteParking; in the first step the machine keeps the flow instead). Own thread, consumed by FinishStep.
    private bool _rootParked;

    // Eight flags in one byte (a parked goroutine's bytes count, W2: the object has no byte to
    // spare). Written only by the thread that runs or handles the goroutine's step, one at a time,
    // so plain read-modify-writes do.
    private Flags _flags;

    /// <summary>
    /// Set while a machine is parked in a blocking region's slow exit waiting for a processor:
    /// whoever schedules this goroutine hands its processor to that machine instead (Go: lockedm).
    /// Set before the goroutine is queued and cleared after that machine got a processor, so the
    /// run queue's ordering publishes it.
    /// </summary>
    public Machine? LockedMachine
    {
        get => Has(Flags.Locked) && s_lockedMachines.TryGetValue(this, out Machine? machine) ? machine : null;
        set
        {
            if (value is null)
            {
                Set(Flags.Locked, false);
                s_lockedMachines.Remove(this);
            }
            else
            {
                s_lockedMachines.AddOrUpdate(this, value);
                Set(Flags.Locked, true);
            }
        }
    }

    /// <summary>Whether sysmon asked this goroutine to yield at its next safe point (Go: gp.preempt).</summary>
    public bool PreemptRequested => _preemptRequested;

    /// <summary>The goroutine running on the current thread, or null outside the runtime.</summary>
    public static Goroutine? Running => Machine.Current?.RunningGoroutine;

    /// <summary>The exception that ended this goroutine, if it panicked.</summary>
    public Exception? PanicException => _body as Exception;

    /// <summary>The entry function while the goroutine has not started, else null. Any thread; racy (dumps).</summary>
    public Delegate? Entry => Has(Flags.Started) ? null : _body as Delegate ?? (_body as GoroutineEntry)?.Function;

    /// <summary>
    /// The task of the entry function while it is suspended (the outermost frame of the goroutine's
    /// async stack), else null. Any thread; racy (dumps).
    /// </summary>
    public Task? RootTask => _body as Task;

    /// <summary>
    /// Creates a goroutine about to be queued by its spawner, to start in <paramref name="executionContext"/>
    /// (null: a clean context). Spawning thread only.
    /// </summary>
    public Goroutine(long id, object entry, long parentId, string? member, string? file, int line, MainExit? exitSignal, ExecutionContext? executionContext)
    {
        Id = id;
        _body = entry;
        ParentId = parentId;
        CreatedAt = SpawnSite.Of(member, file, line);
        Status = GoroutineStatus.Runnable;
        if (exitSignal is not null)
        {
            s_exitSignals.Add(this, exitSignal);
            _flags = Flags.SignalsExit;
        }

        _next = executionContext;
        _scheduled = Scheduled; // it is about to be queued by its spawner
    }

    /// <summary>Whether the goroutine belongs to a bubble (see Bubble.cs). Any thread, once it was queued.</summary>
    public bool InBubble => Has(Flags.InBubble);

    /// <summary>
    /// Whether the goroutine belongs to a bubble while any bubble lives: the test of the hot paths,
    /// where a static read first spares every other goroutine a read of its own flags (W2's wakes).
    /// </summary>
    public bool InLiveBubble => Bubble.AnyLive && Has(Flags.InBubble);

    /// <summary>Marks the goroutine a member of a bubble. The spawning thread, before it is queued.</summary>
    public void MarkInBubble() => Set(Flags.InBubble, true);

    /// <summary>Whether work posted to the goroutine waits in its queue. Any thread; racy.</summary>
    public bool HasPostedWork => _posted is { IsEmpty: false };

    /// <summary>Whether the goroutine has exited. Any thread; racy.</summary>
    public bool HasExited => Volatile.Read(ref _scheduled) == Exited;

    /// <summary>
    /// Hands <paramref name="item"/> (an <see cref="Action"/> or <see cref="IGoroutineWorkItem"/>)
    /// to the goroutine and makes it runnable if it was parked. Any thread.
    /// </summary>
    /// <remarks>Go: goready.</remarks>
    public void Enqueue(object item)
    {
        BubbleMember? member = InLiveBubble ? Bubble.MemberOf(this) : null;
        member?.Bubble.NoteWorkArriving();
        if (Interlocked.CompareExchange(ref _scheduled, Scheduled, Parked) == Parked)
        {
            _next = item;
            MakeReady(member);
            return;
        }

        ConcurrentQueue<object> posted = _posted ?? CreatePostedQueue();
        posted.Enqueue(item); // a full fence: pairs with the Exchange in FinishStep, and with Exit's
        member?.Bubble.CountAsActive(member); // a park counted a moment ago is not one: the work is here (Bubble.NotePark's pair)
        if (Volatile.Read(ref _scheduled) == Parked && Interlocked.CompareExchange(ref _scheduled, Scheduled, Parked) == Parked)
        {
            MakeReady(member);
        }
        else if (Volatile.Read(ref _scheduled) == Exited)
        {
            RunLeftoversAsOrphans();
        }
    }

    // The winner of scheduled 0 -> 1 queues the goroutine: its bubble decides for a member of one.
    private void MakeReady(BubbleMember? member)
    {
        if (member is not null)
        {
            member.Bubble.Ready(member);
        }
        else
        {
            Scheduler.Instance.Ready(this);
        }
    }

    /// <inheritdoc/>
    /// <remarks>A foreign completion (a .NET task's continuation, <c>Task.Yield</c>) coming back.</remarks>
    public override void Post(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (Machine.Current is { } machine && machine.RunningGoroutine == this)
        {
            if (machine.SelfPost is null)
            {
                // Posted by this goroutine's own step (an async method of it completed and posts its
                // caller's continuation, or Task.Yield): it runs in a later step, as any post, but
                // reaches the goroutine at the end of this one (FinishStep), without the posted queue.
                machine.SelfPost = new PostedCallback(d, state);
                return;
            }

            // A second one in the same step: both go to the posted queue, in the order posted.
            PostedQueueAfterHeldSelfPost(machine).Enqueue(new PostedCallback(d, state));
            return;
        }

        Enqueue(new PostedCallback(d, state));
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Runs <paramref name="d"/> at once when called by this goroutine; otherwise posts it and
    /// blocks the caller (in a blocking region, if the caller is another goroutine) until it ran.
    /// </remarks>
    public override void Send(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (Running == this)
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

    private ConcurrentQueue<object> CreatePostedQueue()
    {
        Interlocked.CompareExchange(ref _posted, new ConcurrentQueue<object>(), null);
        return _posted;
    }

    /// <summary>
    /// Records that the awaiting code is about to park with <paramref name="reason"/>; the
    /// machine applies it when the step ends. The goroutine's own code only.
    /// </summary>
    /// <remarks>Go: gopark's reason.</remarks>
    /// <param name="reason">Why it parks (dumps, the deadlock and leak detectors).</param>
    /// <param name="flow">
    /// The continuation state of the flow that parks on a runtime waiter (for an async method, its
    /// state machine box, which is its task), or null when it parks on something else: the step's
    /// end compares it with the root task to see whether the root can only resume in a step of
    /// this goroutine (see WatchRootTask).
    /// </param>
    public void NoteParking(WaitReason reason, object? flow)
    {
        _parkReason = reason;
        if (flow is null)
        {
            return;
        }

        if (_body is Task)
        {
            _rootParked = flow == _body; // the last park of the step decides
        }
        else if (Machine.Current is { } machine && machine.RunningGoroutine == this)
        {
            machine.ParkedFlow = flow; // the first step: the body has not returned its task yet
        }
    }

    /// <summary>
    /// The reason the current step noted for the park it is about to make (None if it noted none).
    /// Its machine only, between <see cref="RunStep"/> and <see cref="FinishStep"/>.
    /// </summary>
    public WaitReason PendingParkReason => _parkReason;

    /// <summary>
    /// Makes <paramref name="continuation"/> the next work item (after any this step posted to the
    /// goroutine before it) and asks the machine to requeue the goroutine when this step ends: at
    /// the tail of its processor's ring, or of the global queue if sysmon had asked it to yield.
    /// The goroutine's own code only.
    /// </summary>
    /// <param name="continuation">What runs when the goroutine's turn comes again.</param>
    /// <param name="machine">The machine running this goroutine's step (the caller's).</param>
    /// <remarks>Go: gosched_m, and gopreempt_m at safe points.</remarks>
    public void YieldWith(Action continuation, Machine machine)
    {
        if (Has(Flags.YieldRequested) || machine.SelfPost is not null || _posted is { IsEmpty: false })
        {
            // Behind what this step posted to its own goroutine before it, or behind a second flow
            // that yielded in the same step (Task.WhenAll over two methods that each yield): first
            // in, first out, through the posted queue.
            PostedQueueAfterHeldSelfPost(machine).Enqueue(continuation);
        }
        else
        {
            _next = continuation;
        }

        Set(Flags.YieldRequested, true);
    }

    // The posted queue, with the callback the machine holds for this goroutine's step (Post)
    // moved into it first, so that what the step posts or yields after it runs after it. A post
    // from another thread during the step may still pass a held one: posts carry no time.
    // The machine running this goroutine's step only.
    private ConcurrentQueue<object> PostedQueueAfterHeldSelfPost(Machine machine)
    {
        ConcurrentQueue<object> posted = _posted ?? CreatePostedQueue();
        if (machine.SelfPost is { } held)
        {
            machine.SelfPost = null;
            posted.Enqueue(held);
        }

        return posted;
    }

    /// <summary>Runs one work item of the goroutine. Its machine only, with the goroutine's context current.</summary>
    public void RunStep()
    {
        object? item = _next;
        _next = null;
        try
        {
            if (!Has(Flags.Started))
            {
                // ExecutionContext.Run also puts the machine's own context back afterwards, so
                // synchronous code that sets an AsyncLocal does not leak it into later goroutines.
                if (((ExecutionContext?)item ?? Machine.CleanContext) is { } executionContext)
                {
                    ExecutionContext.Run(executionContext, s_start, this);
                }
                else
                {
                    Start();
                }
            }
            else
            {
                if (item is null)
                {
                    _posted?.TryDequeue(out item);
                }

                if (item is Action action)
                {
                    action();
                }
                else
                {
                    ((IGoroutineWorkItem?)item)?.Execute();
                }
            }
        }
#pragma warning disable CA1031 // Every exception that escapes a goroutine is a panic, reported by the scheduler.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _body = ex;
        }
    }

    private void Start()
    {
        Set(Flags.Started, true);
        object entry = _body!;
        _body = null;
        Task? root = null;
        switch (entry)
        {
            case GoroutineEntry call:
                root = call.Start();
                if (root is null)
                {
                    return;
                }

                break;
            case Action action:
                action();
                return;
            case Func<Task> taskEntry:
                root = taskEntry() ?? throw new InvalidOperationException("A goroutine's function returned a null Task.");
                break;
            case Func<ValueTask> valueTaskEntry:
                ValueTask valueTask = valueTaskEntry();
                if (valueTask.IsCompletedSuccessfully)
                {
                    return;
                }

                root = valueTask.AsTask();
                break;
        }

        if (root!.IsCompleted)
        {
            root.GetAwaiter().GetResult(); // throws, as a panic, if it failed
            return;
        }

        // Suspended: the end of the step that completes it shows the end (FinishStep). A root that
        // could complete off the goroutine gets a continuation when its step parks (WatchRootTask).
        _body = root;
    }

    // A step ends with the root flow not parked on one of the runtime's own waiters (it awaits a
    // .NET task, one awaited with ConfigureAwait(false), or a helper async method's task; or
    // another flow of the goroutine parked in this step): the root's continuation may run off the
    // goroutine, and the root task complete there, in no step of the goroutine that would notice.
    // So the root gets a continuation that posts a no-op to the goroutine, whose step then sees
    // the end, once: a continuation registered at the first step would cost every parked goroutine
    // an object (48 bytes, W2), while a root parked on a runtime waiter resumes in a step of its
    // own. Which flow parked is told by the flow's continuation state (NoteParking: an async
    // method's box, which is its task), not by the park's reason: a goroutine runs any number
    // of flows (un-awaited async calls), and one of them parking on a channel says nothing of
    // where the root is. Returns false when the root completed meanwhile (then the goroutine exits).
    // Registered with the goroutine's context current (Scheduler.Execute): a completion on the
    // goroutine runs the no-op inline; one elsewhere posts it here.
    private bool WatchRootTask(Task root)
    {
        Set(Flags.RootWatched, true);
        root.GetAwaiter().UnsafeOnCompleted(s_wake);
        return !root.IsCompleted;
    }

    /// <summary>What a machine does with a goroutine after one step.</summary>
    public enum StepOutcome
    {
        /// <summary>The goroutine returned or panicked: free it.</summary>
        Exited,

        /// <summary>The goroutine yielded (Gosched): queue it behind the others.</summary>
        Yielded,

        /// <summary>More work arrived during the step: queue it locally.</summary>
        MoreWork,

        /// <summary>Parked: whoever enqueues work next makes it runnable.</summary>
        Parked,

        /// <summary>The goroutine yielded because sysmon asked (it hogged its processor): queue it globally.</summary>
        Preempted,
    }

    /// <summary>
    /// At the end of a step: whether it ended inside a blocking region (an await inside one),
    /// which the machine then ends: the goroutine leaves the Syscall state, which the region's
    /// late Dispose checks. Its machine only.
    /// </summary>
    public bool EndRegionLeftOpen()
    {
        if (Status != GoroutineStatus.Syscall)
        {
            return false;
        }

        Status = GoroutineStatus.Running;
        return true;
    }

    /// <summary>
    /// Decides what happens after a step (protocol steps 3 in the header), given the callback the
    /// step posted to its own goroutine, if any (it becomes the next work item). Its machine only.
    /// </summary>
    /// <param name="selfPost">The callback the step posted to its own goroutine, or null.</param>
    /// <param name="parkedFlow">The continuation state of the last flow that parked on a runtime waiter in the goroutine's first step (NoteParking), or null.</param>
    public StepOutcome FinishStep(object? selfPost, object? parkedFlow)
    {
        bool rootParked = _rootParked || (parkedFlow is not null && parkedFlow == _body);
        _rootParked = false;
        if (selfPost is not null)
        {
            if (_next is null && _posted is not { IsEmpty: false })
            {
                _next = selfPost; // the machine still holds the scheduled flag: _next is its to write
            }
            else
            {
                // Behind a yield's continuation or earlier posts: first in, first out, so a
                // goroutine that keeps posting to itself cannot starve what others posted to it.
                (_posted ?? CreatePostedQueue()).Enqueue(selfPost);
            }
        }

        if (_body is Exception || (Has(Flags.Started) && _body is not Task { IsCompleted: false }))
        {
            if (_body is Task { IsCompletedSuccessfully: false } root)
            {
                _body = root.Exception?.InnerException ?? new TaskCanceledException(root);
            }

            if (_body is GoexitException)
            {
                // Go.Goexit unwound the goroutine, its finally blocks run: an exit, not a panic.
                _body = null;
                Set(Flags.Goexited, true);
            }

            return StepOutcome.Exited;
        }

        if (Has(Flags.YieldRequested))
        {
            Set(Flags.YieldRequested, false);
            _parkReason = WaitReason.None; // noted by another flow of the step: the goroutine is runnable, not parked
            bool preempted = _preemptRequested;
            ClearPreemptRequest();
            Status = GoroutineStatus.Runnable;
            return preempted ? StepOutcome.Preempted : StepOutcome.Yielded;
        }

        if (_next is not null || (selfPost is not null && _posted is { IsEmpty: false }))
        {
            _parkReason = WaitReason.None;
            Status = GoroutineStatus.Runnable;
            return StepOutcome.MoreWork; // a callback it posted to itself: it runs in a later step
        }

        if (!rootParked && !Has(Flags.RootWatched) && _body is Task suspended && !WatchRootTask(suspended))
        {
            return FinishStep(selfPost: null, parkedFlow: null); // completed while the continuation was added: the exit above
        }

        Status = GoroutineStatus.Waiting;
        WaitReason = _parkReason == WaitReason.None ? WaitReason.ForeignAwait : _parkReason;
        WaitSinceSeconds = (int)(Environment.TickCount64 / 1000);
        _parkReason = WaitReason.None;
        BubbleMember? member = InLiveBubble ? Bubble.MemberOf(this) : null;
        member?.Bubble.NotePark(member, WaitReason); // before the flag drops: no ready is counted before its park
        Interlocked.Exchange(ref _scheduled, Parked); // full fence: pairs with the CAS in Enqueue
        if (_posted is { IsEmpty: false } && Interlocked.CompareExchange(ref _scheduled, Scheduled, Parked) == Parked)
        {
            member?.Bubble.CountAsActive(member);
            Status = GoroutineStatus.Runnable;
            WaitReason = WaitReason.None;
            return StepOutcome.MoreWork;
        }

        return StepOutcome.Parked;
    }

    /// <summary>
    /// Marks the goroutine dead, drops what it held and hands any leftover work to orphan
    /// goroutines. Its machine only, after <see cref="StepOutcome.Exited"/>.
    /// </summary>
    /// <remarks>Go: goexit0.</remarks>
    public void Exit()
    {
        Status = GoroutineStatus.Dead;
        _body = _body as Exception; // the panic, if any, stays for the report; the task goes
        ClearPreemptRequest();
        if (Has(Flags.SignalsExit) && s_exitSignals.TryGetValue(this, out MainExit? exitSignal))
        {
            s_exitSignals.Remove(this);
            exitSignal.Signal(byGoexit: Has(Flags.Goexited));
        }

        // A flow that yielded in the step in which the goroutine returned outlives it.
        object? next = _next;
        _next = null;
        Set(Flags.YieldRequested, false);
        Interlocked.Exchange(ref _scheduled, Exited); // full fence: pairs with the re-check in Enqueue
        if (next is not null)
        {
            Scheduler.Instance.RunOrphan(next, Id);
        }

        RunLeftoversAsOrphans();
    }

    /// <summary>
    /// Ends the goroutine without running it again: its pending work, and any that reaches it
    /// later, is dropped (an explored bubble's goroutine that never gets its turn). The holder of
    /// the scheduled flag, with no machine running it.
    /// </summary>
    public void Abandon()
    {
        Set(Flags.Abandoned, true);
        _next = null;
        Set(Flags.YieldRequested, false);
        _posted?.Clear();
        Exit();
    }

    private void RunLeftoversAsOrphans()
    {
        if (Has(Flags.Abandoned))
        {
            _posted?.Clear();
            return;
        }

        if (_posted is { } posted)
        {
            while (posted.TryDequeue(out object? orphan))
            {
                Scheduler.Instance.RunOrphan(orphan, Id);
            }
        }
    }

    /// <summary>Asks the goroutine to yield at its next safe point. Sysmon only.</summary>
    /// <remarks>Go: preemptone.</remarks>
    public void RequestPreempt()
    {
        if (!_preemptRequested)
        {
            // Count first, then flag: safe points read the count first, so a request is never
            // flagged but uncounted (a sysmon descheduled in between would delay the yield).
            SafePoint.NotePreemptRequested();
            _preemptRequested = true;
        }
    }

    private void ClearPreemptRequest()
    {
        if (_preemptRequested)
        {
            _preemptRequested = false;
            SafePoint.NotePreemptCleared();
        }
    }

    /// <summary>Marks the goroutine as running on a machine. Its machine only.</summary>
    public void MarkRunning()
    {
        Status = GoroutineStatus.Running;
        WaitReason = WaitReason.None;
    }

    private bool Has(Flags flag) => (_flags & flag) != 0;

    private void Set(Flags flag, bool value) => _flags = value ? _flags | flag : _flags & ~flag;

    [Flags]
    private enum Flags : byte
    {
        // The first step ran: the entry function has been called.
        Started = 1,

        // YieldWith was called during the current step.
        YieldRequested = 2,

        // s_lockedMachines holds this goroutine; read on every scheduling of it.
        Locked = 4,

        // s_exitSignals holds this goroutine (the main goroutine of Go.Main); set at creation.
        SignalsExit = 8,

        // The root task carries a continuation that brings its completion back to the goroutine (WatchRootTask).
        RootWatched = 16,

        // It ended by Go.Goexit: no panic, and a main goroutine's program goes on.
        Goexited = 32,

        // It belongs to a bubble (Bubble.MemberOf finds its record); set before it is first queued.
        InBubble = 64,

        // Ended without running again (Abandon): work that reaches it later is dropped, not run as orphans.
        Abandoned = 128,
    }
}
