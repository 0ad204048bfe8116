// Licensed under the MIT License.

using System.Diagnostics;

namespace Goroutines.Time;

/// <summary>
/// An entry of the runtime's timer heaps (Go's <c>timer</c>): a deadline, an optional period,
/// and what to do when it comes. Subclasses say what firing means: sending on a timer's
/// channel or starting a function's goroutine (<see cref="StoppableTimer"/>). A sleep needs no
/// timer object: its heap entry is the sleeping goroutine's waiter (see TimerHeap.cs).
/// </summary>
/// <remarks>
/// The heap fields are owned by <see cref="Heap"/>'s lock. A timer lives in one heap for its
/// whole life, the one of the processor it was first scheduled from (Go moves a reset timer to
/// the resetting processor's heap; keeping its home spares a second lock order, and a timer is
/// rarely reset from elsewhere).
/// </remarks>
[DebuggerDisplay("when={When} period={Period} index={HeapIndex}")]
internal abstract class RuntimeTimer
{
    /// <summary>The heap this timer belongs to; set by its first schedule and never changed after.</summary>
    internal TimerHeap? Heap;

    /// <summary>Deadline in the runtime clock's timestamp units. Under <see cref="Heap"/>'s lock.</summary>
    internal long When;

    /// <summary>Interval of a periodic timer in timestamp units, 0 for a one-shot. Under <see cref="Heap"/>'s lock.</summary>
    internal long Period;

    /// <summary>Position in <see cref="Heap"/>'s array, -1 when not queued. Under <see cref="Heap"/>'s lock.</summary>
    internal int HeapIndex = -1;

    /// <summary>
    /// The generation of the schedule that queued this timer, handed to <see cref="Fire"/> so that
    /// a firing already taken out of the heap when the timer was stopped or reset is recognised as
    /// stale. Under <see cref="Heap"/>'s lock.
    /// </summary>
    internal uint Sequence;

    /// <summary>
    /// Does what the timer is for. Called outside every heap lock, by whichever thread ran the
    /// heap: a machine in its scheduling loop, or the system monitor. Must not block.
    /// </summary>
    /// <param name="sequence">The <see cref="Sequence"/> the timer was queued with.</param>
    /// <param name="lateness">How long after its deadline it fires, in clock units.</param>
    public abstract void Fire(uint sequence, long lateness);
}
