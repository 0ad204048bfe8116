// Licensed under the MIT License.

using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace Goroutines.Scheduling;

/// <summary>
/// Sleeps of microseconds for the runtime's own threads (Go's usleep): sysmon's naps and a
/// thief's back-off before it takes a runNext goroutine. .NET's timed waits count in
/// milliseconds, so this calls the C library's usleep where there is one (on Linux the kernel's
/// timer slack, 50 µs by default, stretches short sleeps, as it does Go's). On Windows, where
/// there is none, a nap of under a millisecond yields the thread instead, as Go's osyield.
/// </summary>
internal static partial class ThreadNap
{
    /// <summary>Puts the calling thread to sleep for about <paramref name="microseconds"/>.</summary>
    public static void Sleep(long microseconds)
    {
        if (OperatingSystem.IsWindows())
        {
            if (microseconds < 1000)
            {
                Thread.Yield();
            }
            else
            {
                Thread.Sleep(TimeSpan.FromMicroseconds(microseconds));
            }

            return;
        }

        _ = Usleep((uint)microseconds);
    }

    [LibraryImport("libc", EntryPoint = "usleep")]
    private static partial int Usleep(uint microseconds);
}
