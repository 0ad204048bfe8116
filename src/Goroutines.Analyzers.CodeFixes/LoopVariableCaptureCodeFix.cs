// Licensed under the MIT License.

using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;

using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace Goroutines.Analyzers;

/// <summary>
/// GOR001's fix: copy the variable into a local just before the statement that starts the
/// goroutine, and let the goroutine capture the copy (Go's <c>i := i</c>).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(LoopVariableCaptureCodeFix)), Shared]
public sealed class LoopVariableCaptureCodeFix : CodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds => [LoopVariableCaptureAnalyzer.Id];

    /// <inheritdoc/>
    public override FixAllProvider? GetFixAllProvider() => null; // each copy needs its own name and statement

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        Document document = context.Document;
        SyntaxNode? root = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        SemanticModel? model = await document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root?.FindNode(context.Span, getInnermostNodeForTie: true) is not IdentifierNameSyntax captured
            || model?.GetSymbolInfo(captured, context.CancellationToken).Symbol is not ILocalSymbol local
            || captured.FirstAncestorOrSelf<AnonymousFunctionExpressionSyntax>() is not { } body
            || body.FirstAncestorOrSelf<InvocationExpressionSyntax>()?.FirstAncestorOrSelf<StatementSyntax>() is not { Parent: BlockSyntax block } statement)
        {
            return;
        }

        context.RegisterCodeFix(
            CodeAction.Create(
                $"Copy '{local.Name}' before starting the goroutine",
                _ => Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(block, CopyFirst(block, statement, body, local, model)))),
                equivalenceKey: LoopVariableCaptureAnalyzer.Id),
            context.Diagnostics);
    }

    private static BlockSyntax CopyFirst(BlockSyntax block, StatementSyntax statement, AnonymousFunctionExpressionSyntax body, ILocalSymbol local, SemanticModel model)
    {
        string copy = local.Name + "Copy";
        IdentifierNameSyntax[] uses = [.. body.DescendantNodes().OfType<IdentifierNameSyntax>()
            .Where(name => SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(name).Symbol, local))];
        StatementSyntax rewritten = statement.ReplaceNodes(uses, (original, _) => IdentifierName(copy).WithTriviaFrom(original));
        LocalDeclarationStatementSyntax declaration = LocalDeclarationStatement(
                VariableDeclaration(IdentifierName("var"))
                    .AddVariables(VariableDeclarator(copy).WithInitializer(EqualsValueClause(IdentifierName(local.Name)))))
            .WithLeadingTrivia(statement.GetLeadingTrivia())
            .WithTrailingTrivia(statement.GetTrailingTrivia());
        int index = block.Statements.IndexOf(statement);
        return block.WithStatements(block.Statements.RemoveAt(index).InsertRange(index, [declaration, rewritten]));
    }
}
