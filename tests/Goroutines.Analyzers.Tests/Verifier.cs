// Licensed under the MIT License.

using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;

using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace Goroutines.Analyzers.Tests;

/// <summary>
/// Runs an analyzer (and its code fix) on a test source compiled against this process's own
/// runtime assemblies and the Goroutines library, so no reference pack is downloaded. The
/// source gets the default console project's implicit usings.
/// </summary>
internal static class Verifier<TAnalyzer, TCodeFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;

        """;

    private static readonly MetadataReference[] s_references = [..
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(path => Path.GetFileName(path).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(path) is "mscorlib.dll" or "netstandard.dll")
            .Append(typeof(Go).Assembly.Location)
            .Select(path => MetadataReference.CreateFromFile(path))];

    /// <summary>Checks that the analyzer reports exactly <paramref name="expected"/> on <paramref name="source"/>.</summary>
    public static Task VerifyAnalyzerAsync(string source, params DiagnosticResult[] expected) => VerifyCodeFixAsync(source, expected, source);

    /// <summary>Checks the diagnostics, then that the fix turns <paramref name="source"/> into <paramref name="fixedSource"/>.</summary>
    public static Task VerifyCodeFixAsync(string source, DiagnosticResult[] expected, string fixedSource)
    {
        var test = new CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
        {
            TestCode = source,
            FixedCode = fixedSource,
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
        };
        test.TestState.Sources.Add(("Usings.cs", ImplicitUsings));
        test.FixedState.Sources.Add(("Usings.cs", ImplicitUsings));
        test.TestState.AdditionalReferences.AddRange(s_references);
        test.FixedState.AdditionalReferences.AddRange(s_references);
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    /// <summary>A diagnostic of the analyzer's rule at markup location <paramref name="markupKey"/>.</summary>
    public static DiagnosticResult Diagnostic() => new DiagnosticResult(new TAnalyzer().SupportedDiagnostics[0]);
}
