// Licensed under the MIT License.

using System;
using System.IO;

namespace Goroutines.Diagnostics;

/// <summary>
/// What sysmon's periodic scheduler trace writes, and where: the period, the form (summary or
/// detailed) and the writer (stderr unless a test captures it). Immutable: the scheduler swaps
/// the whole object, so sysmon never sees a period from one setting and a writer from another.
/// </summary>
internal sealed class SchedTraceOptions
{
    /// <summary>Creates options for a trace every <paramref name="period"/>.</summary>
    public SchedTraceOptions(TimeSpan period, bool detailed, TextWriter writer)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(writer);
        Period = period;
        Detailed = detailed;
        Writer = writer;
    }

    /// <summary>The time between two trace snapshots (GODEBUG's schedtrace).</summary>
    public TimeSpan Period { get; }

    /// <summary>Whether each snapshot is the detailed form (GODEBUG's scheddetail=1).</summary>
    public bool Detailed { get; }

    /// <summary>Where the snapshots go; written by the sysmon thread only.</summary>
    public TextWriter Writer { get; }

    /// <summary>The options GODEBUG asks for, writing to stderr; null when schedtrace is off.</summary>
    public static SchedTraceOptions? FromGoDebug(GoDebug settings) =>
        settings.SchedTraceMilliseconds > 0
            ? new SchedTraceOptions(TimeSpan.FromMilliseconds(settings.SchedTraceMilliseconds), settings.SchedDetail, Console.Error)
            : null;
}
