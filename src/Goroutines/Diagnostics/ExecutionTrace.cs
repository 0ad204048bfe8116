// Licensed under the MIT License.

using System;
using System.IO;

namespace Goroutines.Diagnostics;

/// <summary>
/// An execution trace of the scheduler, Go's <c>runtime/trace</c>: records every goroutine step
/// (which processor and thread ran it, for how long, and whether it parked, yielded or exited,
/// with the wait reason), readies and spawns, steals, processor hand-offs, preemption requests and
/// blocking regions for a window of time, and writes them in the Chrome trace event format that
/// <see href="https://ui.perfetto.dev">Perfetto</see> and <c>chrome://tracing</c> open.
/// </summary>
/// <example>
/// <code>
/// using (var trace = ExecutionTrace.Start())
/// {
///     await RunWorkloadAsync();
///     trace.Stop();
///     using var file = File.Create("trace.json");
///     trace.WriteTo(file);
/// }
/// </code>
/// </example>
/// <remarks>
/// One trace runs at a time, process-wide. While none runs, the scheduler pays one test of a
/// static field per step, ready and steal. While one runs, each event is appended to a buffer of
/// the processor that recorded it, without locks; events beyond <see cref="MaxEvents"/> are
/// dropped and counted (<see cref="DroppedEvents"/>, and <c>droppedEvents</c> in the JSON's
/// <c>otherData</c>). Garbage-collection pauses are not recorded. Members are thread-safe.
/// A trace and a <see cref="FlightRecorder"/> may run at the same time, as in Go: each records
/// the same events into storage of its own.
/// Go: runtime/trace.Start and trace.Stop.
/// </remarks>
public sealed class ExecutionTrace : IDisposable
{
    /// <summary>The default cap on recorded events: one million (about 64 MB at most).</summary>
    public const int DefaultMaxEvents = 1_000_000;

    private readonly TraceLog _log;

    private ExecutionTrace(TraceLog log) => _log = log;

    /// <summary>The cap on recorded events this trace was started with.</summary>
    public int MaxEvents => _log.MaxEvents;

    /// <summary>Whether the trace is still recording.</summary>
    public bool IsRunning => _log.IsRunning;

    /// <summary>Events recorded: 0 until the trace stopped, then final.</summary>
    public int EventCount => _log.EventCount;

    /// <summary>Events dropped because the cap was reached: 0 until the trace stopped, then final.</summary>
    public long DroppedEvents => _log.Dropped;

    /// <summary>Starts recording with the default cap of <see cref="DefaultMaxEvents"/> events.</summary>
    /// <returns>The running trace; stop or dispose it to end the recording.</returns>
    /// <exception cref="InvalidOperationException">A trace is already running.</exception>
    /// <remarks>Go: trace.Start.</remarks>
    public static ExecutionTrace Start() => Start(DefaultMaxEvents);

    /// <summary>Starts recording at most <paramref name="maxEvents"/> events.</summary>
    /// <param name="maxEvents">The cap on recorded events; a step counts once.</param>
    /// <returns>The running trace; stop or dispose it to end the recording.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxEvents"/> is not positive.</exception>
    /// <exception cref="InvalidOperationException">A trace is already running.</exception>
    /// <remarks>Go: trace.Start.</remarks>
    public static ExecutionTrace Start(int maxEvents)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxEvents);
        return new ExecutionTrace(TraceRecorder.StartLog(maxEvents));
    }

    /// <summary>
    /// Stops recording. Events recorded before the call returns are kept; a step that was running
    /// when it was called is kept only if it ended first. Idempotent.
    /// </summary>
    /// <remarks>Go: trace.Stop.</remarks>
    public void Stop() => TraceRecorder.StopLog(_log);

    /// <summary>
    /// Writes the trace to <paramref name="stream"/> as UTF-8 JSON in the Chrome trace event format,
    /// stopping it first if it is still running. May be called more than once.
    /// </summary>
    /// <param name="stream">A writable stream; it is flushed, not closed.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        TraceRecorder.StopLog(_log);
        ChromeTraceWriter.Write(_log.Contents, stream);
    }

    /// <summary>Stops the trace if it is still running; the recorded events stay writable.</summary>
    public void Dispose() => TraceRecorder.StopLog(_log);
}
