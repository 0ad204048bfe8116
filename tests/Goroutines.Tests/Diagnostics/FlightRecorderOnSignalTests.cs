// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Diagnostics;
using Goroutines.Sync;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Diagnostics;

// Each scenario runs in a child process with GOROUTINES_FLIGHT_RECORDER set (the runtime reads
// it at start and starts a flight recorder), runs goroutines, sends itself SIGUSR1 and waits
// until the runtime counted the snapshot.
public sealed class FlightRecorderOnSignalTests
{
    [Fact]
    public async Task SigUsr1_WithFileSetting_WritesTheWindowAndProcessGoesOn()
    {
        string path = Path.Combine(Path.GetTempPath(), $"goroutines-flight-{Guid.NewGuid():N}.json");
        try
        {
            ScenarioOutcome outcome = await ScenarioProcess.RunForOutcomeAsync(
                Scenarios.PingPongThenSignalTwice,
                new Dictionary<string, string> { [FlightRecorderOnSignal.EnvironmentVariable] = path });

            Assert.True(outcome.ExitCode == 0, $"{outcome.StandardOutput}\n{outcome.StandardError}");
            Assert.Equal(string.Empty, outcome.StandardError);
            Assert.False(File.Exists(path + ".tmp"), "the temporary file was left behind");
            using JsonDocument json = JsonDocument.Parse(await File.ReadAllBytesAsync(path));
            JsonElement other = json.RootElement.GetProperty("otherData");
            Assert.Equal("Goroutines flight recorder", other.GetProperty("producer").GetString());

            // The second snapshot replaced the first: it holds the second ping-pong too.
            JsonElement[] parked = [.. json.RootElement.GetProperty("traceEvents").EnumerateArray()
                .Where(e => e.GetProperty("ph").GetString() == "X" && e.GetProperty("pid").GetInt32() == 1
                    && e.GetProperty("args").GetProperty("outcome").GetString() == "parked")];
            Assert.True(parked.Length >= 2 * Scenarios.Rounds, $"{parked.Length} parked steps, expected at least {2 * Scenarios.Rounds}.");
        }
        finally
        {
            File.Delete(path);
            File.Delete(path + ".tmp");
        }
    }

    [Fact]
    public async Task Start_WithVariableSet_RecorderAlreadyRunsSoAnotherStartThrows()
    {
        string path = Path.Combine(Path.GetTempPath(), $"goroutines-flight-{Guid.NewGuid():N}.json");
        string failure = (await ScenarioProcess.RunForOutcomeAsync(
            Scenarios.RecorderRunsAtStart,
            new Dictionary<string, string> { [FlightRecorderOnSignal.EnvironmentVariable] = path })) switch
        {
            { ExitCode: 0 } => string.Empty,
            var outcome => $"{outcome.ExitCode}: {outcome.StandardOutput}\n{outcome.StandardError}",
        };

        Assert.Equal(string.Empty, failure);
    }

    /// <summary>Scenarios for the child process.</summary>
    public static class Scenarios
    {
        /// <summary>Round trips per ping-pong.</summary>
        public const int Rounds = 100;

        /// <summary>Two ping-pongs, each followed by SIGUSR1 and a wait for its snapshot.</summary>
        public static string PingPongThenSignalTwice()
        {
            for (int snapshots = 1; snapshots <= 2; snapshots++)
            {
                PingPong();
                using (Process kill = Process.Start("kill", $"-USR1 {Environment.ProcessId}"))
                {
                    kill.WaitForExit();
                }

                int expected = snapshots;
                if (!Poll.Until(() => FlightRecorderOnSignal.SnapshotsWritten == expected, TestTimeouts.Default))
                {
                    return $"snapshot {snapshots} was not written";
                }
            }

            return string.Empty;
        }

        /// <summary>Checks that the variable started a recorder, which blocks another.</summary>
        public static string RecorderRunsAtStart()
        {
            _ = Go.NumGoroutine; // starts the runtime
            if (FlightRecorder.Running is not { IsRunning: true } running || running.MinAge != FlightRecorderOptions.DefaultMinAge)
            {
                return "no flight recorder runs with the default options";
            }

            try
            {
                FlightRecorder.Start().Dispose();
                return "a second flight recorder started";
            }
            catch (InvalidOperationException)
            {
                return string.Empty;
            }
        }

        private static void PingPong()
        {
            var ping = new Chan<int>();
            var pong = new Chan<int>();
            var done = new WaitGroup();
            done.Add(2);
            Go.Run(async () =>
            {
                for (int i = 0; i < Rounds; i++)
                {
                    await pong.SendAsync(await ping.ReceiveAsync());
                }

                done.Done();
            });
            Go.Run(async () =>
            {
                for (int i = 0; i < Rounds; i++)
                {
                    await ping.SendAsync(i);
                    await pong.ReceiveAsync();
                }

                done.Done();
            });
            done.Wait();
        }
    }
}
