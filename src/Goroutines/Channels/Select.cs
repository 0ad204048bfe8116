// Licensed under the MIT License.

using System;
using System.Diagnostics.CodeAnalysis;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

using Goroutines.Scheduling;

namespace Goroutines.Channels;

// Select: Go's select statement (selectgo), as a reusable object whose cases are
// added fluently each round and whose result is the chosen case's index.
//
// One round (WaitAsync or Wait):
//   1. Order: a uniformly random poll order over the non-nil cases (inside-out
//      Fisher-Yates), and a lock order by channel id (an insertion sort; cases on one
//      channel adjacent, locked once, and shuffled among themselves).
//   2. Lock every case's channel in lock order.
//   3. Poll in poll order; the first case that can complete commits: unlock all,
//      wake its partner, done. A send case on a closed channel throws.
//   4. None can: with a default case, unlock all and choose it.
//   5. Else arm the SelectWaiter, link one waiter per case into its channel's queue
//      in lock order (so two cases on one channel queue in random order, and the
//      partner that arrives picks either with equal chance, as in Go), unlock all
//      and park. The first partner to win the SelectWaiter completes its case and
//      wakes us; we then unlink the other cases' waiters, one channel at a
//      time (Go relocks them all at once; one at a time suffices because the win is
//      already decided and every dequeuer skips lost cases under its own lock).
// With no non-nil case and no default, the round parks forever ("select (no cases)"
// when it has no case at all, as Go's `select {}`).
//
// Rejected: a handler per case (a closure per case per round allocates; an index
// switch does not); a fresh case list per round (allocates). Cases keep their
// SelectCaseWaiter<T> slot across rounds, so a select in a loop allocates nothing once
// each slot has met its element type.
//
// Invariants:
// - One round at a time, of one flow: the flow that adds the first case (a CAS from Idle)
//   owns the round until it ends; cases or rounds from another flow meanwhile are refused.
// - Between rounds, no waiter of this select is linked in any channel queue.
//
// Credits: Go's runtime/select.go (the orders, the shared park, the win flag).

/// <summary>
/// Go's <c>select</c>: waits until one of several channel operations can proceed, then performs
/// exactly that one. Add the cases each round with <see cref="Receive{T}(Chan{T})"/>,
/// <see cref="Send{T}(Chan{T}, T)"/> and <see cref="Default"/>, then await <see cref="WaitAsync()"/>,
/// which returns the index of the case that ran (cases are numbered from 0 in the order added).
/// </summary>
/// <example>
/// <code>
/// var select = new Select();          // once, outside the loop: rounds reuse it
/// while (true)
/// {
///     switch (await select.Receive(jobs).Receive(quit).WaitAsync())
///     {
///         case 0: Handle(select.Received&lt;Job&gt;()); break;
///         case 1: return;
///     }
/// }
/// </code>
/// </example>
/// <remarks>
/// Among cases that can proceed, one is chosen uniformly at random. A case on a nil channel is
/// never chosen. A select without cases (or with only nil ones) and without default blocks
/// forever. A round allocates nothing once the object has seen its cases' element types. An
/// instance is for one flow at a time, as an enumerator is; use one per goroutine: a round
/// belongs to the goroutine that adds its first case until it ends, and another that adds a case
/// or waits meanwhile gets <see cref="InvalidOperationException"/>. Compute the values to send
/// before adding the cases: a round that an exception interrupts between its cases keeps them,
/// and it stays its flow's.
/// </remarks>
[SuppressMessage("Naming", "CA1716:Identifiers should not match keywords", Justification = "Go's name for the statement; Visual Basic callers can escape it as [Select].")]
public sealed class Select
{
    private const int InitialCases = 4; // most selects have few cases; arrays double as needed

    // States of _state.
    private const int Idle = 0;
    private const int Building = 1;
    private const int InRound = 2;

    private readonly SelectWaiter _waiter;
    private ChannelCore?[] _channels = new ChannelCore?[InitialCases];
    private ChannelWaiter?[] _waiters = new ChannelWaiter?[InitialCases];
    private bool[] _isSend = new bool[InitialCases];
    private long[] _ids = new long[InitialCases];
    private int[] _pollOrder = new int[InitialCases];
    private int[] _lockOrder = new int[InitialCases];
    private int _count;
    private int _live;          // non-nil cases of the current round
    private int _defaultIndex = -1;
    private int _chosen = -1;
    private bool _chosenIsReceive;
    private int _state;         // Idle, Building (cases being added) or InRound (running or waiting); see ClaimForBuilding
    private object? _builder;   // the flow building or running the round: its goroutine, or its thread off the runtime
    private uint _random;
    private Bubble? _seededIn;  // the bubble whose chooser seeded _random (null: seeded from Random.Shared)

