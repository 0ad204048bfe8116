// Licensed under the MIT License.

using System.Diagnostics;

namespace Goroutines.Channels;

// WaitQueue<T>: a channel's FIFO of parked senders or receivers (Go's waitq), an
// intrusive doubly linked list of ChannelWaiter<T>, so a select can unlink its
// losing cases from the middle.
//
// Dequeue skips the cases of selects that another case already won: it unlinks
// them and moves on (Go: dequeue's selectDone CAS). The owning select unlinks the
// rest of its cases itself after it wakes.
//
// Invariants:
// - Under the owning channel's lock, always.
// - A waiter is linked here iff IsQueued is true; links of unlinked waiters are null.
internal struct WaitQueue<T>
{
    private ChannelWaiter<T>? _first;
    private ChannelWaiter<T>? _last;

    /// <summary>Whether no waiter is linked (some may be lost select cases).</summary>
    public readonly bool IsEmpty => _first is null;

    /// <summary>Links <paramref name="waiter"/> at the tail.</summary>
    public void Enqueue(ChannelWaiter<T> waiter)
    {
        Debug.Assert(!waiter.IsQueued, "a channel waiter was queued twice");
        waiter.IsQueued = true;
        waiter.Previous = _last;
        waiter.Next = null;
        if (_last is null)
        {
            _first = waiter;
        }
        else
        {
            _last.Next = waiter;
        }

        _last = waiter;
    }

    /// <summary>
    /// Unlinks and returns the first waiter that may still complete: a plain operation, or a
    /// select case whose select this call wins. Null when there is none.
    /// </summary>
    /// <remarks>Go: waitq.dequeue.</remarks>
    public ChannelWaiter<T>? Dequeue()
    {
        while (_first is { } waiter)
        {
            Unlink(waiter);
            if (waiter.IsSelectCase && !waiter.TryWinSelect())
            {
                continue; // another case of that select committed first
            }

            return waiter;
        }

        return null;
    }

    /// <summary>Unlinks <paramref name="waiter"/> if it is still linked here.</summary>
    /// <remarks>Go: waitq.dequeueSudoG.</remarks>
    public void Remove(ChannelWaiter<T> waiter)
    {
        if (waiter.IsQueued)
        {
            Unlink(waiter);
        }
    }

    private void Unlink(ChannelWaiter<T> waiter)
    {
        ChannelWaiter<T>? previous = waiter.Previous;
        ChannelWaiter<T>? next = waiter.Next;
        if (previous is null)
        {
            _first = next;
        }
        else
        {
            previous.Next = next;
        }

        if (next is null)
        {
            _last = previous;
        }
        else
        {
            next.Previous = previous;
        }

        waiter.Previous = null;
        waiter.Next = null;
        waiter.IsQueued = false;
    }
}
