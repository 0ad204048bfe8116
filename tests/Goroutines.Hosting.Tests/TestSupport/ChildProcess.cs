// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Goroutines.Hosting.Tests.TestSupport;

/// <summary>
/// Runs a hosted application in a child process (this test assembly, started with <c>dotnet</c>;
/// the entry point is here), for the panic policy that ends the process: the test reads the
/// outcome from the child's exit code and output.
/// </summary>
public static class ChildProcess
{
    /// <summary>The argument that runs <see cref="RunHostWhoseGoroutinePanics"/> with <see cref="GoroutinePanicPolicy.ExitProcess"/>.</summary>
    public const string ExitProcessPanic = "exit-process-panic";

    /// <summary>What the child writes on stdout if its host ever returns (it must not).</summary>
    public const string HostReturned = "the host returned";

    private const int Usage = 64;

    /// <summary>The entry point of the child process.</summary>
    public static int Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args is not [ExitProcessPanic])
        {
            Console.Error.WriteLine($"usage: dotnet Goroutines.Hosting.Tests.dll {ExitProcessPanic}");
            return Usage;
        }

        RunHostWhoseGoroutinePanics(GoroutinePanicPolicy.ExitProcess);
        Console.Out.WriteLine(HostReturned);
        return 0;
    }

    /// <summary>Runs the child with <paramref name="argument"/> and returns how it ended; kills it after <see cref="TestTimeouts.Default"/>.</summary>
    public static async Task<ChildOutcome> RunAsync(string argument)
    {
        string host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);
        start.ArgumentList.Add(argument);

        using Process child = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {host}.");
        Task<string> output = child.StandardOutput.ReadToEndAsync();
        Task<string> errors = child.StandardError.ReadToEndAsync();
        try
        {
            await child.WaitForExitAsync().WaitAsync(TestTimeouts.Default);
        }
        catch (TimeoutException)
        {
            child.Kill(entireProcessTree: true);
            return new ChildOutcome(-1, await output, await errors, TimedOut: true);
        }

        return new ChildOutcome(child.ExitCode, await output, await errors, TimedOut: false);
    }

    // A host with one goroutine service that throws at once. Every message it logs is written on
    // stdout when the process exits (an exit from the panic handler runs the process-exit handlers).
    private static void RunHostWhoseGoroutinePanics(GoroutinePanicPolicy policy)
    {
        var logs = new CapturingLoggerProvider();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            Console.Out.WriteLine(logs.Describe());
            Console.Out.Flush();
        };

        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.SetMinimumLevel(LogLevel.Trace).AddProvider(logs);
        builder.Services
            .AddGoroutines(o => o.PanicPolicy = policy)
            .AddGoroutine((ctx, sp) => throw new InvalidOperationException("boom"));
        using IHost host = builder.Build();
        host.Run();
    }
}

/// <summary>How a child process ended.</summary>
/// <param name="ExitCode">Its exit code; -1 when it was killed for taking too long.</param>
/// <param name="StandardOutput">What it wrote on stdout.</param>
/// <param name="StandardError">What it wrote on stderr.</param>
/// <param name="TimedOut">Whether it was killed for taking too long.</param>
public sealed record ChildOutcome(int ExitCode, string StandardOutput, string StandardError, bool TimedOut);
