// Licensed under the MIT License.

using System.Runtime.InteropServices;

namespace Goroutines.Diagnostics;

/// <summary>
/// One recorded execution-trace event: a plain value, written once into a <see cref="TraceBuffer"/>
/// or a <see cref="TraceRing"/> by the thread that recorded it and copied out by a reader that
/// checks it was complete (TraceBuffer.cs, TraceRing.cs).
/// </summary>
[StructLayout(LayoutKind.Auto)]
internal readonly record struct TraceEvent(
    TraceEventKind Kind,
    long Timestamp,
    long EndTimestamp,
    int Processor,
    int Machine,
    long Goroutine,
    long Argument,
    long SecondArgument,
    string? Text)
{
    /// <summary>
    /// When the event was recorded (Stopwatch ticks): a step's end, any other event's time. A
    /// buffer or ring holds its events in this order; a step's <see cref="Timestamp"/> may be
    /// older than the window that keeps it, or 0 when it began before any recording.
    /// </summary>
    public long RecordedAt => Kind == TraceEventKind.Step ? EndTimestamp : Timestamp;
}

/// <summary>What a <see cref="TraceEvent"/> records, and what its fields mean for it.</summary>
internal enum TraceEventKind : byte
{
    /// <summary>A goroutine's step (Go: EvGoStart to EvGoBlock/EvGoSched/EvGoEnd). Argument: the outcome; SecondArgument: the wait reason; Text: the creating member.</summary>
    Step,

    /// <summary>A goroutine became runnable (Go: EvGoUnblock). Argument: the readying goroutine's id, or 0.</summary>
    Ready,

    /// <summary>A goroutine was created (Go: EvGoCreate). Argument: the parent's id.</summary>
    Spawn,

    /// <summary>A processor stole goroutines (Processor: the thief). Argument: the victim processor; SecondArgument: how many.</summary>
    Steal,

    /// <summary>A processor was taken from a stuck machine and handed off (Go: handoffp). Machine: the machine that lost it.</summary>
    Handoff,

    /// <summary>Sysmon asked the running goroutine of a processor to yield (Go: preemptone).</summary>
    PreemptRequest,

    /// <summary>A goroutine entered a blocking region (Go: EvGoSysCall).</summary>
    BlockingEnter,

    /// <summary>A goroutine left a blocking region (Go: EvGoSysExit). Argument: 1 if it kept its processor.</summary>
    BlockingExit,
}
