// Licensed under the MIT License.

using System;

namespace Goroutines;

/// <summary>
/// A panic (an exception that escaped a goroutine) or a runtime fatal error, as handed to the
/// handler installed with <see cref="Go.SetPanicHandler"/>.
/// </summary>
public sealed class GoroutinePanic
{
    internal GoroutinePanic(Exception? exception, long goroutineId, string message, string report, bool isFatal)
    {
        Exception = exception;
        GoroutineId = goroutineId;
        Message = message;
        Report = report;
        IsFatal = isFatal;
    }

    /// <summary>The exception that escaped the goroutine; null for a fatal error of the runtime.</summary>
    public Exception? Exception { get; }

    /// <summary>The id of the goroutine that panicked, or 0 if the fatal error arose outside one.</summary>
    public long GoroutineId { get; }

    /// <summary>
    /// The first line of Go's report: <c>panic: </c> and the panic value as Go prints it (for an
    /// exception, its message), for example <c>panic: boom</c>; or <c>fatal error: </c> and the error.
    /// </summary>
    public string Message { get; }

    /// <summary>
    /// The whole report as the default handler prints it on stderr: the first line, a blank line,
    /// <c>goroutine N [running]:</c> and the .NET exception with its stack trace, then
    /// <c>created by</c> and the spawning site (a fatal error: the stack of the code that found it).
    /// </summary>
    public string Report { get; }

    /// <summary>Whether this is a fatal error of the runtime (Go's <c>fatal error:</c>) rather than a panic.</summary>
    public bool IsFatal { get; }

    /// <inheritdoc/>
    public override string ToString() => Report;
}
