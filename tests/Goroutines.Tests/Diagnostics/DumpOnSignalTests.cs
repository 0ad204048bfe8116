// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
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

    [Fact]
    public async Task SigQuit_IgnoredWhenTheProcessStarted_StillWritesDump()
    {
        // A background job of a non-interactive shell (`sh -c 'prog &'`) starts with SIGQUIT
        // ignored; Go's runtime still dumps on it, and so must we.
        ScenarioOutcome outcome = await ScenarioProcess.RunForOutcomeAsync(
            Scenarios.ReportReadyThenWaitForSignal,
            new Dictionary<string, string> { [DumpOnSignal.EnvironmentVariable] = "1" },
            ignoredSignals: ["QUIT", "INT"],
            timeout: TestTimeouts.Default * 2, // beyond the child's own bounded wait, so its report arrives
            onLine: static (line, child) =>
            {
                if (line == Scenarios.ReadyLine)
                {
                    using Process kill = Process.Start("kill", $"-QUIT {child.Id}");
                    kill.WaitForExit();
                }
            });

        Assert.True(outcome.ExitCode == 0, $"{outcome.StandardOutput}\n{outcome.StandardError}");
        Assert.StartsWith("SIGQUIT: goroutine dump\n\n", outcome.StandardError, StringComparison.Ordinal);
        Assert.Contains($"{ScenariosName}.{nameof(Scenarios.ReceiveAsync)}(...)", outcome.StandardError, StringComparison.Ordinal);
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

        /// <summary>The line <see cref="ReportReadyThenWaitForSignal"/> writes once a SIGQUIT from outside may come.</summary>
        public const string ReadyLine = "ready for SIGQUIT";

        /// <summary>
        /// Parks a goroutine, checks that SIGQUIT is caught (and SIGINT, if the process started with it
        /// ignored, still ignored), writes <see cref="ReadyLine"/>, waits until a SIGQUIT from the test
        /// has been dumped, then lets the goroutine finish.
        /// </summary>
        public static string ReportReadyThenWaitForSignal()
        {
            var channel = new Chan<int>();
            using var parked = new ManualResetEventSlim();
            Go.Run(() => ReceiveAsync(channel, parked));
            if (!parked.Wait(TestTimeouts.Default) || !Poll.Until(() => IsParked(), TestTimeouts.Default))
            {
                return "the goroutine did not park";
            }

            if (SignalDisposition(SigQuit) is { } disposition && disposition != "caught")
            {
                return $"SIGQUIT is {disposition}, not caught: the dump handler is not installed";
            }

            if (SignalDisposition(SigInt) is { } interrupt && interrupt != "ignored")
            {
                return $"SIGINT is {interrupt}: a SIGINT ignored at start must stay ignored, as Go keeps it";
            }

            Console.Out.WriteLine(ReadyLine);
            Console.Out.Flush();
            if (!Poll.Until(() => DumpOnSignal.DumpsWritten == 1, TestTimeouts.Default))
            {
                return "the SIGQUIT sent after the ready line was not dumped";
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

        private const int SigInt = 2;
        private const int SigQuit = 3;

        // How the kernel will deliver signal, from /proc/self/status's SigIgn and SigCgt masks
        // ("ignored", "caught" or "default"); null where there is no /proc (not Linux).
        private static string? SignalDisposition(int signal)
        {
            const string Status = "/proc/self/status";
            if (!File.Exists(Status))
            {
                return null;
            }

            ulong bit = 1UL << (signal - 1);
            ulong Mask(string name) => File.ReadLines(Status).Where(line => line.StartsWith(name, StringComparison.Ordinal))
                .Select(line => ulong.Parse(line[name.Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture)).Single();
            return (Mask("SigIgn:") & bit) != 0 ? "ignored" : (Mask("SigCgt:") & bit) != 0 ? "caught" : "default";
        }

        private static bool IsParked() =>
            GoroutineDump.Capture().Goroutines is var all && all.Count > 0 && all[^1].State == GoroutineState.Waiting;
    }
}
