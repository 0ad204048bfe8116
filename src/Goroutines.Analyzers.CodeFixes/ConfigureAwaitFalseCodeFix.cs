// Licensed under the MIT License.

using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;

using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Goroutines.Analyzers;

/// <summary>GOR002's fix: drop the <c>ConfigureAwait(false)</c>, so the await resumes on the goroutine.</summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(ConfigureAwaitFalseCodeFix)), Shared]
public sealed class ConfigureAwaitFalseCodeFix : CodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds => [ConfigureAwaitFalseAnalyzer.Id];

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root?.FindNode(context.Span).FirstAncestorOrSelf<InvocationExpressionSyntax>() is not
            { Expression: MemberAccessExpressionSyntax { Expression: var awaited } } configureAwait)
        {
            return;
        }

        context.RegisterCodeFix(
            CodeAction.Create(
                "Remove ConfigureAwait(false)",
                _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(configureAwait, awaited.WithTriviaFrom(configureAwait)))),
                equivalenceKey: ConfigureAwaitFalseAnalyzer.Id),
            context.Diagnostics);
    }
}
