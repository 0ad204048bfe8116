// Licensed under the MIT License.

using System.Diagnostics;

namespace Goroutines.Channels;

/// <summary>
/// A select's case on a channel of <typeparamref name="T"/>: linked into that channel's queue like
/// any waiter, but never awaited itself; whoever dequeues it must first win the select's round
/// (<see cref="SelectWaiter.TryWin"/>), then wakes the select. One per case slot of a
/// <see cref="Select"/>, reused round after round, never pooled.
/// </summary>
internal sealed class SelectCaseWaiter<T> : ChannelWaiter<T>
{
    private SelectWaiter? _selection; // set while a round is parked; under all of the select's locks
    private int _caseIndex;

    /// <summary>Creates the waiter of one case slot.</summary>
    public SelectCaseWaiter()
        : base(isSelectCase: true)
    {
    }

    /// <inheritdoc/>
    public override bool TryWinSelect() => _selection!.TryWin(_caseIndex);

    /// <inheritdoc/>
    public override void JoinSelect(SelectWaiter selection, int caseIndex)
    {
        Debug.Assert(!IsQueued, "a select case joined a round while still queued");
        _selection = selection;
        _caseIndex = caseIndex;
    }

    /// <inheritdoc/>
    public override void LeaveSelect() => _selection = null;

    /// <inheritdoc/>
    protected override void WakeSelect() => _selection!.Ready();
}