    /// <summary>Creates a select with no cases.</summary>
    public Select()
    {
        _waiter = new SelectWaiter(this);
        _seededIn = Bubble.Current;
        _random = NewSeed(_seededIn);
    }

    /// <summary>The index of the case the last round chose, or -1 before the first round.</summary>
    public int Chosen => _chosen;

    /// <summary>
    /// Whether the case the last round chose received a sent value: false when it completed because
    /// its channel is closed and drained (Go's <c>ok</c> in <c>case v, ok := &lt;-ch</c>).
    /// </summary>
    /// <exception cref="InvalidOperationException">The chosen case is not a receive.</exception>
    public bool ReceivedOk => ChosenReceive().Success;

    /// <summary>Adds a case receiving from <paramref name="channel"/> (Go's <c>case v := &lt;-ch:</c>).</summary>
    /// <returns>This select, to add more cases.</returns>
    /// <exception cref="InvalidOperationException">Another goroutine (or thread) is building or running a round of this select.</exception>
    public Select Receive<T>(Chan<T> channel) => AddCase(channel.Core, isSend: false, default(T)!);

    /// <inheritdoc cref="Receive{T}(Chan{T})"/>
    public Select Receive<T>(ReceiveOnlyChan<T> channel) => AddCase(channel.Core, isSend: false, default(T)!);

    /// <summary>Adds a case sending <paramref name="value"/> on <paramref name="channel"/> (Go's <c>case ch &lt;- v:</c>).</summary>
    /// <returns>This select, to add more cases.</returns>
    /// <remarks>If this case is chosen and the channel is closed, the round throws <see cref="ChannelClosedException"/>.</remarks>
    /// <exception cref="InvalidOperationException">Another goroutine (or thread) is building or running a round of this select.</exception>
    public Select Send<T>(Chan<T> channel, T value) => AddCase(channel.Core, isSend: true, value);

    /// <inheritdoc cref="Send{T}(Chan{T}, T)"/>
    public Select Send<T>(SendOnlyChan<T> channel, T value) => AddCase(channel.Core, isSend: true, value);

    /// <summary>Adds the default case: chosen at once when no other case can proceed.</summary>
    /// <returns>This select, to add more cases.</returns>
    /// <exception cref="InvalidOperationException">A default case was already added this round, or another goroutine (or thread) is building or running a round of this select.</exception>
    public Select Default()
    {
        ClaimForBuilding();
        if (_defaultIndex >= 0)
        {
            EndRound(-1); // the round is abandoned: its cases go, and the select is free again
            throw new InvalidOperationException("A select has at most one default case; this round already had one, and its cases were dropped.");
        }

        _defaultIndex = ReserveCase();
        _channels[_defaultIndex] = null;
        return this;
    }

    /// <summary>
    /// Runs the round: performs exactly one case, waiting (parking the goroutine) until one can
    /// proceed unless there is a default case, and clears the cases for the next round.
    /// </summary>
    /// <returns>The index of the case performed.</returns>
    /// <exception cref="ChannelClosedException">The chosen case sends on a closed channel.</exception>
    /// <exception cref="InvalidOperationException">Another goroutine (or thread) is building or running a round of this select.</exception>
    public ValueTask<int> WaitAsync()
    {
        if (Volatile.Read(ref _state) == InRound)
        {
            throw Busy();
        }

        if (SafePoint.ShouldYield)
        {
            return WaitAfterYieldAsync();
        }

        EnterRound();
        if (PollOrPark(out int chosen, out WaitReason foreverReason))
        {
            return new ValueTask<int>(chosen);
        }

        return foreverReason == WaitReason.None ? _waiter.ParkAsync(WaitReason.Select) : NilChannel.ParkForeverAsync<int>(foreverReason);
    }

