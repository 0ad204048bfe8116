// Licensed under the MIT License.

using Goroutines.Scheduling;

namespace Goroutines.Channels;

/// <summary>
/// The element-type-free part of a channel waiter (Go's sudog): whether the operation succeeded,
/// and whether it is a select's case (<see cref="SelectCaseWaiter{T}"/>), which wakes its select
/// instead of its own awaiter. See <see cref="ChannelWaiter{T}"/>.
/// </summary>
/// <remarks>
/// The select's fields live in the subclass, not here: a parked plain operation holds one of these
/// per goroutine, and W2 counts its bytes.
/// </remarks>
internal abstract class ChannelWaiter : Waiter
{
    /// <summary>Initializes a plain waiter or a select case.</summary>
    protected ChannelWaiter(bool isSelectCase) => IsSelectCase = isSelectCase;

    /// <summary>Whether this is a case of a select (Go: sg.isSelect). Immutable.</summary>
    public bool IsSelectCase { get; }

    /// <summary>
    /// True when a partner completed the operation (a value was handed over); false when a close
    /// woke it. Written under the channel's lock before the wake-up; read by the woken side.
    /// </summary>
    public bool Success { get; set; }

    /// <summary>Wakes whoever waits on this waiter: the select it belongs to, or its own awaiter.</summary>
    /// <remarks>Go: goready(sg.g).</remarks>
    public void Wake()
    {
        if (IsSelectCase)
        {
            WakeSelect();
        }
        else
        {
            Ready();
        }
    }

    /// <summary>
    /// For a select case: claims its select's round (Go: selectDone.CompareAndSwap); false if
    /// another case won it. Plain waiters always win. Under the channel's lock.
    /// </summary>
    public virtual bool TryWinSelect() => true;

    /// <summary>Arms a select case for a round: the select it belongs to and its index. Under all of the select's locks.</summary>
    public virtual void JoinSelect(SelectWaiter selection, int caseIndex)
    {
    }

    /// <summary>Ends a select case's round.</summary>
    public virtual void LeaveSelect()
    {
    }

    /// <summary>Wakes the select this case belongs to.</summary>
    protected virtual void WakeSelect()
    {
    }
}
