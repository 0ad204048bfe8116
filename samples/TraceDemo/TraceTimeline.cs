// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Text;
using System.Text.Json;

namespace TraceDemo;

/// <summary>
/// Renders an execution trace (the Chrome trace event JSON that ExecutionTrace writes) as a plain
/// SVG timeline: one row per processor, then one per machine, a rectangle per goroutine step
/// coloured by goroutine id, hand-offs and steals as marks, and a time axis.
/// </summary>
internal static class TraceTimeline
{
    private const double Width = 1200;
    private const double LabelWidth = 190;
    private const double RowHeight = 22;
    private const double Top = 34;
    private const double AxisHeight = 34;

    /// <summary>Renders the trace in <paramref name="json"/> (UTF-8) as an SVG document.</summary>
    public static string Render(byte[] json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement[] events = [.. document.RootElement.GetProperty("traceEvents").EnumerateArray()];

        // Rows: every named track, processors first (pid 1), then machines (pid 2).
        var rows = events
            .Where(e => Text(e, "ph") == "M" && Text(e, "name") == "thread_name")
            .Select(e => (Pid: e.GetProperty("pid").GetInt32(), Tid: e.GetProperty("tid").GetInt32(), Name: e.GetProperty("args").GetProperty("name").GetString()!))
            .OrderBy(r => r.Pid).ThenBy(r => r.Tid)
            .ToList();
        var rowOf = new Dictionary<(int, int), int>();
        for (int i = 0; i < rows.Count; i++)
        {
            rowOf[(rows[i].Pid, rows[i].Tid)] = i;
        }

        double end = 1;
        foreach (JsonElement e in events.Where(e => Text(e, "ph") is "X" or "i"))
        {
            double finish = e.GetProperty("ts").GetDouble() + (e.TryGetProperty("dur", out JsonElement d) ? d.GetDouble() : 0);
            end = Math.Max(end, finish);
        }

        double scale = (Width - LabelWidth - 20) / end;
        double height = Top + (rows.Count * RowHeight) + AxisHeight;
        var svg = new StringBuilder();
        Append(svg, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height:F0}\" viewBox=\"0 0 {Width} {height:F0}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        Append(svg, $"<rect width=\"{Width}\" height=\"{height:F0}\" fill=\"white\"/>\n");
        Append(svg, $"<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">Goroutines execution trace: {end / 1000:F1} ms, one rectangle per goroutine step</text>\n");

        for (int i = 0; i < rows.Count; i++)
        {
            double y = Top + (i * RowHeight);
            string fill = i % 2 == 0 ? "#f4f4f4" : "#ffffff";
            string label = (rows[i].Pid == 1 ? "processor " : "machine ") + rows[i].Name;
            Append(svg, $"<rect x=\"0\" y=\"{y:F1}\" width=\"{Width}\" height=\"{RowHeight}\" fill=\"{fill}\"/>\n");
            Append(svg, $"<text x=\"10\" y=\"{y + 15:F1}\">{WebUtility.HtmlEncode(label)}</text>\n");
        }

        foreach (JsonElement e in events)
        {
            string? phase = Text(e, "ph");
            if (phase is not ("X" or "i") || !rowOf.TryGetValue((e.GetProperty("pid").GetInt32(), e.GetProperty("tid").GetInt32()), out int row))
            {
                continue;
            }

            double x = LabelWidth + (e.GetProperty("ts").GetDouble() * scale);
            double y = Top + (row * RowHeight);
            string name = Text(e, "name") ?? "";
            if (phase == "X")
            {
                long id = e.GetProperty("args").GetProperty("goroutine").GetInt64();
                double w = Math.Max(0.6, e.GetProperty("dur").GetDouble() * scale);
                double hue = id * 137.508 % 360; // the golden angle: neighbouring ids get distant colours
                Append(svg, $"<rect x=\"{x:F2}\" y=\"{y + 3:F1}\" width=\"{w:F2}\" height=\"{RowHeight - 6}\" fill=\"hsl({hue:F0},65%,55%)\"><title>{WebUtility.HtmlEncode(name)}</title></rect>\n");
            }
            else if (name is "handoff" or "steal")
            {
                string colour = name == "handoff" ? "#d00000" : "#000000";
                Append(svg, $"<path d=\"M{x:F2} {y + 1:F1} l-4 -6 h8 z\" transform=\"translate(0 6)\" fill=\"{colour}\"><title>{name}</title></path>\n");
            }
        }

        double axisY = Top + (rows.Count * RowHeight) + 4;
        Append(svg, $"<line x1=\"{LabelWidth}\" y1=\"{axisY:F1}\" x2=\"{Width - 20}\" y2=\"{axisY:F1}\" stroke=\"black\"/>\n");
        double step = NiceStep(end / 8);
        for (double t = 0; t <= end; t += step)
        {
            double x = LabelWidth + (t * scale);
            Append(svg, $"<line x1=\"{x:F2}\" y1=\"{axisY:F1}\" x2=\"{x:F2}\" y2=\"{axisY + 5:F1}\" stroke=\"black\"/>\n");
            Append(svg, $"<text x=\"{x:F2}\" y=\"{axisY + 18:F1}\" text-anchor=\"middle\">{t / 1000:0.#} ms</text>\n");
        }

        Append(svg, $"<text x=\"{Width - 20}\" y=\"20\" text-anchor=\"end\" fill=\"#555\">&#9660; red: processor hand-off, black: steal</text>\n");
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    // 1, 2 or 5 times a power of ten, at least rough (microseconds).
    private static double NiceStep(double rough)
    {
        double power = Math.Pow(10, Math.Floor(Math.Log10(Math.Max(rough, 1))));
        foreach (double factor in new[] { 1.0, 2.0, 5.0, 10.0 })
        {
            if (factor * power >= rough)
            {
                return factor * power;
            }
        }

        return 10 * power;
    }

    private static string? Text(JsonElement e, string property) =>
        e.TryGetProperty(property, out JsonElement value) ? value.GetString() : null;

    private static void Append(StringBuilder svg, FormattableString text) =>
        svg.Append(text.ToString(CultureInfo.InvariantCulture));
}
