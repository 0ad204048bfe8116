// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Reflection;
using System.Threading.Tasks;

namespace Goroutines.Tests.TestSupport;

/// <summary>
/// Runs a scenario in a child process (this test assembly, started with <c>dotnet</c>; the
/// entry point is here). For scenarios that provoke a scheduler bug which corrupts the runtime's
/// state: whatever follows — lost goroutines, an exception on a machine thread that ends the
/// process — stays in the child, and the test reads the outcome from its exit code and output.
/// </summary>
public static class ScenarioProcess
{
    private const int Passed = 0;
    private const int Failed = 1;
    private const int Usage = 64;

    /// <summary>The entry point of the child process: runs the scenario named by the first argument.</summary>
    /// <remarks>A scenario is a public static method <c>string Name()</c> of a class in this assembly,
    /// given as <c>Namespace.Type+Nested.Method</c>; it returns an empty string when it passed, else
    /// the failure.</remarks>
    public static int Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length != 1 || FindScenario(args[0]) is not { } scenario)
        {
            Console.Error.WriteLine("usage: dotnet Goroutines.Tests.dll <Type.Method of a scenario>");
            return Usage;
        }

        string failure = (string)scenario.Invoke(null, BindingFlags.DoNotWrapExceptions, binder: null, parameters: [], culture: null)!;
        Console.Out.Write(failure);
        Console.Out.Flush();
        return failure.Length == 0 ? Passed : Failed;
    }

    /// <summary>
    /// Runs <paramref name="scenario"/> (a static method group) in a child process and returns
    /// an empty string if it passed, else what went wrong: its failure, its crash, or a timeout.
    /// </summary>
    public static async Task<string> RunAsync(Func<string> scenario, TimeSpan? timeout = null)
    {
        ScenarioOutcome outcome = await RunForOutcomeAsync(scenario, environment: null, timeout);
        return outcome switch
        {
            { TimedOut: true } => $"The scenario {outcome.Name} did not end within {(timeout ?? TestTimeouts.Default).TotalSeconds} s.",
            { ExitCode: Passed } => string.Empty,
            { ExitCode: Failed } => outcome.StandardOutput,
            _ => $"The scenario {outcome.Name} ended with exit code {outcome.ExitCode}:\n{outcome.StandardOutput}\n{outcome.StandardError}".TrimEnd(),
        };
    }

    /// <summary>
    /// Runs <paramref name="scenario"/> in a child process with extra <paramref name="environment"/>
    /// variables and returns how it ended, for tests about the process itself (exit codes, stderr).
    /// </summary>
    public static Task<ScenarioOutcome> RunForOutcomeAsync(Func<string> scenario, IReadOnlyDictionary<string, string>? environment, TimeSpan? timeout = null) =>
        RunForOutcomeAsync(scenario, environment, ignoredSignals: [], onLine: null, timeout);

    /// <summary>
    /// Runs <paramref name="scenario"/> in a child process that starts with
    /// <paramref name="ignoredSignals"/> (names as <c>trap</c> takes them: <c>QUIT</c>, <c>INT</c>)
    /// ignored, as a shell's background job does, and calls <paramref name="onLine"/> with each line
    /// it writes on stdout as it comes, and the child (to signal it when it says it is ready).
    /// </summary>
    public static async Task<ScenarioOutcome> RunForOutcomeAsync(
        Func<string> scenario,
        IReadOnlyDictionary<string, string>? environment,
        IReadOnlyList<string> ignoredSignals,
        Action<string, Process>? onLine,
        TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(ignoredSignals);
        ArgumentNullException.ThrowIfNull(scenario);
        MethodInfo method = scenario.Method;
        if (!method.IsStatic || method.DeclaringType is null)
        {
            throw new ArgumentException("Pass a static method group, not a lambda.", nameof(scenario));
        }

        string name = $"{method.DeclaringType.FullName}.{method.Name}";
        string host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = new ProcessStartInfo(ignoredSignals.Count == 0 ? host : "/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (ignoredSignals.Count > 0)
        {
            // The shell ignores them and execs the host, which inherits SIG_IGN for each (POSIX
            // keeps ignored dispositions across exec); its pid stays the child's.
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add($"trap '' {string.Join(' ', ignoredSignals)}; exec \"$0\" \"$@\"");
            start.ArgumentList.Add(host);
        }

        start.ArgumentList.Add(typeof(ScenarioProcess).Assembly.Location);
        start.ArgumentList.Add(name);
        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using Process child = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {host}.");
        Task<string> output = onLine is null ? child.StandardOutput.ReadToEndAsync() : ReadLinesAsync(child, onLine);
        Task<string> errors = child.StandardError.ReadToEndAsync();
        try
        {
            await child.WaitForExitAsync().WaitAsync(timeout ?? TestTimeouts.Default);
        }
        catch (TimeoutException)
        {
            child.Kill(entireProcessTree: true);
            return new ScenarioOutcome(name, -1, string.Empty, string.Empty, TimedOut: true);
        }

        return new ScenarioOutcome(name, child.ExitCode, await output, await errors, TimedOut: false);
    }

    // Reads the child's stdout line by line, handing each to onLine as it arrives; returns all of it.
    private static async Task<string> ReadLinesAsync(Process child, Action<string, Process> onLine)
    {
        var all = new System.Text.StringBuilder();
        while (await child.StandardOutput.ReadLineAsync() is { } line)
        {
            all.Append(line).Append('\n');
            onLine(line, child);
        }

        return all.ToString();
    }

    private static MethodInfo? FindScenario(string name)
    {
        int dot = name.LastIndexOf('.');
        if (dot <= 0)
        {
            return null;
        }

        Type? type = typeof(ScenarioProcess).Assembly.GetType(name[..dot]);
        MethodInfo? method = type?.GetMethod(name[(dot + 1)..], BindingFlags.Public | BindingFlags.Static, Type.EmptyTypes);
        return method?.ReturnType == typeof(string) ? method : null;
    }
}

/// <summary>How a scenario's child process ended.</summary>
/// <param name="Name">The scenario, as <c>Type.Method</c>.</param>
/// <param name="ExitCode">The process's exit code; -1 when it timed out.</param>
/// <param name="StandardOutput">What it wrote on stdout.</param>
/// <param name="StandardError">What it wrote on stderr.</param>
/// <param name="TimedOut">Whether it was killed for taking too long.</param>
public sealed record ScenarioOutcome(string Name, int ExitCode, string StandardOutput, string StandardError, bool TimedOut);
