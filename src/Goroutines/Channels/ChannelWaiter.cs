// Licensed under the MIT License.

using Goroutines.Scheduling;

namespace Goroutines.Channels;

/// <summary>
/// The element-type-free part of a channel waiter (Go's sudog): whether the operation succeeded
/// and, for a select case, the select it belongs to. See <see cref="ChannelWaiter{T}"/>.
/// </summary>
internal abstract class ChannelWaiter : Waiter
{
    /// <summary>
    /// For a case of a blocked select, the select's waiter, whose single win decides which case
    /// commits; null for a plain send or receive. Written by the select under all its channels' locks.
    /// </summary>
    public SelectWaiter? Selection;

    /// <summary>The index of the select case this waiter stands for.</summary>
    public int CaseIndex;

    /// <summary>
    /// True when a partner completed the operation (a value was handed over); false when a close
    /// woke it. Written under the channel's lock before the wake-up; read by the woken side.
    /// </summary>
    public bool Success;

    /// <summary>Wakes whoever waits on this waiter: the select it belongs to, or its own awaiter.</summary>
    /// <remarks>Go: goready(sg.g).</remarks>
    public void Wake()
    {
        if (Selection is { } selection)
        {
            selection.Ready();
        }
        else
        {
            Ready();
        }
    }
}
