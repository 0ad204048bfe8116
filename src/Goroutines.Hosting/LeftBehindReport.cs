// Licensed under the MIT License.

using System.Collections.Generic;
using System.Globalization;
using System.Text;

using Goroutines.Diagnostics;

namespace Goroutines.Hosting;

/// <summary>
/// Go's text of a chosen few goroutines (the goroutine dump's <c>debug=2</c> form, goroutine by
/// goroutine): the header with state and wait, the async frames with their source lines, and
/// <c>created by</c>. The core writes only whole dumps; a host reports just the goroutines it
/// left behind.
/// </summary>
internal static class LeftBehindReport
{
    /// <summary>The text of <paramref name="goroutines"/>, separated by blank lines.</summary>
    public static string Format(IEnumerable<GoroutineInfo> goroutines)
    {
        var text = new StringBuilder();
        foreach (GoroutineInfo g in goroutines)
        {
            if (text.Length > 0)
            {
                text.Append('\n');
            }

            text.Append(CultureInfo.InvariantCulture, $"goroutine {g.Id} [{g.StateText}]:\n");
            if (g.Frames.Count == 0 && g.State is GoroutineState.Running or GoroutineState.BlockingCall)
            {
                text.Append("\tgoroutine running on other thread; stack unavailable\n");
            }

            foreach (GoroutineFrame frame in g.Frames)
            {
                text.Append(frame.Function).Append("(...)\n");
                AppendSource(text, frame);
            }

            text.Append("created by ").Append(g.CreatedBy.Function);
            if (g.CreatorId != 0)
            {
                text.Append(CultureInfo.InvariantCulture, $" in goroutine {g.CreatorId}");
            }

            text.Append('\n');
            AppendSource(text, g.CreatedBy);
        }

        return text.ToString();
    }

    private static void AppendSource(StringBuilder text, GoroutineFrame frame)
    {
        if (frame.File is null)
        {
            return;
        }

        text.Append('\t').Append(frame.File);
        if (frame.Line > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $":{frame.Line}");
        }

        text.Append('\n');
    }
}
