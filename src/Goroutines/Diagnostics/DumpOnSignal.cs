// Licensed under the MIT License.

using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;

namespace Goroutines.Diagnostics;

// DumpOnSignal: a goroutine dump on demand from outside the process, in the spirit
// of Go's SIGQUIT dump: `kill -QUIT <pid>` (or Ctrl+\ in a terminal) writes the dump
// of every goroutine.
//
// Opt-in with the environment variable GOROUTINES_DUMP_ON_SIGQUIT, read once when
// the runtime starts: "1" writes to stderr, any other value but "0" names a file
// the dump is appended to (the directory must exist). Unlike Go, the process goes on
// afterwards: a .NET service asked for its goroutines should not die of the
// question (Go's GOTRACEBACK=crash-style exit is what `kill -TERM` is for). Without
// the variable SIGQUIT keeps the platform's default. Windows has no SIGQUIT; there
// the variable is ignored, and GoroutineDump.Capture is the way.
//
// The handler runs on .NET's signal-handling thread, never on a machine, so a dump
// is taken even when every processor is held by goroutines that never yield.
//
// Invariants:
// - Installed at most once per process; the registration lives as long as the process.
// - A failure to write the dump is reported on stderr, never thrown into the signal thread.
internal static class DumpOnSignal
{
    /// <summary>The environment variable that turns the trigger on.</summary>
    public const string EnvironmentVariable = "GOROUTINES_DUMP_ON_SIGQUIT";

    private static PosixSignalRegistration? s_registration;
    private static int s_dumpsWritten;

    /// <summary>Dumps written since the process started (for tests that must know one was).</summary>
    public static int DumpsWritten => Volatile.Read(ref s_dumpsWritten);

    /// <summary>Installs the SIGQUIT handler if the environment variable asks for it. Once, at the runtime's start.</summary>
    public static void InstallFromEnvironment()
    {
        string? setting = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrEmpty(setting) || setting == "0" || OperatingSystem.IsWindows() || s_registration is not null)
        {
            return;
        }

        string? path = setting == "1" ? null : setting;
        s_registration = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, context =>
        {
            context.Cancel = true; // the process goes on
            Write(path);
        });
    }

    private static void Write(string? path)
    {
        string text = $"SIGQUIT: goroutine dump\n\n{GoroutineDump.Capture()}\n";
        try
        {
            if (path is null)
            {
                Console.Error.Write(text);
                Console.Error.Flush();
            }
            else
            {
                File.AppendAllText(path, text);
            }

            Interlocked.Increment(ref s_dumpsWritten);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"goroutines: could not write the goroutine dump to {path} ({ex.Message}); set {EnvironmentVariable}=1 to write it to stderr.");
        }
    }
}
