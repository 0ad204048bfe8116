// Licensed under the MIT License.

using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;

using Goroutines.Scheduling;

namespace Goroutines.Diagnostics;

// ChromeTraceWriter: writes a stopped execution trace, or a flight recorder's window
// (TraceContents.cs), in the Chrome trace event format
// (the JSON object form: {"traceEvents": [...], "otherData": {...}}), which Perfetto
// (https://ui.perfetto.dev) and chrome://tracing open. Go's runtime/trace has a binary
// format of its own read by `go tool trace`; Chrome's is what every .NET developer can
// open without installing anything.
//
// Layout: two "processes", each track a "thread" named by metadata events (ph "M"):
//   pid 1 "processors": one track per P (tid = processor id);
//   pid 2 "machines":   one track per M (tid = machine id); tid 0 is sysmon and every
//                       thread the runtime does not own, as M0 in the scheduler trace.
// A step is a complete event (ph "X") on both its P's and its M's track; the rest are
// instant events (ph "i", thread scope) on the track of the processor they concern, or
// of the machine when no processor is involved. Timestamps are microseconds since the
// trace started (a flight recorder's: since its window started), as the format wants.
//
// Invariants:
// - Events come sorted by start time, none before time zero, so every track's
//   timestamps are monotone and never negative.
// - Strings reach the output only through Utf8JsonWriter, which escapes them.
internal static class ChromeTraceWriter
{
    private const int ProcessorsPid = 1;
    private const int MachinesPid = 2;

