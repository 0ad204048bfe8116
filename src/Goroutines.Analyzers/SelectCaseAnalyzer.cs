// Licensed under the MIT License.

using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;

using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Goroutines.Analyzers;

/// <summary>
/// GOR005: a <c>switch</c> on a select's result that does not match the cases the select was
/// given, in the inline form where both are visible
/// (<c>switch (await sel.Receive(a).Send(b, x).WaitAsync()) { case 0: ... sel.Received&lt;T&gt;() ... }</c>):
/// a case number the select does not have, or <c>Received&lt;T&gt;()</c> in a section whose case
/// is not a receive of a <c>T</c> channel (it would throw at run time).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class SelectCaseAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The rule's id.</summary>
    public const string Id = "GOR005";

    internal static readonly DiagnosticDescriptor Rule = new(
        Id,
        "A switch on a select's result does not match its cases",
        "{0}",
        "Goroutines",
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "A select's cases are numbered in the order they were added, from 0; Received<T>() reads the value of the receive case that fired, and T must be its channel's element type. Help: docs/analyzers/GOR005.md.");

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [Rule];

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSyntaxNodeAction(Analyze, SyntaxKind.SwitchStatement);
    }

    private static void Analyze(SyntaxNodeAnalysisContext context)
    {
        var @switch = (SwitchStatementSyntax)context.Node;
        SemanticModel model = context.SemanticModel;
        ExpressionSyntax expression = @switch.Expression is AwaitExpressionSyntax await ? await.Expression : @switch.Expression;
        if (CasesOf(expression, model) is not var (receiver, cases))
        {
            return;
        }

        foreach (SwitchSectionSyntax section in @switch.Sections)
        {
            var numbers = new List<int>();
            foreach (SwitchLabelSyntax label in section.Labels)
            {
                ExpressionSyntax? value = label switch
                {
                    CaseSwitchLabelSyntax plain => plain.Value,
                    CasePatternSwitchLabelSyntax { Pattern: ConstantPatternSyntax constant } => constant.Expression,
                    _ => null,
                };
                if (value is null || model.GetConstantValue(value).Value is not int number)
                {
                    continue;
                }

                if (number < 0 || number >= cases.Count)
                {
                    context.ReportDiagnostic(Diagnostic.Create(Rule, value.GetLocation(),
                        $"The select has {cases.Count} case(s), numbered 0 to {cases.Count - 1} in the order they were added: case {number} never happens"));
                }
                else
                {
                    numbers.Add(number);
                }
            }

            if (numbers.Count == 1)
            {
                CheckReceived(context, section, receiver, cases[numbers[0]], numbers[0]);
            }
        }
    }

    // Received<T>() calls on the same select in a section whose case number is known.
    private static void CheckReceived(SyntaxNodeAnalysisContext context, SwitchSectionSyntax section, ISymbol? receiver, SelectCase selected, int number)
    {
        foreach (InvocationExpressionSyntax call in section.DescendantNodes().OfType<InvocationExpressionSyntax>())
        {
            if (call.Expression is not MemberAccessExpressionSyntax { Name: GenericNameSyntax { Identifier.ValueText: "Received" } name } access
                || receiver is null
                || !SymbolEqualityComparer.Default.Equals(context.SemanticModel.GetSymbolInfo(access.Expression).Symbol, receiver)
                || context.SemanticModel.GetSymbolInfo(call).Symbol is not IMethodSymbol { TypeArguments: { Length: 1 } arguments })
            {
                continue;
            }

            ITypeSymbol asked = arguments[0];
            if (selected.Kind != "Receive")
            {
                context.ReportDiagnostic(Diagnostic.Create(Rule, name.Identifier.GetLocation(),
                    $"Case {number} is the select's {selected.Kind.ToLowerInvariant()} case: Received<{asked.ToDisplayString()}>() would throw, as only a receive case has a value"));
            }
            else if (selected.Element is { } element && !SymbolEqualityComparer.Default.Equals(asked, element))
            {
                context.ReportDiagnostic(Diagnostic.Create(Rule, name.Identifier.GetLocation(),
                    $"Case {number} receives from a channel of {element.ToDisplayString()}: Received<{asked.ToDisplayString()}>() would throw; ask for Received<{element.ToDisplayString()}>()"));
            }
        }
    }

    // The select's receiver (a local or field, when it is one) and its cases, in order, from an
    // inline chain ending in WaitAsync() or Wait(); null when the expression is anything else.
    private static (ISymbol? Receiver, List<SelectCase> Cases)? CasesOf(ExpressionSyntax expression, SemanticModel model)
    {
        if (expression is not InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "WaitAsync" or "Wait" } wait }
            || model.GetSymbolInfo(wait).Symbol is not IMethodSymbol { ContainingType: { } select }
            || select.ToDisplayString() != "Goroutines.Channels.Select")
        {
            return null;
        }

        var cases = new List<SelectCase>();
        ExpressionSyntax current = wait.Expression;
        while (current is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access } step
            && model.GetSymbolInfo(step).Symbol is IMethodSymbol method
            && SymbolEqualityComparer.Default.Equals(method.ContainingType, select))
        {
            switch (method.Name)
            {
                case "Receive":
                    cases.Add(new SelectCase("Receive", method.TypeArguments.FirstOrDefault()));
                    break;
                case "Send":
                    cases.Add(new SelectCase("Send", method.TypeArguments.FirstOrDefault()));
                    break;
                case "Default":
                    cases.Add(new SelectCase("Default", null));
                    break;
                default:
                    return null; // another call in the chain: not the simple form
            }

            current = access.Expression;
        }

        if (cases.Count == 0)
        {
            return null; // the cases were added elsewhere: nothing to compare with
        }

        cases.Reverse(); // the chain was read from its end
        return (model.GetSymbolInfo(current).Symbol, cases);
    }

    private sealed class SelectCase(string kind, ITypeSymbol? element)
    {
        public string Kind { get; } = kind;

        public ITypeSymbol? Element { get; } = element;
    }
}
