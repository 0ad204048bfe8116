// Licensed under the MIT License.

using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;

using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace Goroutines.Analyzers;

/// <summary>GOR004's fix, in an async method or lambda: await the operation.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UnawaitedOperationCodeFix)), Shared]
public sealed class UnawaitedOperationCodeFix : CodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds => [UnawaitedOperationAnalyzer.Id];

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root?.FindNode(context.Span).FirstAncestorOrSelf<ExpressionStatementSyntax>() is not { Expression: var operation } statement
            || !InAsyncCode(statement))
        {
            return;
        }

        context.RegisterCodeFix(
            CodeAction.Create(
                "Await it",
                _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(operation, AwaitExpression(operation.WithoutLeadingTrivia()).WithLeadingTrivia(operation.GetLeadingTrivia())))),
                equivalenceKey: UnawaitedOperationAnalyzer.Id),
            context.Diagnostics);
    }

    // Whether the statement's innermost function is async (so await is allowed there).
    private static bool InAsyncCode(SyntaxNode node)
    {
        foreach (SyntaxNode ancestor in node.Ancestors())
        {
            switch (ancestor)
            {
                case AnonymousFunctionExpressionSyntax function:
                    return function.AsyncKeyword.IsKind(SyntaxKind.AsyncKeyword);
                case LocalFunctionStatementSyntax local:
                    return local.Modifiers.Any(SyntaxKind.AsyncKeyword);
                case MethodDeclarationSyntax method:
                    return method.Modifiers.Any(SyntaxKind.AsyncKeyword);
                case CompilationUnitSyntax:
                    return true; // top-level statements may await
            }
        }

        return false;
    }
}