    /// <summary>
    /// Runs the round as <see cref="WaitAsync()"/> does, unless <paramref name="cancellationToken"/>
    /// is canceled first (Go's extra <c>case &lt;-ctx.Done():</c>): then no case ran, and the round
    /// is over (add the cases again for the next one).
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait; a token that cannot be canceled costs nothing.</param>
    /// <returns>The index of the case performed.</returns>
    /// <exception cref="ChannelClosedException">The chosen case sends on a closed channel.</exception>
    /// <exception cref="InvalidOperationException">Another goroutine (or thread) is building or running a round of this select.</exception>
    /// <exception cref="OperationCanceledException">The token was canceled before a case could proceed; no case ran.</exception>
    public ValueTask<int> WaitAsync(CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            return WaitAsync();
        }

        if (Volatile.Read(ref _state) == InRound)
        {
            throw Busy();
        }

        if (cancellationToken.IsCancellationRequested)
        {
            int state = Volatile.Read(ref _state);
            if (state == Building)
            {
                if (_builder != CurrentFlow())
                {
                    throw Busy();
                }

                EndRound(-1); // the cases added for this round are dropped, as a round that ran would drop them
            }

            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        return WaitCancelableAsync(cancellationToken);
    }

    /// <summary>
    /// Runs the round, blocking the calling thread until a case can proceed (see
    /// <see cref="Chan{T}.Send"/> on blocking a goroutine's thread).
    /// </summary>
    /// <inheritdoc cref="WaitAsync()" path="/returns"/>
    /// <inheritdoc cref="WaitAsync()" path="/exception"/>
    public int Wait()
    {
        Bubble.ThrowIfBlockingInBubble();
        EnterRound();
        if (PollOrPark(out int chosen, out WaitReason foreverReason))
        {
            return chosen;
        }

        if (foreverReason != WaitReason.None)
        {
            NilChannel.BlockForever();
        }

        return _waiter.BlockForResult();
    }

    /// <summary>The value received by the case the last round chose.</summary>
    /// <typeparam name="T">The element type of that case's channel.</typeparam>
    /// <returns>The value, or the default value if the channel was closed (see <see cref="ReceivedOk"/>).</returns>
    /// <exception cref="InvalidOperationException">The chosen case is not a receive, or not on a channel of <typeparamref name="T"/>.</exception>
    public T Received<T>() => ChosenReceive() is ChannelWaiter<T> waiter
        ? waiter.Value
        : throw new InvalidOperationException($"The chosen case {_chosen} does not receive {typeof(T).Name}; read it with the element type of its channel.");

    // Called by the SelectWaiter when a parked round wakes, on the woken flow.
    internal int CompleteAfterWake(int chosen)
    {
        for (int p = 0; p < _live; p++)
        {
            int i = _lockOrder[p];
            ChannelWaiter waiter = _waiters[i]!;
            if (i != chosen)
            {
                ChannelCore channel = _channels[i]!;
                channel.Lock.Enter();
                channel.RemoveLocked(waiter, _isSend[i]);
                channel.Lock.Exit();
            }

            waiter.LeaveSelect();
        }

        bool sendFailed = _isSend[chosen] && !_waiters[chosen]!.Success;
        EndRound(chosen);
        return sendFailed ? throw ChannelPanics.SendOnClosedChannel() : chosen;
    }

    private Select AddCase<T>(ChannelCore<T>? channel, bool isSend, T value)
    {
        channel?.CheckBubbleAccess();
        ClaimForBuilding();
        int i = ReserveCase();
        if (_waiters[i] is not SelectCaseWaiter<T> waiter)
        {
            waiter = new SelectCaseWaiter<T>();
            _waiters[i] = waiter;
        }

        waiter.Value = value;
        waiter.Success = false;
        _channels[i] = channel;
        _isSend[i] = isSend;
        return this;
    }

    private int ReserveCase()
    {
        if (_count == _channels.Length)
        {
            int size = _count * 2;
            Array.Resize(ref _channels, size);
            Array.Resize(ref _waiters, size);
            Array.Resize(ref _isSend, size);
            Array.Resize(ref _ids, size);
            Array.Resize(ref _pollOrder, size);
            Array.Resize(ref _lockOrder, size);
        }

        return _count++;
    }

