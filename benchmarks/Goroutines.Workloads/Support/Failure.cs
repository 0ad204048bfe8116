// Licensed under the MIT License.

using System;
using System.Diagnostics.CodeAnalysis;

namespace Goroutines.Workloads.Support;

/// <summary>
/// Ends the run as the Go reference's <c>fail</c> does: <c>error: </c> and the message on stderr,
/// exit code 1. Callable from any thread, goroutine or timer callback, where an exception would
/// end up unobserved or be reported as a panic instead.
/// </summary>
internal static class Failure
{
    /// <summary>Prints <paramref name="message"/> and exits the process with code 1.</summary>
    [DoesNotReturn]
    public static void Exit(string message)
    {
        Console.Error.WriteLine("error: " + message);
        Environment.Exit(1);
    }
}
