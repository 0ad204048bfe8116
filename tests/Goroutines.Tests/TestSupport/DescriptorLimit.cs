// Licensed under the MIT License.

using System;
using System.IO;
using System.Runtime.InteropServices;

namespace Goroutines.Tests.TestSupport;

/// <summary>The process's limit of open descriptors (RLIMIT_NOFILE), for tests that open thousands of sockets.</summary>
public static partial class DescriptorLimit
{
    // RLIMIT_NOFILE (Linux, <sys/resource.h>).
    private const int OpenFiles = 7;

    /// <summary>
    /// Makes room for <paramref name="more"/> descriptors besides those open now: raises the soft
    /// limit up to the hard one. Throws, saying how many fit, when the hard limit is too low.
    /// </summary>
    public static void Ensure(int more)
    {
        int open = Directory.GetFiles("/proc/self/fd").Length;
        ulong needed = (ulong)(open + more + 64);
        if (GetResourceLimit(OpenFiles, out Limit limit) != 0)
        {
            throw new InvalidOperationException($"getrlimit failed: errno {Marshal.GetLastPInvokeError()}");
        }

        if (limit.Current >= needed)
        {
            return;
        }

        if (limit.Maximum < needed)
        {
            throw new InvalidOperationException(
                $"The test needs {needed} descriptors ({open} open, {more} more); the hard limit is {limit.Maximum}. Raise it (ulimit -Hn) to run this test.");
        }

        var raised = new Limit { Current = needed, Maximum = limit.Maximum };
        if (SetResourceLimit(OpenFiles, in raised) != 0)
        {
            throw new InvalidOperationException($"setrlimit to {needed} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetResourceLimit(int resource, out Limit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetResourceLimit(int resource, in Limit limit);

    [StructLayout(LayoutKind.Sequential)]
    private struct Limit
    {
        public ulong Current;
        public ulong Maximum;
    }
}
