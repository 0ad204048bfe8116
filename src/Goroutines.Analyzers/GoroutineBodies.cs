// Licensed under the MIT License.

using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Goroutines.Analyzers;

// GoroutineBodies: what the analyzers call a goroutine's body, the code Go's `go` statement
// would start: an anonymous function passed to a method that starts it as a goroutine
// (Go.Run, Go.Main, WaitGroup.Go, ErrorGroup.Go, GoAsync and TryGo, Clock.AfterFunc).
// Recognised by the method's symbol, so an alias or a using static still counts and a
// method of the same name elsewhere does not.
internal static class GoroutineBodies
{
    /// <summary>
    /// The anonymous function that is the innermost goroutine body holding <paramref name="node"/>,
    /// or null when the innermost anonymous function holding it is something else (a lambda passed
    /// to Task.Run runs on the thread pool, not as a goroutine) or there is none.
    /// </summary>
    public static AnonymousFunctionExpressionSyntax? Enclosing(SyntaxNode node, SemanticModel model)
    {
        AnonymousFunctionExpressionSyntax? function = node.FirstAncestorOrSelf<AnonymousFunctionExpressionSyntax>();
        return function is not null && IsGoroutineBody(function, model) ? function : null;
    }

    /// <summary>Whether <paramref name="function"/> is an argument of a method that starts it as a goroutine.</summary>
    public static bool IsGoroutineBody(AnonymousFunctionExpressionSyntax function, SemanticModel model) =>
        function.Parent is ArgumentSyntax { Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax invocation } }
        && IsSpawn(invocation, model);

    /// <summary>Whether <paramref name="invocation"/> calls a method that starts its function argument as a goroutine.</summary>
    public static bool IsSpawn(InvocationExpressionSyntax invocation, SemanticModel model)
    {
        if (model.GetSymbolInfo(invocation).Symbol is not IMethodSymbol method)
        {
            return false;
        }

        string? type = method.ContainingType?.OriginalDefinition.ToDisplayString();
        return (type, method.Name) switch
        {
            ("Goroutines.Go", "Run" or "Main") => true,
            ("Goroutines.Sync.WaitGroup", "Go") => true,
            ("Goroutines.Sync.ErrorGroup", "Go" or "GoAsync" or "TryGo") => true,
            ("Goroutines.Time.Clock", "AfterFunc") => true,
            _ => false,
        };
    }
}
