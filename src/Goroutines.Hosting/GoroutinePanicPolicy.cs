// Licensed under the MIT License.

namespace Goroutines.Hosting;

/// <summary>
/// What a hosted application does with a panic (an exception that escaped a goroutine), set in
/// <see cref="GoroutineRuntimeOptions.PanicPolicy"/>. Every policy first logs the panic as an
/// error, with Go's report (<c>panic: ...</c>, the goroutine, the exception's stack and where the
/// goroutine was created) as the message and the exception attached.
/// </summary>
public enum GoroutinePanicPolicy
{
    /// <summary>
    /// The default: sets <see cref="System.Environment.ExitCode"/> to 2 (Go's exit code for a
    /// panic) and stops the host through <c>IHostApplicationLifetime.StopApplication</c>, so
    /// every hosted service stops gracefully, within the host's shutdown timeout, and the process
    /// ends when the application's <c>Main</c> returns. The same choice .NET makes for a
    /// <c>BackgroundService</c> that throws (<c>BackgroundServiceExceptionBehavior.StopHost</c>).
    /// </summary>
    StopHost,

    /// <summary>
    /// Go's own behaviour: the report on stderr and <see cref="System.Environment.Exit"/> with
    /// code 2 at once, from the panicking goroutine's thread. The host gets no more of a stop
    /// than .NET's process-exit handlers give it.
    /// </summary>
    ExitProcess,

    /// <summary>
    /// Logs the panic and goes on: the goroutine that panicked is gone, the others and the host
    /// run on. For applications whose goroutine services restart their own work. A fatal error
    /// of the runtime (<see cref="GoroutinePanic.IsFatal"/>) still stops the host as
    /// <see cref="StopHost"/> does: the runtime cannot be trusted after one.
    /// </summary>
    LogAndContinue,
}
