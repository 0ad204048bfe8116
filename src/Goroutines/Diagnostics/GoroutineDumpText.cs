// Licensed under the MIT License.

using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace Goroutines.Diagnostics;

// GoroutineDumpText: Go's two text forms of the goroutine profile, for dumps, panics,
// the deadlock report and the leak checker's failures.
//
//   Full (pprof debug=2, Go's SIGQUIT and panic traceback):
//     goroutine 18 [chan receive, 2 minutes]:
//     MyApp.Worker.RunAsync(...)
//     	/src/Worker.cs:42
//     created by Main in goroutine 1
//     	/src/Program.cs:12
//
//   Grouped (pprof debug=1): a count line per distinct (state, frames, creation
//   site), the largest group first, frames prefixed with '#'. Go's count line lists
//   program counters after '@'; a stackless goroutine has none, so ours gives the state.
//
// A goroutine running on another thread has no readable frames; Go's own words
// for that case are used. Durations are left out of the grouping, so goroutines
// parked at the same place for different times count together.
internal static class GoroutineDumpText
{
    /// <summary>Every goroutine on its own, separated by blank lines, as Go's debug=2.</summary>
    public static string Full(IEnumerable<GoroutineInfo> goroutines)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        WriteFull(writer, goroutines);
        return writer.ToString();
    }

    /// <summary>Writes <see cref="Full"/>'s text goroutine by goroutine, never holding the whole dump as one string.</summary>
    public static void WriteFull(TextWriter writer, IEnumerable<GoroutineInfo> goroutines)
    {
        var text = new StringBuilder(256);
        bool first = true;
        foreach (GoroutineInfo g in goroutines)
        {
            text.Clear();
            if (!first)
            {
                text.Append('\n');
            }

            first = false;
            AppendGoroutine(text, g);
            writer.Write(text);
        }
    }

    /// <summary>One goroutine: header, frames, creation site.</summary>
    public static void AppendGoroutine(StringBuilder text, GoroutineInfo g)
    {
        text.Append(CultureInfo.InvariantCulture, $"goroutine {g.Id} [{g.StateText}]:\n");
        if (g.Frames.Count == 0 && g.State is GoroutineState.Running or GoroutineState.BlockingCall)
        {
            text.Append("\tgoroutine running on other thread; stack unavailable\n");
        }

        foreach (GoroutineFrame frame in g.Frames)
        {
            text.Append(frame.Function).Append("(...)\n");
            AppendSource(text, frame, prefix: "\t");
        }

        AppendCreatedBy(text, g.CreatedBy, g.CreatorId);
    }

    /// <summary>Go's <c>created by X in goroutine N</c> and its source line.</summary>
    public static void AppendCreatedBy(StringBuilder text, GoroutineFrame createdBy, long creatorId)
    {
        text.Append("created by ").Append(createdBy.Function);
        if (creatorId != 0)
        {
            text.Append(CultureInfo.InvariantCulture, $" in goroutine {creatorId}");
        }

        text.Append('\n');
        AppendSource(text, createdBy, prefix: "\t");
    }

    /// <summary>Goroutines counted by identical state, frames and creation site, largest group first, as Go's debug=1.</summary>
    public static void WriteGrouped(TextWriter writer, IReadOnlyCollection<GoroutineInfo> goroutines)
    {
        var groups = new Dictionary<string, int>();
        var order = new List<string>();
        foreach (GoroutineInfo g in goroutines)
        {
            string body = GroupBody(g);
            if (groups.TryGetValue(body, out int count))
            {
                groups[body] = count + 1;
            }
            else
            {
                groups.Add(body, 1);
                order.Add(body);
            }
        }

        writer.Write(string.Create(CultureInfo.InvariantCulture, $"goroutine profile: total {goroutines.Count}\n"));
        foreach (string body in order.OrderByDescending(body => groups[body])) // stable: ties keep id order
        {
            writer.Write(string.Create(CultureInfo.InvariantCulture, $"{groups[body]} @ "));
            writer.Write(body);
            writer.Write('\n');
        }
    }

    // The part of a goroutine's grouped entry after its count: state, frames and creation site.
    private static string GroupBody(GoroutineInfo g)
    {
        var body = new StringBuilder();
        body.Append('[').Append(g.StateTextWithoutDuration).Append("]\n");
        foreach (GoroutineFrame frame in g.Frames)
        {
            body.Append("#\t").Append(frame.Function);
            AppendSource(body, frame, prefix: "\t", newLine: false);
            body.Append('\n');
        }

        body.Append("#\tcreated by ").Append(g.CreatedBy.Function);
        AppendSource(body, g.CreatedBy, prefix: "\t", newLine: false);
        body.Append('\n');
        return body.ToString();
    }

    private static void AppendSource(StringBuilder text, GoroutineFrame frame, string prefix, bool newLine = true)
    {
        if (frame.File is null)
        {
            return;
        }

        text.Append(prefix).Append(frame.File);
        if (frame.Line > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $":{frame.Line}");
        }

        if (newLine)
        {
            text.Append('\n');
        }
    }
}
