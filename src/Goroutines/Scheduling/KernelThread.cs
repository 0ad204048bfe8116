// Licensed under the MIT License.

using System;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;

namespace Goroutines.Scheduling;

// KernelThread: what the kernel knows of a machine's thread, so that sysmon can tell a
// goroutine blocked in a system call outside any blocking region (Thread.Sleep, a
// synchronous read, a lock's futex) from a CPU hog or a thread the OS merely descheduled.
// Go needs no such thing: its system calls announce themselves (entersyscall). Ours are
// any .NET call a goroutine makes, so sysmon asks the kernel:
//   - the thread's CPU clock (clock_gettime on the thread's CPU-time clock id), a cheap
//     first filter: a thread that runs, even on another core, makes it advance;
//   - when the clock stood still, the thread's state in /proc/self/task/<tid>/stat: S
//     (asleep, interruptible) or D (in uninterruptible I/O) is a blocked thread; R is a
//     thread that waits for a core, which handing its processor off would not help.
// Linux only; elsewhere OfCurrentThread returns null and sysmon keeps its 10 ms rule for
// goroutines that do not come back.
//
// Invariants:
// - Created on the thread it describes; read by sysmon only.
internal sealed partial class KernelThread
{
    // Linux's clock ids for a thread's CPU time: CPUCLOCK_SCHED (2) | CPUCLOCK_PERTHREAD_MASK (4),
    // with the bitwise complement of the thread id above them (MAKE_THREAD_CPUCLOCK).
    private const int ThreadSchedulerClock = 6;

    private readonly int _clockId;
    private readonly string _statPath;
    private readonly byte[] _stat = new byte[512];

    private KernelThread(int threadId)
    {
        _clockId = (~threadId << 3) | ThreadSchedulerClock;
        _statPath = string.Create(CultureInfo.InvariantCulture, $"/proc/self/task/{threadId}/stat");
    }

    /// <summary>The calling thread as the kernel knows it, or null where this is not supported.</summary>
    public static KernelThread? OfCurrentThread() => OperatingSystem.IsLinux() ? new KernelThread(GetThreadId()) : null;

    /// <summary>The thread's CPU time so far in nanoseconds, or -1 if the kernel would not say.</summary>
    public long CpuNanoseconds() =>
        GetClockTime(_clockId, out TimeSpec time) == 0 ? (time.Seconds * 1_000_000_000) + time.Nanoseconds : -1;

    /// <summary>Whether the thread is asleep in the kernel (state S or D), as opposed to running or waiting for a core.</summary>
    public bool IsAsleep()
    {
        int length;
        try
        {
            using var stat = new FileStream(_statPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
            length = stat.Read(_stat);
        }
        catch (IOException)
        {
            return false; // the thread is gone, or /proc is not mounted: not a thread to hand off for
        }

        // "tid (comm) S ...": the state follows the last ')' (the name may hold parentheses).
        int close = _stat.AsSpan(0, length).LastIndexOf((byte)')');
        return close >= 0 && close + 2 < length && _stat[close + 2] is (byte)'S' or (byte)'D';
    }

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetThreadId();

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int GetClockTime(int clockId, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
