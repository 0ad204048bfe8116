// Licensed under the MIT License.

using System;

namespace Goroutines;

/// <summary>
/// The exception <see cref="Go.Goexit"/> throws to end the calling goroutine: it unwinds the
/// goroutine's frames, running their <c>finally</c> blocks innermost first, and the runtime then
/// ends the goroutine quietly. It is not a panic: no report, no exit code, other goroutines go on.
/// </summary>
/// <remarks>
/// <para>
/// Do not catch it. Go's <c>recover</c> returns nil during a Goexit, so Go code cannot stop one; in
/// .NET a catch-all block catches this exception like any other, and one that swallows it cancels
/// the Goexit. Write catch-all blocks in goroutines so that it passes:
/// <c>catch (Exception e) when (e is not GoexitException)</c>. The runtime's own code does
/// (<c>ErrorGroup</c> records no error for it, <c>Once.Wrap</c> does not keep it as its result).
/// </para>
/// <para>
/// It ends the goroutine when it leaves the goroutine's function: called in that function or in
/// any async method it awaits, at any depth. In a flow the goroutine started and did not await
/// (a task it let run on), it ends that flow only, as an exception would.
/// </para>
/// </remarks>
public sealed class GoexitException : Exception
{
    internal GoexitException()
        : base("runtime.Goexit: the goroutine is exiting; let this exception pass catch-all blocks")
    {
    }
}
