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
// A process can start with SIGQUIT ignored: a shell that is not interactive starts
// its background jobs (`sh -c 'prog &'`, many service scripts) with SIGINT and
// SIGQUIT set to SIG_IGN, and exec keeps that. .NET then installs no handler for a
// PosixSignalRegistration of SIGQUIT, so the dump would silently never come. Go's
// runtime keeps only SIGHUP and SIGINT ignored when they were ignored at start and
// takes SIGQUIT regardless; so do we, when the variable asks for the dump: before
// registering, an ignored SIGQUIT is set back to its default (sigaction to read the
// disposition, signal to reset it), so that .NET's handler is installed. SIGINT and
// every other signal keep what the process inherited. Without the variable nothing
// changes. Rejected: installing our own native handler (it would fight .NET's own
// signal handling and needs a function pointer into managed code from a signal).
//
// Invariants:
// - Installed at most once per process; the registration lives as long as the process.
// - A failure to write the dump is reported on stderr, never thrown into the signal thread.
internal static partial class DumpOnSignal
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
        TakeSigQuitIfIgnored();
        s_registration = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, context =>
        {
            context.Cancel = true; // the process goes on
            Write(path);
        });
    }

    // Signal numbers and dispositions are the same on Linux and macOS: SIGQUIT is 3, SIG_DFL 0,
    // SIG_IGN 1. Both lay out struct sigaction with the handler first.
    private const int SigQuit = 3;
    private const nint DefaultDisposition = 0;
    private const nint IgnoredDisposition = 1;

    // Larger than struct sigaction on every platform we run on (152 bytes on Linux x64, 16 on macOS).
    private const int SigactionBufferBytes = 256;

    /// <summary>Sets SIGQUIT back to its default if the process started with it ignored (see the header). Linux and macOS.</summary>
    private static unsafe void TakeSigQuitIfIgnored()
    {
        byte* current = stackalloc byte[SigactionBufferBytes];
        if (ReadSignalAction(SigQuit, null, current) == 0 && *(nint*)current == IgnoredDisposition)
        {
            _ = SetSignalDisposition(SigQuit, DefaultDisposition);
        }
    }

    [LibraryImport("libc", EntryPoint = "sigaction")]
    private static unsafe partial int ReadSignalAction(int signal, void* action, void* previous);

    [LibraryImport("libc", EntryPoint = "signal")]
    private static partial nint SetSignalDisposition(int signal, nint disposition);

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