    /// <summary>Writes <paramref name="contents"/> to <paramref name="stream"/> as UTF-8 JSON.</summary>
    public static void Write(TraceContents contents, Stream stream)
    {
        TraceEvent[] events = contents.Events;
        using var json = new Utf8JsonWriter(stream);
        json.WriteStartObject();
        json.WriteString("displayTimeUnit", "ns");
        json.WriteStartArray("traceEvents");
        WriteMetadata(json, events);
        foreach (TraceEvent item in events)
        {
            WriteEvent(json, contents, item);
        }

        json.WriteEndArray();
        json.WriteStartObject("otherData");
        json.WriteString("producer", contents.Producer);
        json.WriteNumber("gomaxprocs", contents.MaxProcs);
        json.WriteNumber("durationMicroseconds", contents.ToMicroseconds(contents.EndTimestamp));
        foreach (KeyValuePair<string, double> figure in contents.Figures)
        {
            json.WriteNumber(figure.Key, figure.Value);
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteMetadata(Utf8JsonWriter json, TraceEvent[] events)
    {
        var processors = new SortedSet<int>();
        var machines = new SortedSet<int> { 0 };
        foreach (TraceEvent item in events)
        {
            if (item.Processor >= 0)
            {
                processors.Add(item.Processor);
            }

            machines.Add(item.Machine);
        }

        WriteName(json, "process_name", ProcessorsPid, 0, "processors");
        WriteSortIndex(json, ProcessorsPid, 0);
        WriteName(json, "process_name", MachinesPid, 0, "machines");
        WriteSortIndex(json, MachinesPid, 1);
        foreach (int id in processors)
        {
            WriteName(json, "thread_name", ProcessorsPid, id, "P" + id.ToString(CultureInfo.InvariantCulture));
        }

        foreach (int id in machines)
        {
            WriteName(json, "thread_name", MachinesPid, id, id == 0 ? "M0 (sysmon, other threads)" : "M" + id.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void WriteName(Utf8JsonWriter json, string kind, int pid, int tid, string name)
    {
        json.WriteStartObject();
        json.WriteString("name", kind);
        json.WriteString("ph", "M");
        json.WriteNumber("pid", pid);
        json.WriteNumber("tid", tid);
        json.WriteStartObject("args");
        json.WriteString("name", name);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteSortIndex(Utf8JsonWriter json, int pid, int index)
    {
        json.WriteStartObject();
        json.WriteString("name", "process_sort_index");
        json.WriteString("ph", "M");
        json.WriteNumber("pid", pid);
        json.WriteStartObject("args");
        json.WriteNumber("sort_index", index);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteEvent(Utf8JsonWriter json, TraceContents contents, in TraceEvent item)
    {
        double ts = contents.ToMicroseconds(item.Timestamp);
        switch (item.Kind)
        {
            case TraceEventKind.Step:
                string name = string.IsNullOrEmpty(item.Text)
                    ? "G" + item.Goroutine.ToString(CultureInfo.InvariantCulture)
                    : "G" + item.Goroutine.ToString(CultureInfo.InvariantCulture) + " " + FunctionNames.Method(item.Text); // the spawning member, readable
                double duration = contents.ToMicroseconds(item.EndTimestamp) - ts;
                WriteStep(json, item, name, ts, duration, ProcessorsPid, item.Processor);
                WriteStep(json, item, name, ts, duration, MachinesPid, item.Machine);
                break;
            case TraceEventKind.Ready:
            case TraceEventKind.Spawn:
                StartInstant(json, item.Kind == TraceEventKind.Ready ? "ready" : "spawn", ts, item);
                json.WriteNumber("goroutine", item.Goroutine);
                json.WriteNumber(item.Kind == TraceEventKind.Ready ? "readiedBy" : "parent", item.Argument);
                EndInstant(json);
                break;
            case TraceEventKind.Steal:
                StartInstant(json, "steal", ts, item);
                json.WriteNumber("thief", item.Processor);
                json.WriteNumber("victim", item.Argument);
                json.WriteNumber("count", item.SecondArgument);
                EndInstant(json);
                break;
            case TraceEventKind.Handoff:
                StartInstant(json, "handoff", ts, item);
                json.WriteNumber("processor", item.Processor);
                json.WriteNumber("fromMachine", item.Machine);
                EndInstant(json);
                break;
            case TraceEventKind.PreemptRequest:
                StartInstant(json, "preempt request", ts, item);
                json.WriteNumber("goroutine", item.Goroutine);
                json.WriteNumber("processor", item.Processor);
                EndInstant(json);
                break;
            default:
                bool enter = item.Kind == TraceEventKind.BlockingEnter;
                StartInstant(json, enter ? "blocking enter" : "blocking exit", ts, item);
                json.WriteNumber("goroutine", item.Goroutine);
                json.WriteNumber("machine", item.Machine);
                if (!enter)
                {
                    json.WriteBoolean("keptProcessor", item.Argument != 0);
                }

                EndInstant(json);
                break;
        }
    }

    private static void WriteStep(Utf8JsonWriter json, in TraceEvent item, string name, double ts, double duration, int pid, int tid)
    {
        var outcome = (Goroutine.StepOutcome)item.Argument;
        json.WriteStartObject();
        json.WriteString("name", name);
        json.WriteString("cat", "step");
        json.WriteString("ph", "X");
        json.WriteNumber("ts", ts);
        json.WriteNumber("dur", duration);
        json.WriteNumber("pid", pid);
        json.WriteNumber("tid", tid);
        json.WriteStartObject("args");
        json.WriteNumber("goroutine", item.Goroutine);
        json.WriteString("outcome", OutcomeName(outcome));
        if (outcome == Goroutine.StepOutcome.Parked)
        {
            json.WriteString("waitReason", ((WaitReason)item.SecondArgument).ToGoString());
        }

        json.WriteNumber("processor", item.Processor);
        json.WriteNumber("machine", item.Machine);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    // An instant on its processor's track, or on its machine's when no processor was involved.
    private static void StartInstant(Utf8JsonWriter json, string name, double ts, in TraceEvent item)
    {
        bool onProcessor = item.Processor >= 0;
        json.WriteStartObject();
        json.WriteString("name", name);
        json.WriteString("cat", "scheduler");
        json.WriteString("ph", "i");
        json.WriteString("s", "t");
        json.WriteNumber("ts", ts);
        json.WriteNumber("pid", onProcessor ? ProcessorsPid : MachinesPid);
        json.WriteNumber("tid", onProcessor ? item.Processor : item.Machine);
        json.WriteStartObject("args");
    }

    private static void EndInstant(Utf8JsonWriter json)
    {
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static string OutcomeName(Goroutine.StepOutcome outcome) => outcome switch
    {
        Goroutine.StepOutcome.Parked => "parked",
        Goroutine.StepOutcome.Yielded => "yielded",
        Goroutine.StepOutcome.Preempted => "preempted",
        Goroutine.StepOutcome.Exited => "exited",
        _ => "more-work",
    };
}
