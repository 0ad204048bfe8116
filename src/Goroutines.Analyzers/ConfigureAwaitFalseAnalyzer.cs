// Licensed under the MIT License.

using System.Collections.Immutable;

using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Goroutines.Analyzers;

/// <summary>
/// GOR002: <c>ConfigureAwait(false)</c> on an await in a goroutine's body. The rest of the body
/// then runs on the thread pool, outside the goroutine: no longer scheduled by the runtime,
/// invisible to dumps, racing the goroutine's own code.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ConfigureAwaitFalseAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The rule's id.</summary>
    public const string Id = "GOR002";

    internal static readonly DiagnosticDescriptor Rule = new(
        Id,
        "ConfigureAwait(false) leaves the goroutine",
        "'ConfigureAwait(false)' in a goroutine's body: the code after this await runs on the thread pool, outside the goroutine; remove it",
        "Goroutines",
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "In a goroutine, every await resumes on the goroutine through its synchronization context. ConfigureAwait(false) opts out of that: the rest of the method runs on the thread pool, no longer a goroutine. Help: docs/analyzers/GOR002.md.");

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [Rule];

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSyntaxNodeAction(Analyze, SyntaxKind.AwaitExpression);
    }

    private static void Analyze(SyntaxNodeAnalysisContext context)
    {
        var await = (AwaitExpressionSyntax)context.Node;
        if (await.Expression is InvocationExpressionSyntax
            {
                Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait" } access,
                ArgumentList.Arguments: { Count: 1 } arguments,
            }
            && arguments[0].Expression.IsKind(SyntaxKind.FalseLiteralExpression)
            && GoroutineBodies.Enclosing(await, context.SemanticModel) is not null)
        {
            context.ReportDiagnostic(Diagnostic.Create(Rule, access.Name.GetLocation()));
        }
    }
}
