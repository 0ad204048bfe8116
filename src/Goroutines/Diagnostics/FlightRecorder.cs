// Licensed under the MIT License.

using System;
using System.IO;

namespace Goroutines.Diagnostics;

/// <summary>
/// A flight recorder, Go 1.25's <c>trace.FlightRecorder</c>: records the execution trace
/// continuously and keeps only its last window (<see cref="FlightRecorderOptions.MinAge"/>, in at
/// most about <see cref="FlightRecorderOptions.MaxBytes"/>), so that when something goes wrong
/// the moments before it can be written out, as the same Chrome trace JSON that
/// <see cref="ExecutionTrace"/> writes.
/// </summary>
/// <example>
/// <code>
/// using var recorder = FlightRecorder.Start(new FlightRecorderOptions { MinAge = TimeSpan.FromSeconds(5) });
/// // ... later, when a request was slow:
/// using (var file = File.Create("slow-request.json"))
/// {
///     recorder.WriteTo(file);
/// }
/// </code>
/// </example>
/// <remarks>
/// <para>
/// One flight recorder runs at a time, process-wide; it may run together with an
/// <see cref="ExecutionTrace"/>, as in Go, and both see the same events. While it runs, each event
/// is stored in a ring of the processor that recorded it, written by that processor's owner
/// only, without locks or interlocked instructions (threads without a processor share one ring,
/// under a lock); the oldest events are overwritten. A snapshot (<see cref="WriteTo"/>) copies
/// the rings out while recording goes on: nothing is stopped, and recording continues after it.
/// While none runs, the scheduler pays one test of a field per step, ready and steal.
/// </para>
/// <para>
/// The window a snapshot shows starts where every processor's events are complete: at the
/// latest of the recorder's start, <see cref="FlightRecorderOptions.MinAge"/> before the
/// snapshot, and the oldest event still held by a ring that wrapped. A step that began before
/// the window shows as starting with it. Members are thread-safe. Besides this API, a snapshot
/// can be asked for over HTTP (<c>Goroutines.AspNetCore</c>'s <c>{prefix}/flightrecorder</c>) or
/// with SIGUSR1 (the environment variable <c>GOROUTINES_FLIGHT_RECORDER</c>, see the README).
/// </para>
/// <para>Go: trace.NewFlightRecorder, FlightRecorder.Start, WriteTo, Stop and Enabled.</para>
/// </remarks>
public sealed class FlightRecorder : IDisposable
{
    private readonly FlightRecording _recording;

    private FlightRecorder(FlightRecorderOptions options)
    {
        MinAge = options.MinAge;
        MaxBytes = options.MaxBytes;
        _recording = TraceRecorder.StartFlight(scheduler => new FlightRecording(this, scheduler.Processors.Length, scheduler.MaxProcs, MinAge, MaxBytes));
    }

    /// <summary>The flight recorder that runs, or null: the one <c>{prefix}/flightrecorder</c> and SIGUSR1 snapshot.</summary>
    public static FlightRecorder? Running => TraceRecorder.Active?.Flight?.Owner;

    /// <summary>How far back a snapshot reaches, as started with.</summary>
    public TimeSpan MinAge { get; }

    /// <summary>The memory budget of the rings, as started with.</summary>
    public long MaxBytes { get; }

    /// <summary>The most events the rings hold together (what <see cref="MaxBytes"/> bought).</summary>
    public long Capacity => _recording.Capacity;

    /// <summary>Whether the recorder is still recording.</summary>
    /// <remarks>Go: FlightRecorder.Enabled.</remarks>
    public bool IsRunning => TraceRecorder.Active?.Flight == _recording;

    /// <summary>The recording, for tests that place the window.</summary>
    internal FlightRecording Recording => _recording;

    /// <summary>Starts a flight recorder with the default options (10 seconds, 10 MiB).</summary>
    /// <returns>The running recorder; stop or dispose it to end the recording.</returns>
    /// <exception cref="InvalidOperationException">A flight recorder is already running.</exception>
    /// <remarks>Go: trace.NewFlightRecorder and FlightRecorder.Start.</remarks>
    public static FlightRecorder Start() => Start(new FlightRecorderOptions());

    /// <summary>Starts a flight recorder that keeps the window <paramref name="options"/> describe.</summary>
    /// <param name="options">The window's age and memory budget; read once, here.</param>
    /// <returns>The running recorder; stop or dispose it to end the recording.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value of <paramref name="options"/> is out of range; the message says what is accepted.</exception>
    /// <exception cref="InvalidOperationException">A flight recorder is already running.</exception>
    /// <remarks>Go: trace.NewFlightRecorder and FlightRecorder.Start.</remarks>
    public static FlightRecorder Start(FlightRecorderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(nameof(options));
        return new FlightRecorder(options);
    }

    /// <summary>
    /// Writes the window of the execution trace the recorder holds to <paramref name="stream"/>, as
    /// UTF-8 JSON in the Chrome trace event format. Recording goes on during and after the call,
    /// which may come from any thread, concurrently with others.
    /// </summary>
    /// <param name="stream">A writable stream; it is flushed, not closed.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The recorder has stopped.</exception>
    /// <remarks>Go: FlightRecorder.WriteTo.</remarks>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!IsRunning)
        {
            throw new InvalidOperationException("The flight recorder has stopped: a snapshot is taken while it runs, so write one before stopping it.");
        }

        ChromeTraceWriter.Write(_recording.Snapshot(), stream);
    }

    /// <summary>Stops recording; the rings are released with the recorder. Idempotent.</summary>
    /// <remarks>Go: FlightRecorder.Stop.</remarks>
    public void Stop() => TraceRecorder.StopFlight(_recording);

    /// <summary>Stops recording, as <see cref="Stop"/>.</summary>
    public void Dispose() => Stop();
}
