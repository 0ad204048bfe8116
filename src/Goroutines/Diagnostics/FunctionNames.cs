// Licensed under the MIT License.

using System;
using System.Reflection;
using System.Text;

namespace Goroutines.Diagnostics;

// Function names as a reader wants them: what dumps, panic reports, traces and profiles print
// for a frame. Go prints `main.main.func1` for a closure of main.main; the C# compiler names
// the same closure `<Main>b__0_1`, in a class `<>c__DisplayClass0_0`, run by a state machine
// `<<Main>b__0_1>d` when it is async. This file turns the compiler's names back into the
// method a reader wrote, plus a readable suffix:
//
//   Program+<>c+<<<Main>$>b__0_3>d . MoveNext      -> Program.Main.func4
//   C+<>c__DisplayClass1_0 . <M>g__Inner|5          -> C.M.Inner
//   Program+<<<Main>$>g__FilterAsync|0_5>d . MoveNext -> Program.Main.FilterAsync
//   Namespace.Worker`1+<RunAsync>d__3 . MoveNext    -> Namespace.Worker.RunAsync
//
// Rules: nested types are joined by '.', generic arity suffixes dropped; a compiler-generated
// type (a closure class, a display class, an anonymous type) is left out; a state machine type
// stands for the method it runs; `<M>$` (top-level statements' entry point) is `M`; a lambda
// `<M>b__..._N` is `M.func{N+1}` (N is the compiler's ordinal, unique within M, shared with
// M's local functions, so the numbers may skip); a local function `<M>g__Name|...` is
// `M.Name`. Names the compiler did not make pass through unchanged.
//
// Works on strings only, so that a frame named by Native AOT's stack trace data (type and
// method names, no metadata) reads the same as one found by reflection. Pure; thread-safe.
//
// Left as it is: a lambda nested in a lambda is numbered within the method that contains
// both (the compiler's names do not say which lambda holds which), where Go prints
// `main.main.func1.1`.
internal static class FunctionNames
{
    /// <summary>The readable name of <paramref name="method"/>: its type's rendering, a dot, its own.</summary>
    public static string Of(MethodBase method) => Of(method.DeclaringType?.FullName, method.Name);

    /// <summary>
    /// The readable name of a method given by its declaring type's full name (nested types joined
    /// by '+', as <see cref="Type.FullName"/> gives them; null for a global method) and its name.
    /// The <c>MoveNext</c> of a state machine is named for the method the state machine runs.
    /// </summary>
    public static string Of(string? declaringTypeFullName, string methodName)
    {
        if (declaringTypeFullName is null)
        {
            return Method(methodName);
        }

        var builder = new StringBuilder(declaringTypeFullName.Length + methodName.Length);
        string? stateMachineOf = AppendType(builder, declaringTypeFullName);
        string method = stateMachineOf is not null && methodName == "MoveNext" ? stateMachineOf : methodName;
        return Append(builder, Method(method)).ToString();
    }

    /// <summary>
    /// The readable name of a type; of a state machine type, the readable name of the method it
    /// runs (<c>Worker+&lt;RunAsync&gt;d__3</c> is <c>Worker.RunAsync</c>).
    /// </summary>
    public static string OfType(Type type)
    {
        var builder = new StringBuilder();
        string? stateMachineOf = AppendType(builder, type.FullName ?? type.Name);
        return stateMachineOf is null ? builder.ToString() : Append(builder, Method(stateMachineOf)).ToString();
    }

    /// <summary>
    /// A method's own name made readable: <c>&lt;Main&gt;$</c> is <c>Main</c>,
    /// <c>&lt;M&gt;b__1_0</c> is <c>M.func1</c>, <c>&lt;M&gt;g__Local|0_2</c> is <c>M.Local</c>.
    /// </summary>
    public static string Method(string name)
    {
        if (!TrySplitGenerated(name, out string inner, out string suffix) || inner.Length == 0)
        {
            return WithoutArity(name);
        }

        string outer = Method(inner);
        if (suffix == "$" || IsStateMachineSuffix(suffix))
        {
            return outer;
        }

        if (suffix.StartsWith("b__", StringComparison.Ordinal) && LastNumber(suffix) is int ordinal)
        {
            return $"{outer}.func{ordinal + 1}";
        }

        if (suffix.StartsWith("g__", StringComparison.Ordinal))
        {
            int bar = suffix.IndexOf('|', StringComparison.Ordinal);
            return $"{outer}.{(bar < 0 ? suffix[3..] : suffix[3..bar])}";
        }

        return outer + suffix; // a form this file does not know: keep what it says
    }

    // Appends the type's readable segments; returns the mangled name of the method the innermost
    // state machine in the chain runs, if there is one.
    private static string? AppendType(StringBuilder builder, string fullName)
    {
        int generic = fullName.IndexOf('[', StringComparison.Ordinal); // a constructed type's arguments
        string stateMachineOf = string.Empty;
        foreach (string segment in (generic < 0 ? fullName : fullName[..generic]).Split('+'))
        {
            if (TrySplitGenerated(segment, out string inner, out string suffix))
            {
                if (inner.Length > 0 && IsStateMachineSuffix(WithoutArity(suffix)))
                {
                    stateMachineOf = inner;
                }

                continue; // closure classes, display classes, state machines: the compiler's, not the reader's
            }

            Append(builder, WithoutArity(segment));
        }

        return stateMachineOf.Length > 0 ? stateMachineOf : null;
    }

    private static StringBuilder Append(StringBuilder builder, string part) =>
        builder.Length == 0 ? builder.Append(part) : builder.Append('.').Append(part);

    // "<inner>suffix" with the angle brackets balanced (inner may itself be "<...>...").
    private static bool TrySplitGenerated(string name, out string inner, out string suffix)
    {
        inner = suffix = string.Empty;
        if (name.Length == 0 || name[0] != '<')
        {
            return false;
        }

        int depth = 0;
        for (int i = 0; i < name.Length; i++)
        {
            depth += name[i] switch { '<' => 1, '>' => -1, _ => 0 };
            if (depth == 0)
            {
                inner = name[1..i];
                suffix = name[(i + 1)..];
                return true;
            }
        }

        return false;
    }

    // "d__3" (a method's state machine) or "d" (a lambda's or local function's).
    private static bool IsStateMachineSuffix(string suffix) =>
        suffix == "d" || (suffix.StartsWith("d__", StringComparison.Ordinal) && LastNumber(suffix) is not null);

    // The number after the last '_' (or after "b__"/"d__" when there is no other), if it is one.
    private static int? LastNumber(string suffix)
    {
        int start = suffix.LastIndexOf('_') + 1;
        return int.TryParse(suffix.AsSpan(start), out int number) ? number : null;
    }

    private static string WithoutArity(string name)
    {
        int tick = name.IndexOf('`', StringComparison.Ordinal);
        return tick < 0 ? name : name[..tick];
    }
}
