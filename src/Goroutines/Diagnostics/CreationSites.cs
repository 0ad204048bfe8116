// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;

using Goroutines.Scheduling;

namespace Goroutines.Diagnostics;

// CreationSites: the `created by` line of a goroutine, Go's "created by main.main in
// goroutine 1". A spawn records only what the compiler hands it for free: the calling
// member's name, file and line ([CallerMemberName] and friends); resolving more would cost
// every spawn. The member's name is not the function Go would print: inside a lambda or a
// local function it is the member around them, and it carries no type. So the name is
// resolved when a dump or a panic report asks, from the code's PDB: the innermost method
// with a statement on the call's line (AsyncFrameLocator.MethodsAt), rendered readable
// (FunctionNames), skipping the goroutine's own body when it starts on that same line
// (`Go.Run(async () => {`).
//
// The goroutine's code (its assembly, and its own body's name, to skip) is found from its
// entry function before it starts, its root task's state machine while it is suspended, or
// its panic's stack trace once it has failed. Without a PDB (Native AOT, single-file) or
// any of those, the line keeps the member's name, made readable and prefixed with the type
// of the lambda or local function the goroutine runs, which is declared where it was written.
//
// Never throws: a dump and a panic report must be written whatever the metadata holds.
internal static class CreationSites
{
    /// <summary>Where <paramref name="g"/> was created, as Go's <c>created by</c> line names it.</summary>
    public static GoroutineFrame Of(Goroutine g) => new(CreatorName(g), g.CreatedByFile, g.CreatedByLine);

    private static string CreatorName(Goroutine g)
    {
        string member = g.CreatedByMember ?? "?";
        try
        {
            if (BodyOf(g) is not (MethodBase body, string bodyName))
            {
                return FunctionNames.Method(member);
            }

            if (g.CreatedByFile is string file && g.CreatedByLine > 0)
            {
                foreach (MethodBase method in AsyncFrameLocator.MethodsAt(body.Module.Assembly, file, g.CreatedByLine))
                {
                    string name = FunctionNames.Of(method);
                    if (name != bodyName)
                    {
                        return name;
                    }
                }
            }

            // No PDB: a compiler-named body (a lambda, a local function, their state machines)
            // is declared in the type whose code started it.
            return body.DeclaringType is Type type && IsCompilerNamed(body)
                ? FunctionNames.Of(type.FullName, member)
                : FunctionNames.Method(member);
        }
#pragma warning disable CA1031 // a dump must be written whatever the metadata holds
        catch (Exception)
#pragma warning restore CA1031
        {
            return FunctionNames.Method(member);
        }
    }

    // The goroutine's own body (a method or a state machine's MoveNext) and its readable name.
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = AsyncStackWalker.TrimmedWalk)]
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = AsyncStackWalker.TrimmedWalk)]
    private static (MethodBase Body, string Name)? BodyOf(Goroutine g)
    {
        MethodBase? body = g.Entry?.Method;
        if (body is null && g.RootTask is { } root && AsyncStackWalker.StateMachineTypeOf(root) is Type stateMachine)
        {
            body = stateMachine.GetMethod(nameof(IAsyncStateMachine.MoveNext), BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance);
        }

        if (body is null && g.PanicException is { } panic)
        {
            // The outermost frame of the failure's trace that is neither the runtime's nor the
            // base library's is the body the goroutine started in.
            StackFrame[] frames = new StackTrace(panic, fNeedFileInfo: false).GetFrames();
            for (int i = frames.Length - 1; i >= 0 && body is null; i--)
            {
                if (frames[i].GetMethod() is { DeclaringType.Assembly: Assembly assembly } method
                    && assembly != typeof(CreationSites).Assembly && assembly != typeof(object).Assembly)
                {
                    body = method;
                }
            }
        }

        return body is null ? null : (body, FunctionNames.Of(body));
    }

    private static bool IsCompilerNamed(MethodBase body) =>
        body.Name.StartsWith('<') || (body.DeclaringType?.Name.StartsWith('<') ?? false);
}
