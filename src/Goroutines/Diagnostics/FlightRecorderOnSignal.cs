// Licensed under the MIT License.

using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;

namespace Goroutines.Diagnostics;

// FlightRecorderOnSignal: a flight recorder snapshot on demand from outside the process,
// as DumpOnSignal gives a goroutine dump: `kill -USR1 <pid>` writes the last window of
// the execution trace to a file.
//
// Opt-in with the environment variable GOROUTINES_FLIGHT_RECORDER, read once when the
// runtime starts: its value names the file a snapshot is written to (the directory must
// exist); "0" or nothing leaves it off. When set, the runtime starts a flight recorder
// with the default options right away, so there is a window to write when the signal
// comes, and SIGUSR1 writes the snapshot of whichever flight recorder runs then (an app
// that wants other options stops this one, FlightRecorder.Running, and starts its own;
// starting a second while it runs throws, as always). Each snapshot replaces the file
// whole: it is written next to it and moved over it, so a reader never sees half of
// one. SIGUSR1, not SIGQUIT, because SIGQUIT is the goroutine dump's (and Go's);
// SIGUSR1's default would end the process, which the handler cancels. Windows has no
// SIGUSR1: there the variable starts the recorder only, and the HTTP endpoint or
// FlightRecorder.WriteTo is the way.
//
// Unlike SIGQUIT (DumpOnSignal.cs), SIGUSR1 is not among the signals a shell that is not
// interactive sets to ignored for its background jobs, so its inherited disposition is
// left alone: a process started with SIGUSR1 ignored on purpose keeps it so.
//
// The handler runs on .NET's signal-handling thread, never on a machine, so a snapshot
// is taken even when every processor is held by goroutines that never yield.
//
// Invariants:
// - Installed at most once per process; the registration lives as long as the process.
// - A failure to write the snapshot is reported on stderr, never thrown into the signal thread.
internal static class FlightRecorderOnSignal
{
    /// <summary>The environment variable that turns the recorder and the trigger on.</summary>
    public const string EnvironmentVariable = "GOROUTINES_FLIGHT_RECORDER";

    private static PosixSignalRegistration? s_registration;
    private static int s_snapshotsWritten;

    /// <summary>Snapshots written since the process started (for tests that must know one was).</summary>
    public static int SnapshotsWritten => Volatile.Read(ref s_snapshotsWritten);

    /// <summary>
    /// SIGUSR1's number: 10 on Linux, 30 on macOS and the BSDs. .NET's <see cref="PosixSignal"/>
    /// has no name for it and takes the raw number, cast.
    /// </summary>
    internal static PosixSignal UserSignal1 => (PosixSignal)(OperatingSystem.IsLinux() ? 10 : 30);

    /// <summary>Starts the recorder and installs the SIGUSR1 handler if the environment variable asks for it. Once, at the runtime's start.</summary>
    public static void InstallFromEnvironment()
    {
        string? path = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrEmpty(path) || path == "0" || s_registration is not null)
        {
            return;
        }

        _ = FlightRecorder.Start(); // runs for the life of the process, as the variable asks
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        s_registration = PosixSignalRegistration.Create(UserSignal1, context =>
        {
            context.Cancel = true; // the process goes on
            Write(path);
        });
    }

    private static void Write(string path)
    {
        FlightRecorder? recorder = FlightRecorder.Running;
        if (recorder is null)
        {
            Console.Error.WriteLine($"goroutines: SIGUSR1: no flight recorder is running, so there is no snapshot to write to {path}; start one with FlightRecorder.Start().");
            return;
        }

        string temporary = path + ".tmp";
        try
        {
            using (FileStream file = File.Create(temporary))
            {
                recorder.WriteTo(file);
            }

            File.Move(temporary, path, overwrite: true);
            Interlocked.Increment(ref s_snapshotsWritten);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            Console.Error.WriteLine($"goroutines: SIGUSR1: could not write the flight recorder's snapshot to {path} ({ex.Message}); {EnvironmentVariable} must name a file in a directory that exists.");
        }
    }
}
