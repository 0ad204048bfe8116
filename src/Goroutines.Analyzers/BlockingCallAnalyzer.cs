// Licensed under the MIT License.

using System.Collections.Immutable;
using System.Linq;

using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Goroutines.Analyzers;

/// <summary>
/// GOR003: a call that blocks the thread in a goroutine's async body where an async form exists:
/// <c>Thread.Sleep</c>, <c>Task.Wait</c>, <c>Task.Result</c>, <c>GetAwaiter().GetResult()</c>, and
/// this library's synchronous forms (<c>Send</c>, <c>Receive</c>, <c>Lock</c>, <c>Wait</c>,
/// <c>Sleep</c>, ...: any method of a Goroutines type that has an <c>...Async</c> sibling).
/// The goroutine holds its thread meanwhile; the runtime hands its processor off, at the cost
/// of a thread per blocked goroutine.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class BlockingCallAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The rule's id.</summary>
    public const string Id = "GOR003";

    /// <summary>The property that names the async form a code fix awaits instead.</summary>
    public const string AsyncFormProperty = "AsyncForm";

    internal static readonly DiagnosticDescriptor Rule = new(
        Id,
        "Blocking call in a goroutine's async body",
        "'{0}' blocks the goroutine's thread; await '{1}' instead",
        "Goroutines",
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "A goroutine that blocks its thread keeps it from every other goroutine: the runtime hands the processor to another thread, one thread per blocked goroutine. In an async body, await the async form. Help: docs/analyzers/GOR003.md.");

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [Rule];

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSyntaxNodeAction(AnalyzeInvocation, SyntaxKind.InvocationExpression);
        context.RegisterSyntaxNodeAction(AnalyzeResult, SyntaxKind.SimpleMemberAccessExpression);
    }

    private static void AnalyzeInvocation(SyntaxNodeAnalysisContext context)
    {
        var invocation = (InvocationExpressionSyntax)context.Node;
        if (context.SemanticModel.GetSymbolInfo(invocation, context.CancellationToken).Symbol is not IMethodSymbol method
            || !InAsyncGoroutineBody(invocation, context.SemanticModel))
        {
            return;
        }

        string? asyncForm = AsyncFormOf(method);
        if (asyncForm is not null)
        {
            Location location = invocation.Expression is MemberAccessExpressionSyntax access ? access.Name.GetLocation() : invocation.GetLocation();
            var properties = ImmutableDictionary<string, string?>.Empty.Add(AsyncFormProperty, asyncForm);
            context.ReportDiagnostic(Diagnostic.Create(Rule, location, properties, Describe(method), asyncForm));
        }
    }

    // Task<T>.Result.
    private static void AnalyzeResult(SyntaxNodeAnalysisContext context)
    {
        var access = (MemberAccessExpressionSyntax)context.Node;
        if (access.Name.Identifier.ValueText == "Result"
            && context.SemanticModel.GetSymbolInfo(access, context.CancellationToken).Symbol is IPropertySymbol { ContainingType: { } type }
            && IsTask(type)
            && InAsyncGoroutineBody(access, context.SemanticModel))
        {
            var properties = ImmutableDictionary<string, string?>.Empty.Add(AsyncFormProperty, "await");
            context.ReportDiagnostic(Diagnostic.Create(Rule, access.Name.GetLocation(), properties, "Task.Result", "the task"));
        }
    }

    private static bool InAsyncGoroutineBody(SyntaxNode node, SemanticModel model) =>
        GoroutineBodies.Enclosing(node, model) is { AsyncKeyword.RawKind: (int)SyntaxKind.AsyncKeyword };

    // The async form to await instead of a blocking method, or null when it is not one.
    private static string? AsyncFormOf(IMethodSymbol method)
    {
        INamedTypeSymbol? type = method.ContainingType;
        string? typeName = type?.OriginalDefinition.ToDisplayString();
        switch (typeName, method.Name)
        {
            case ("System.Threading.Thread", "Sleep"):
                return "Task.Delay";
            case ("System.Threading.Tasks.Task" or "System.Threading.Tasks.Task<TResult>", "Wait"):
                return "the task";
            case ("System.Runtime.CompilerServices.TaskAwaiter" or "System.Runtime.CompilerServices.TaskAwaiter<TResult>"
                or "System.Runtime.CompilerServices.ValueTaskAwaiter" or "System.Runtime.CompilerServices.ValueTaskAwaiter<TResult>", "GetResult"):
                return "the task";
        }

        // This library's synchronous forms: a method with an async sibling of the same parameters.
        // Not ErrorGroup.Go, Go's errgroup form, which blocks only under a limit (SetLimit).
        if (type is null || typeName is null || !typeName.StartsWith("Goroutines.", System.StringComparison.Ordinal)
            || method.Name.StartsWith("Try", System.StringComparison.Ordinal) || method.Name.EndsWith("Async", System.StringComparison.Ordinal)
            || (typeName, method.Name) is ("Goroutines.Sync.ErrorGroup", "Go"))
        {
            return null;
        }

        string asyncName = method.Name + "Async";
        bool hasSibling = type.GetMembers(asyncName).OfType<IMethodSymbol>().Any(candidate =>
            candidate.IsStatic == method.IsStatic
            && candidate.Parameters.Length >= method.Parameters.Length
            && method.Parameters.Select((p, i) => SymbolEqualityComparer.Default.Equals(p.Type, candidate.Parameters[i].Type)).All(same => same));
        return hasSibling ? asyncName : null;
    }

    private static string Describe(IMethodSymbol method) => $"{method.ContainingType.Name}.{method.Name}";

    private static bool IsTask(INamedTypeSymbol type) =>
        type.OriginalDefinition.ToDisplayString() is "System.Threading.Tasks.Task<TResult>" or "System.Threading.Tasks.ValueTask<TResult>";
}
