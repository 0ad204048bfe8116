// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading.Tasks;

using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Scheduling;

/// <summary>
/// What the runtime does to its process: the GOMAXPROCS environment variable, and the default
/// panic report with exit code 2. Each runs in a child process with a fresh runtime.
/// </summary>
public sealed class ProcessLevelTests
{
    [Fact]
    public async Task MaxProcs_GomaxprocsEnvironmentVariable_SetsTheStartingValue()
    {
        ScenarioOutcome outcome = await ScenarioProcess.RunForOutcomeAsync(
            Scenarios.PrintMaxProcs, new Dictionary<string, string> { ["GOMAXPROCS"] = "3" });

        Assert.False(outcome.TimedOut);
        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal("3", outcome.StandardOutput.Trim());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-2")]
    [InlineData("many")]
    public async Task MaxProcs_InvalidGomaxprocsEnvironmentVariable_FallsBackToNumCpu(string value)
    {
        ScenarioOutcome outcome = await ScenarioProcess.RunForOutcomeAsync(
            Scenarios.PrintMaxProcs, new Dictionary<string, string> { ["GOMAXPROCS"] = value });

        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal(Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture), outcome.StandardOutput.Trim());
    }

    [Fact]
    public async Task Panic_NoHandlerInstalled_PrintsGoReportAndExitsWithCodeTwo()
    {
        ScenarioOutcome outcome = await ScenarioProcess.RunForOutcomeAsync(Scenarios.PanicWithoutHandler, environment: null);

        Assert.False(outcome.TimedOut);
        Assert.Equal(2, outcome.ExitCode);
        Assert.Matches(@"^panic: boom from a goroutine\n\ngoroutine \d+ \[running\]:\nSystem\.InvalidOperationException: boom from a goroutine\n", outcome.StandardError);
        Assert.Matches(@"\ncreated by Goroutines\.Tests\.Scheduling\.ProcessLevelTests\.Scenarios\.PanicWithoutHandler\.func\d+ in goroutine \d+\n\t.*ProcessLevelTests\.cs:\d+\n$", outcome.StandardError);
        Assert.DoesNotContain("not reached", outcome.StandardOutput, StringComparison.Ordinal);
    }

    /// <summary>The child processes' bodies (see <see cref="ScenarioProcess"/>).</summary>
    public static class Scenarios
    {
        public static string PrintMaxProcs()
        {
            Console.Out.WriteLine(Go.MaxProcs.ToString(CultureInfo.InvariantCulture));
            return string.Empty;
        }

        public static string PanicWithoutHandler()
        {
            var never = new TaskCompletionSource();
            Go.Main(async () =>
            {
                Go.Run(() => throw new InvalidOperationException("boom from a goroutine"));
                await never.Task; // the panic ends the process first
            });
            return "not reached";
        }
    }
}
