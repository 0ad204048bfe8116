// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Diagnostics;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Diagnostics;

// Each scenario runs in a child process with GOROUTINES_DUMP_ON_SIGQUIT set (the runtime reads
// it at start), parks a goroutine, sends itself SIGQUIT and waits until the runtime counted the dump.
public sealed class DumpOnSignalTests
{
    [Fact]
    public async Task SigQuit_WithStderrSetting_WritesDumpAndProcessGoesOn()
    {
        ScenarioOutcome outcome = await ScenarioProcess.RunForOutcomeAsync(
            Scenarios.ParkThenSignalTwice,
            new Dictionary<string, string> { [DumpOnSignal.EnvironmentVariable] = "1" });

        Assert.True(outcome.ExitCode == 0, $"{outcome.StandardOutput}\n{outcome.StandardError}");
        Assert.StartsWith("SIGQUIT: goroutine dump\n\n", outcome.StandardError, StringComparison.Ordinal);
        Assert.True(
            outcome.StandardError.Contains($" [chan receive]:\n{ScenariosName}.{nameof(Scenarios.ReceiveAsync)}(...)\n", StringComparison.Ordinal),
            $"The parked goroutine's frame is not in the dump:\n{outcome.StandardError}");
        Assert.Equal(2, CountOccurrences(outcome.StandardError, "SIGQUIT: goroutine dump"));
    }

    [Fact]
    public async Task SigQuit_WithFileSetting_AppendsDumpToTheFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"goroutines-dump-{Guid.NewGuid():N}.txt");
        try
        {
            ScenarioOutcome outcome = await ScenarioProcess.RunForOutcomeAsync(
                Scenarios.ParkThenSignalTwice,
                new Dictionary<string, string> { [DumpOnSignal.EnvironmentVariable] = path });

            Assert.True(outcome.ExitCode == 0, $"{outcome.StandardOutput}\n{outcome.StandardError}");
            Assert.Equal(string.Empty, outcome.StandardError);
            string dump = await File.ReadAllTextAsync(path);
            Assert.Equal(2, CountOccurrences(dump, "SIGQUIT: goroutine dump"));
            Assert.Contains($"{ScenariosName}.{nameof(Scenarios.ReceiveAsync)}(...)", dump, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    // Dumps join nested type names with '.', as .NET stack traces do.
    private static string ScenariosName => typeof(Scenarios).FullName!.Replace('+', '.');

    private static int CountOccurrences(string text, string value)
    {
        int count = 0;
        for (int at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    /// <summary>Scenarios for the child process.</summary>
    public static class Scenarios
    {
        /// <summary>Parks a goroutine, sends SIGQUIT twice (waiting for each dump), then lets the goroutine finish.</summary>
        public static string ParkThenSignalTwice()
        {
            var channel = new Chan<int>();
            using var parked = new ManualResetEventSlim();
            Go.Run(() => ReceiveAsync(channel, parked));
            if (!parked.Wait(TestTimeouts.Default) || !Poll.Until(() => IsParked(), TestTimeouts.Default))
            {
                return "the goroutine did not park";
            }

            for (int dumps = 1; dumps <= 2; dumps++)
            {
                using (Process kill = Process.Start("kill", $"-QUIT {Environment.ProcessId}"))
                {
                    kill.WaitForExit();
                }

                int expected = dumps;
                if (!Poll.Until(() => DumpOnSignal.DumpsWritten == expected, TestTimeouts.Default))
                {
                    return $"dump {dumps} was not written";
                }
            }

            channel.Send(1);
            return string.Empty;
        }

        /// <summary>The goroutine the dumps show: parked receiving.</summary>
        public static async Task ReceiveAsync(Chan<int> channel, ManualResetEventSlim parked)
        {
            parked.Set();
            await channel.ReceiveAsync();
        }

        private static bool IsParked() =>
            GoroutineDump.Capture().Goroutines is var all && all.Count > 0 && all[^1].State == GoroutineState.Waiting;
    }
}
