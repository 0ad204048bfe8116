// Licensed under the MIT License.

namespace Goroutines.Diagnostics;

/// <summary>
/// One frame of a goroutine's stack in a dump: an async method it is suspended in (or, for the
/// goroutine taking the dump, a method on its thread's stack), or the site that created it.
/// </summary>
/// <param name="Function">The method, as .NET stack traces name it, for example <c>MyApp.Worker.RunAsync</c>.</param>
/// <param name="File">The source file, when the runtime could find it (a portable PDB next to the assembly or embedded in it).</param>
/// <param name="Line">The line in <paramref name="File"/>: of the await a suspended method waits at, or of the call; 0 when unknown.</param>
public readonly record struct GoroutineFrame(string Function, string? File, int Line);
