// Licensed under the MIT License.

using System.Collections.Immutable;
using System.Linq;

using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Goroutines.Analyzers;

/// <summary>
/// GOR001: a goroutine's body captures a variable that changes after the goroutine was started:
/// a <c>for</c> loop's variable (one variable for every iteration, unlike <c>foreach</c>'s), or a
/// local that the loop around the call assigns after it, on every iteration. The goroutine runs later and reads the value of that later
/// moment: a ported worker pool printed "worker 4" for every job. Go 1.22 made each iteration's
/// variable its own; C#'s <c>for</c> did not.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LoopVariableCaptureAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The rule's id.</summary>
    public const string Id = "GOR001";

    internal static readonly DiagnosticDescriptor Rule = new(
        Id,
        "A goroutine captures a variable that changes after it starts",
        "The goroutine captures '{0}', which {1}; the goroutine reads it when it runs, not when it starts: pass it as an argument (Go.Run(f, {0})) or copy it first",
        "Goroutines",
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "A lambda captures variables, not values. A goroutine starts later than the call that starts it, so a loop variable or a local assigned after the call has usually moved on. Help: docs/analyzers/GOR001.md.");

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [Rule];

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSyntaxNodeAction(Analyze, SyntaxKind.InvocationExpression);
    }

    private static void Analyze(SyntaxNodeAnalysisContext context)
    {
        var invocation = (InvocationExpressionSyntax)context.Node;
        SemanticModel model = context.SemanticModel;
        AnonymousFunctionExpressionSyntax[] bodies = [.. invocation.ArgumentList.Arguments
            .Select(argument => argument.Expression).OfType<AnonymousFunctionExpressionSyntax>()];
        if (bodies.Length == 0 || !GoroutineBodies.IsSpawn(invocation, model))
        {
            return;
        }

        foreach (AnonymousFunctionExpressionSyntax body in bodies)
        {
            var reported = new System.Collections.Generic.HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
            foreach (IdentifierNameSyntax name in body.DescendantNodes().OfType<IdentifierNameSyntax>())
            {
                // A local declared outside the body and read inside it: captured.
                if (model.GetSymbolInfo(name, context.CancellationToken).Symbol is ILocalSymbol local
                    && !local.DeclaringSyntaxReferences.Any(reference => body.Span.Contains(reference.Span))
                    && !reported.Contains(local)
                    && ChangesAfter(local, invocation, model) is { } why)
                {
                    reported.Add(local);
                    context.ReportDiagnostic(Diagnostic.Create(Rule, name.GetLocation(), local.Name, why));
                }
            }
        }
    }

    // Why the local's value may change after the call starts the goroutine, or null if it does not:
    // it is a for loop's variable, or the call is in a loop that assigns the local, declared
    // outside it, after the call (a variable carried from one iteration to the next). A local
    // written after the call outside any such loop is shared state on purpose (a flag set to stop
    // the goroutine, a counter it reads), and so are writes through ref (Interlocked).
    private static string? ChangesAfter(ILocalSymbol local, InvocationExpressionSyntax invocation, SemanticModel model)
    {
        SyntaxNode? declaration = local.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax();
        if (declaration is null)
        {
            return null;
        }

        if (declaration is VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Parent: ForStatementSyntax declaringLoop } }
            && declaringLoop.Statement.Span.Contains(invocation.Span))
        {
            return "is the for loop's variable, one for every iteration";
        }

        foreach (StatementSyntax loop in invocation.Ancestors().OfType<StatementSyntax>().Where(IsLoop))
        {
            if (loop.Span.Contains(declaration.Span))
            {
                break; // declared inside this loop: a fresh variable each iteration
            }

            StatementSyntax body = LoopBody(loop);
            bool writtenAfter = body.DescendantNodes().Any(node => node.SpanStart > invocation.Span.End && IsWriteOf(node, local, model))
                || NextIteration(loop).Any(part => part.DescendantNodesAndSelf().Any(node => IsWriteOf(node, local, model)));
            if (writtenAfter)
            {
                return "the loop assigns after starting the goroutine, on every iteration";
            }
        }

        return null;
    }

    // The parts of a loop's header that run after its body, before the next iteration.
    private static SyntaxNode[] NextIteration(StatementSyntax loop) => loop switch
    {
        ForStatementSyntax @for => [.. @for.Incrementors, .. @for.Condition is { } condition ? [condition] : System.Array.Empty<SyntaxNode>()],
        WhileStatementSyntax @while => [@while.Condition],
        DoStatementSyntax @do => [@do.Condition],
        _ => [],
    };

    private static bool IsLoop(StatementSyntax statement) =>
        statement is ForStatementSyntax or WhileStatementSyntax or DoStatementSyntax or CommonForEachStatementSyntax;

    private static StatementSyntax LoopBody(StatementSyntax loop) => loop switch
    {
        ForStatementSyntax @for => @for.Statement,
        WhileStatementSyntax @while => @while.Statement,
        DoStatementSyntax @do => @do.Statement,
        CommonForEachStatementSyntax forEach => forEach.Statement,
        _ => loop,
    };

    private static bool IsWriteOf(SyntaxNode node, ILocalSymbol local, SemanticModel model)
    {
        ExpressionSyntax? target = node switch
        {
            AssignmentExpressionSyntax assignment => assignment.Left,
            PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression } postfix => postfix.Operand,
            PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression } prefix => prefix.Operand,
            _ => null,
        };
        return target is IdentifierNameSyntax name && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(name).Symbol, local);
    }
}
