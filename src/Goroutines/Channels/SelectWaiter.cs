// Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

using Goroutines.Scheduling;

namespace Goroutines.Channels;

// SelectWaiter: the park of a blocked select, shared by the waiters of all its cases
// (Go parks the goroutine once and marks it with selectDone). One per Select object,
// reused round after round; the version guards each round's awaitable.
//
// Protocol:
//   1. The select arms it (undecided) while it holds every case's channel lock, then
//      links one SelectCaseWaiter per case into the channels' wait queues.
//   2. A partner (or a close) that dequeues one of those waiters calls TryWin under
//      that channel's lock; exactly one CAS succeeds and records its case. The
//      others skip their waiter, which the select unlinks after it wakes.
//   3. The winner hands the value over, releases its lock and wakes the select.
//
// Invariants:
// - Between rounds (never armed, or decided) TryWin fails: no stale waiter commits.
internal sealed class SelectWaiter : Waiter, IValueTaskSource<int>
{
    private readonly Select _select;

    // 0 while armed and undecided, 1 once a case won (or between rounds). CAS 0 -> 1 in TryWin.
    private int _decided = 1;

    public SelectWaiter(Select select) => _select = select;

    /// <summary>The case that won this round; written by the winner before it wakes the select.</summary>
    public int Chosen { get; private set; } = -1;

    /// <summary>Opens a round. Under all of the select's channel locks, before linking its waiters.</summary>
    public void Arm()
    {
        Chosen = -1;
        Volatile.Write(ref _decided, 0);
    }

    /// <summary>Claims the round for <paramref name="caseIndex"/>; false if another case won it.</summary>
    /// <remarks>Go: sgp.g.selectDone.CompareAndSwap(0, 1).</remarks>
    public bool TryWin(int caseIndex)
    {
        if (Interlocked.CompareExchange(ref _decided, 1, 0) != 0)
        {
            return false;
        }

        Chosen = caseIndex;
        return true;
    }

    /// <summary>The awaitable of a parked select: completes with the chosen case's index.</summary>
    public ValueTask<int> ParkAsync(WaitReason reason)
    {
        SetWaitReason(reason);
        return new ValueTask<int>(this, Version);
    }

    /// <summary>Blocks the calling thread until a case wins, then returns its index.</summary>
    public int BlockForResult()
    {
        BlockUntilReady();
        return GetResult(Version);
    }

    /// <inheritdoc/>
    public ValueTaskSourceStatus GetStatus(short token) => GetStatusCore(token);

    /// <inheritdoc/>
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        OnCompletedCore(continuation, state, token, flags);

    /// <inheritdoc/>
    public int GetResult(short token)
    {
        EndPark(token);
        return _select.CompleteAfterWake(Chosen);
    }
}