    // Steps 1-5 of the header. True with the chosen case when the round completed without
    // parking. False when it parked on the SelectWaiter (foreverReason None), or when it must
    // park forever (no non-nil case, no default) with that reason.
    private bool PollOrPark(out int chosen, out WaitReason foreverReason)
    {
        int live = OrderCases();
        foreverReason = WaitReason.None;
        if (live == 0)
        {
            if (_defaultIndex >= 0)
            {
                chosen = EndRound(_defaultIndex);
                return true;
            }

            foreverReason = _count == 0 ? WaitReason.SelectNoCases : WaitReason.Select;
            EndRound(-1);
            chosen = -1;
            return false;
        }

        LockAll(live);
        for (int p = 0; p < live; p++)
        {
            int i = _pollOrder[p];
            ChannelWaiter waiter = _waiters[i]!;
            CaseOutcome outcome = _isSend[i]
                ? _channels[i]!.TrySendLocked(waiter, out ChannelWaiter? partner)
                : _channels[i]!.TryReceiveLocked(waiter, out partner);
            if (outcome == CaseOutcome.WouldBlock)
            {
                continue;
            }

            UnlockAll(live);
            partner?.Wake();
            if (!_isSend[i])
            {
                _channels[i]!.WakeWritabilityWatchers();
            }

            chosen = EndRound(i);
            return _isSend[i] && outcome == CaseOutcome.Closed ? throw ChannelPanics.SendOnClosedChannel() : true;
        }

        if (_defaultIndex >= 0)
        {
            UnlockAll(live);
            chosen = EndRound(_defaultIndex);
            return true;
        }

        _live = live;
        _waiter.Arm();
        for (int p = 0; p < live; p++)
        {
            int i = _lockOrder[p];
            ChannelWaiter waiter = _waiters[i]!;
            waiter.JoinSelect(_waiter, i);
            _channels[i]!.EnqueueLocked(waiter, _isSend[i]);
        }

        UnlockAll(live);
        if (Bubble.AnyLive)
        {
            for (int p = 0; p < live; p++)
            {
                if (_channels[_lockOrder[p]]!.WaitsOutsideCallersBubble)
                {
                    _waiter.MarkWaitingOutsideBubble(); // durable only if every case is on the bubble's channels
                    break;
                }
            }
        }

        for (int p = 0; p < live; p++)
        {
            int i = _lockOrder[p];
            if (!_isSend[i])
            {
                _channels[i]!.WakeWritabilityWatchers(); // a parked receive case makes room for a send
            }
        }
        chosen = -1;
        return false;
    }

    // Fills the poll order (uniformly random) and the lock order (by channel id) with the
    // round's non-nil cases; returns how many there are. Cases on one channel stand adjacent in
    // the lock order, and in random order among themselves (Go gets that by sorting its random
    // pollorder into lockorder): so when the round parks, a partner meets them in random order.
    // The lock order is sorted from the order the cases were added, which is usually already by
    // id, and only a run of cases on one channel is shuffled: sorting the random poll order
    // instead cost a ready four-case round 40% more, in mispredicted branches.
    private int OrderCases()
    {
        if (Bubble.AnyLive && Bubble.Current is var bubble && bubble != _seededIn)
        {
            // Made in another bubble or outside every one: an explored bubble's choices must come
            // from its chooser, or a replay of its seed would choose differently.
            _seededIn = bubble;
            _random = NewSeed(bubble);
        }

        int live = 0;
        bool sameChannelTwice = false;
        for (int i = 0; i < _count; i++)
        {
            if (_channels[i] is not { } channel)
            {
                continue; // a nil channel or the default case: never polled
            }

            // Inside-out Fisher-Yates: case i lands at a uniform position among the first live + 1.
            int j = NextRandom(live + 1);
            _pollOrder[live] = _pollOrder[j];
            _pollOrder[j] = i;

            long id = channel.Id;
            _ids[i] = id;
            int k = live;
            while (k > 0 && _ids[_lockOrder[k - 1]] > id)
            {
                _lockOrder[k] = _lockOrder[k - 1];
                k--;
            }

            sameChannelTwice |= k > 0 && _ids[_lockOrder[k - 1]] == id;
            _lockOrder[k] = i;
            live++;
        }

        if (sameChannelTwice)
        {
            ShuffleRunsOfOneChannel(live);
        }

        return live;
    }

