// Licensed under the MIT License.

using System.Diagnostics;
using System.Threading;

namespace Goroutines.Channels;

// ChannelLock: the lock of one channel (Go's hchan.lock, a runtime mutex).
//
// Critical sections are a handful of field writes and never block, allocate or run
// user code, so a spin lock fits: one CAS to enter, one release store to leave
// (System.Threading.Lock costs an interlocked operation on each side). Contended
// entry busy-waits in four growing rounds, then yields the thread until the lock is
// free, so a holder descheduled by the OS gets its core back; it never sleeps a
// millisecond (Go's runtime lock: active_spin 4, then osyield, then a futex).
//
// Rejected: System.Threading.Lock (two interlocked operations per section);
// SpinWait.SpinOnce (it yields and sleeps sooner: W4 took 64 ns per item instead of
// 46, measured back to back).
//
// Invariants:
// - Never held across an await, a wake-up of a goroutine or user code.
// - Select takes the locks of several channels only in ascending channel id order.
internal struct ChannelLock
{
    // Rounds of growing busy waits before yielding the thread (4, as Go's active_spin).
    private const int ActiveSpinRounds = 4;

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
        int spins = 0;
        do
        {
            if (spins < ActiveSpinRounds)
            {
                Thread.SpinWait(4 << spins);
                spins++;
            }
            else
            {
                Thread.Yield();
            }
        }
        while (Volatile.Read(ref _held) != 0 || Interlocked.CompareExchange(ref _held, 1, 0) != 0);
    }
}
