// Licensed under the MIT License.

using System;
using System.Globalization;

namespace Goroutines.Diagnostics;

// GoDebug: the runtime's reading of the GODEBUG environment variable, as Go's
// parsedebugvars. GODEBUG is a comma-separated list of name=value pairs; the
// runtime reads it once, when the scheduler starts, and only the keys it knows:
//   schedtrace=N   every N milliseconds (N > 0) sysmon writes a scheduler trace
//                  line to stderr (SchedulerTrace.cs);
//   scheddetail=1  the trace is the detailed form, one line per P, M and G.
// Other keys, and values that are not positive integers, are ignored, as Go
// ignores them. scheddetail without schedtrace writes nothing, as in Go.
//
// Invariants:
// - A parsed value is immutable; changing the environment afterwards has no effect.

/// <summary>The GODEBUG settings the runtime acts on.</summary>
/// <param name="SchedTraceMilliseconds">The schedtrace period in milliseconds; 0 when off.</param>
/// <param name="SchedDetail">Whether scheddetail asks for the detailed trace.</param>
internal readonly record struct GoDebug(int SchedTraceMilliseconds, bool SchedDetail)
{
    /// <summary>The name of the environment variable, as Go's.</summary>
    public const string EnvironmentVariable = "GODEBUG";

    /// <summary>Reads GODEBUG from the environment.</summary>
    /// <remarks>Go: parsedebugvars.</remarks>
    public static GoDebug FromEnvironment() => Parse(Environment.GetEnvironmentVariable(EnvironmentVariable));

    /// <summary>
    /// Parses a GODEBUG value: comma-separated name=value pairs. A later pair overrides an
    /// earlier one of the same name, as in Go; unknown names and malformed pairs are ignored.
    /// </summary>
    public static GoDebug Parse(string? value)
    {
        int schedTrace = 0;
        bool schedDetail = false;
        if (string.IsNullOrEmpty(value))
        {
            return default;
        }

        foreach (string pair in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }

            ReadOnlySpan<char> name = pair.AsSpan(0, equals);
            ReadOnlySpan<char> setting = pair.AsSpan(equals + 1);
            if (!int.TryParse(setting, NumberStyles.None, CultureInfo.InvariantCulture, out int number))
            {
                continue;
            }

            if (name.SequenceEqual("schedtrace"))
            {
                schedTrace = number;
            }
            else if (name.SequenceEqual("scheddetail"))
            {
                schedDetail = number > 0;
            }
        }

        return new GoDebug(schedTrace, schedDetail);
    }
}