    // Shuffles each run of cases on one channel in the lock order (Fisher-Yates within the run).
    private void ShuffleRunsOfOneChannel(int live)
    {
        for (int start = 0; start < live;)
        {
            int end = start + 1;
            while (end < live && _ids[_lockOrder[end]] == _ids[_lockOrder[start]])
            {
                end++;
            }

            for (int n = end - start; n > 1; n--)
            {
                int j = start + NextRandom(n);
                (_lockOrder[j], _lockOrder[start + n - 1]) = (_lockOrder[start + n - 1], _lockOrder[j]);
            }

            start = end;
        }
    }

    private void LockAll(int live)
    {
        ChannelCore? previous = null;
        for (int p = 0; p < live; p++)
        {
            ChannelCore channel = _channels[_lockOrder[p]]!;
            if (channel != previous)
            {
                channel.Lock.Enter();
                previous = channel;
            }
        }
    }

    private void UnlockAll(int live)
    {
        ChannelCore? previous = null;
        for (int p = 0; p < live; p++)
        {
            ChannelCore channel = _channels[_lockOrder[p]]!;
            if (channel != previous)
            {
                channel.Lock.Exit();
                previous = channel;
            }
        }
    }

    private int EndRound(int chosen)
    {
        _chosen = chosen;
        _chosenIsReceive = chosen >= 0 && chosen != _defaultIndex && !_isSend[chosen];
        _count = 0;
        _live = 0;
        _defaultIndex = -1;
        _builder = null;
        Volatile.Write(ref _state, Idle);
        return chosen;
    }

    private ChannelWaiter ChosenReceive() =>
        _chosenIsReceive && _waiters[_chosen] is { } waiter
            ? waiter
            : throw new InvalidOperationException("The case the last round chose is not a receive.");

    // An explored bubble's chooser seeds a select used in it; elsewhere, Random.Shared.
    private static uint NewSeed(Bubble? bubble) => bubble?.SelectSeed() ?? ((uint)Random.Shared.Next() | 1);

    // xorshift32 (Marsaglia), then a multiply-shift into [0, n): cheap and uniform enough for poll order.
    private int NextRandom(int n)
    {
        uint x = _random;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        _random = x;
        return (int)(((ulong)x * (uint)n) >> 32);
    }

    // A round belongs to the flow that adds its first case (one CAS from Idle) until it ends: a
    // second flow that adds a case or runs a round meanwhile fails at once, instead of changing
    // the case arrays under the first (which locked one channel twice, or locked one channel and
    // unlocked another, and spun both threads forever).
    private void ClaimForBuilding()
    {
        object flow = CurrentFlow();
        int state = Volatile.Read(ref _state);
        if (state == Building && _builder == flow)
        {
            return;
        }

        if (state != Idle || Interlocked.CompareExchange(ref _state, Building, Idle) != Idle)
        {
            throw Busy();
        }

        _builder = flow;
    }

    // Starts the round its builder built (or a round without cases, claimed here).
    private void EnterRound()
    {
        object flow = CurrentFlow();
        if (Volatile.Read(ref _state) == Building && _builder == flow)
        {
            Volatile.Write(ref _state, InRound);
            return;
        }

        if (Interlocked.CompareExchange(ref _state, InRound, Idle) != Idle)
        {
            throw Busy();
        }

        _builder = flow;
    }

    // The flow a round belongs to: the goroutine, whichever thread runs it; off the runtime, the thread.
    private static object CurrentFlow() => (object?)Goroutine.Running ?? Thread.CurrentThread;

    private static InvalidOperationException Busy() =>
        new("This select's round is being built or run by another flow: use one Select per goroutine (off the runtime, per thread), and add a round's cases and wait on them without an await in between.");

    // The round with one more case: a receive from a channel the token's registration closes.
    private async ValueTask<int> WaitCancelableAsync(CancellationToken token)
    {
        var canceled = new Chan<bool>();
        int cancelCase = _count; // the index Receive gives the next case
        Receive(canceled);
        using CancellationTokenRegistration registration = token.Register(static state => ((Chan<bool>)state!).Close(), canceled);
        int chosen = await WaitAsync(CancellationToken.None).ConfigureAwait(true); // the token is the last case
        return chosen == cancelCase ? throw new OperationCanceledException(token) : chosen;
    }

    private async ValueTask<int> WaitAfterYieldAsync()
    {
        await Go.YieldAsync();
        return await WaitAsync().ConfigureAwait(true);
    }
}
