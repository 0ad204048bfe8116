// Licensed under the MIT License.

using System.Diagnostics;
using System.Threading;

namespace Goroutines.Channels;

// ChannelLock: the lock of one channel (Go's hchan.lock, a runtime mutex).
//
// Critical sections are a handful of field writes and never block, allocate or run
// user code, so a spin lock fits: one CAS to enter, one release store to leave
// (System.Threading.Lock costs an interlocked operation on each side). Contended
// entry spins with SpinWait, which yields the thread after a few rounds, so a holder
// descheduled by the OS gets its core back; it never sleeps a millisecond.
//
// Rejected: System.Threading.Lock (two interlocked operations per section, measured
// slower on W3); Monitor (the same plus a sync block).
//
// Invariants:
// - Never held across an await, a wake-up of a goroutine or user code.
// - Select takes the locks of several channels only in ascending channel id order.
internal struct ChannelLock
{
    // 1 while held. CAS 0 -> 1 to enter (acquire); Volatile.Write 0 to leave (release).
    private int _held;

    /// <summary>Whether the lock is held (by anyone); for assertions.</summary>
    public readonly bool IsHeld => Volatile.Read(in _held) != 0;

    /// <summary>Takes the lock, spinning while another thread holds it.</summary>
    public void Enter()
    {
        if (Interlocked.CompareExchange(ref _held, 1, 0) != 0)
        {
            EnterContended();
        }
    }

    /// <summary>Releases the lock. Only its holder.</summary>
    public void Exit()
    {
        Debug.Assert(IsHeld, "released a channel lock that was not held");
        Volatile.Write(ref _held, 0);
    }

    private void EnterContended()
    {
        var spinner = default(SpinWait);
        do
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }
        while (Volatile.Read(ref _held) != 0 || Interlocked.CompareExchange(ref _held, 1, 0) != 0);
    }
}
