// Licensed under the MIT License.

using System;

namespace Goroutines;

/// <summary>
/// Thrown by <see cref="Go.Main"/> when every goroutine is blocked forever (Go's fatal error
/// <c>all goroutines are asleep - deadlock!</c>) and a panic handler is installed
/// (<see cref="Go.SetPanicHandler"/>). Without a handler the runtime prints Go's report on stderr
/// and ends the process with exit code 2 instead, as Go does.
/// </summary>
/// <remarks>
/// The handler receives the fatal error first, as a <see cref="GoroutinePanic"/> with
/// <see cref="GoroutinePanic.IsFatal"/> set; then every <see cref="Go.Main"/> call whose main
/// goroutine is among the deadlocked ones throws its own instance of this exception. The
/// deadlocked goroutines stay parked: nothing can ever wake them.
/// </remarks>
public sealed class DeadlockException : InvalidOperationException
{
    /// <summary>Creates the exception a deadlocked <see cref="Go.Main"/> throws, with Go's message and the dump of every goroutine.</summary>
    /// <param name="message">Go's fatal error, without its <c>fatal error: </c> prefix.</param>
    /// <param name="dump">The goroutine dump of the report.</param>
    internal DeadlockException(string message, string dump)
        : base(message) => Dump = dump;

    /// <summary>
    /// The dump of every goroutine when the deadlock was found, in Go's text form (pprof's
    /// <c>debug=2</c>): the part of Go's report that follows the <c>fatal error:</c> line.
    /// </summary>
    public string Dump { get; }
}
