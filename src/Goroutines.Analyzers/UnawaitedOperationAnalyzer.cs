// Licensed under the MIT License.

using System.Collections.Immutable;

using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Goroutines.Analyzers;

/// <summary>
/// GOR004: an operation of this library whose awaitable is dropped (<c>ch.SendAsync(v);</c> as a
/// statement). In Go, <c>ch &lt;- v</c> waits for the receiver; here the statement goes on at
/// once, the send happens whenever it happens, and a failure (a send on a closed channel) is
/// never seen.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class UnawaitedOperationAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The rule's id.</summary>
    public const string Id = "GOR004";

    internal static readonly DiagnosticDescriptor Rule = new(
        Id,
        "An operation's awaitable is dropped",
        "'{0}' is not awaited: the code goes on before it completes, and its failure is lost; await it",
        "Goroutines",
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "This library's operations (a channel send or receive, a lock, a wait, a sleep) return an awaitable that completes when the operation is done. Dropped, the operation is not waited for, and its exception is never observed. Help: docs/analyzers/GOR004.md.");

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [Rule];

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSyntaxNodeAction(Analyze, SyntaxKind.ExpressionStatement);
    }

    private static void Analyze(SyntaxNodeAnalysisContext context)
    {
        if (((ExpressionStatementSyntax)context.Node).Expression is InvocationExpressionSyntax invocation
            && context.SemanticModel.GetSymbolInfo(invocation, context.CancellationToken).Symbol is IMethodSymbol method
            && method.ContainingType?.ContainingNamespace?.ToDisplayString() is { } ns
            && (ns == "Goroutines" || ns.StartsWith("Goroutines.", System.StringComparison.Ordinal))
            && method.ReturnType.OriginalDefinition.ToDisplayString() is "System.Threading.Tasks.ValueTask" or "System.Threading.Tasks.ValueTask<TResult>"
                or "System.Threading.Tasks.Task" or "System.Threading.Tasks.Task<TResult>")
        {
            Location location = invocation.Expression is MemberAccessExpressionSyntax access ? access.Name.GetLocation() : invocation.GetLocation();
            context.ReportDiagnostic(Diagnostic.Create(Rule, location, $"{method.ContainingType.Name}.{method.Name}"));
        }
    }
}
