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

/// <summary>
/// GOR003's fix: await the async form. <c>ch.Send(v)</c> becomes <c>await ch.SendAsync(v)</c>,
/// <c>Thread.Sleep(d)</c> becomes <c>await Task.Delay(d)</c>, and <c>t.Wait()</c>, <c>t.Result</c>
/// and <c>t.GetAwaiter().GetResult()</c> become <c>await t</c>.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(BlockingCallCodeFix)), Shared]
public sealed class BlockingCallCodeFix : CodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds => [BlockingCallAnalyzer.Id];

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            if (root is null
                || !diagnostic.Properties.TryGetValue(BlockingCallAnalyzer.AsyncFormProperty, out string? asyncForm)
                || asyncForm is null
                || root.FindNode(diagnostic.Location.SourceSpan) is not { } name
                || name.FirstAncestorOrSelf<MemberAccessExpressionSyntax>() is not { } access
                || Rewrite(access, asyncForm) is not var (blocking, awaited))
            {
                continue;
            }

            // await binds more loosely than member access: (await x).Member.
            ExpressionSyntax replacement = blocking.Parent is MemberAccessExpressionSyntax or ElementAccessExpressionSyntax or ConditionalAccessExpressionSyntax
                ? ParenthesizedExpression(AwaitExpression(awaited))
                : AwaitExpression(awaited);
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Await {asyncForm}",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(blocking, replacement.WithTriviaFrom(blocking)))),
                    equivalenceKey: BlockingCallAnalyzer.Id),
                diagnostic);
        }
    }

    // The blocking expression to replace and what to await instead; null when the shape is unexpected.
    private static (ExpressionSyntax Blocking, ExpressionSyntax Awaited)? Rewrite(MemberAccessExpressionSyntax access, string asyncForm)
    {
        string member = access.Name.Identifier.ValueText;
        if (member == "Result")
        {
            return (access, access.Expression.WithoutTrivia()); // t.Result -> await t
        }

        if (access.Parent is not InvocationExpressionSyntax call)
        {
            return null;
        }

        switch (member)
        {
            case "Wait" when asyncForm == "the task":
                return (call, access.Expression.WithoutTrivia()); // t.Wait() -> await t
            case "GetResult" when access.Expression is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "GetAwaiter" } getAwaiter }:
                return (call, getAwaiter.Expression.WithoutTrivia()); // t.GetAwaiter().GetResult() -> await t
            case "Sleep" when asyncForm == "Task.Delay":
                return (call, call.WithExpression(ParseExpression("System.Threading.Tasks.Task.Delay")).WithoutTrivia());
            default:
                return (call, call.WithExpression(access.WithName(IdentifierName(asyncForm))).WithoutTrivia()); // x.M(a) -> await x.MAsync(a)
        }
    }
}
