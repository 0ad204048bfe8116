// Licensed under the MIT License.

using System;

namespace Goroutines.Diagnostics;

/// <summary>
/// How much of the execution trace a <see cref="FlightRecorder"/> keeps: events at least
/// <see cref="MinAge"/> old, in at most about <see cref="MaxBytes"/> of memory.
/// </summary>
/// <remarks>
/// <see cref="MaxBytes"/> takes precedence: on a busy runtime the rings wrap before
/// <see cref="MinAge"/> has passed, and a snapshot then reaches back as far as they hold. The
/// values are read once, by <see cref="FlightRecorder.Start(FlightRecorderOptions)"/>, which
/// checks them. Go: trace.FlightRecorderConfig.
/// </remarks>
public sealed class FlightRecorderOptions
{
    /// <summary>The default of <see cref="MaxBytes"/>: 10 MiB, as Go's.</summary>
    public const long DefaultMaxBytes = 10L << 20;

    /// <summary>The least <see cref="MaxBytes"/> accepted: 64 KiB.</summary>
    public const long MinMaxBytes = 64L << 10;

    /// <summary>The default of <see cref="MinAge"/>: 10 seconds, as Go's.</summary>
    public static readonly TimeSpan DefaultMinAge = TimeSpan.FromSeconds(10);

    /// <summary>The longest <see cref="MinAge"/> accepted: one day.</summary>
    public static readonly TimeSpan MaxMinAge = TimeSpan.FromDays(1);

    /// <summary>
    /// How far back a snapshot reaches: events older than this at the time of the snapshot are
    /// left out. Above zero and at most <see cref="MaxMinAge"/>; <see cref="DefaultMinAge"/> unless set.
    /// </summary>
    /// <remarks>Go: FlightRecorderConfig.MinAge.</remarks>
    public TimeSpan MinAge { get; set; } = DefaultMinAge;

    /// <summary>
    /// The memory the recorder's rings take, in bytes, split between the processors' rings and
    /// the shared one (each holds at least 1,024 events, so a tiny budget is rounded up). At least
    /// <see cref="MinMaxBytes"/>; <see cref="DefaultMaxBytes"/> unless set. It is allocated when the
    /// recorder starts.
    /// </summary>
    /// <remarks>Go: FlightRecorderConfig.MaxBytes.</remarks>
    public long MaxBytes { get; set; } = DefaultMaxBytes;

    /// <summary>Throws when a value is out of range, saying what is accepted.</summary>
    internal void Validate(string paramName)
    {
        if (!(MinAge > TimeSpan.Zero && MinAge <= MaxMinAge))
        {
            throw new ArgumentOutOfRangeException(
                paramName,
                MinAge,
                $"{nameof(MinAge)} must be above zero and at most {MaxMinAge.TotalHours:0} hours: it is how far back a snapshot reaches, for example TimeSpan.FromSeconds(10).");
        }

        if (MaxBytes < MinMaxBytes)
        {
            throw new ArgumentOutOfRangeException(
                paramName,
                MaxBytes,
                $"{nameof(MaxBytes)} must be at least {MinMaxBytes} (64 KiB): it is the memory the recorder's rings take, for example {DefaultMaxBytes} (10 MiB).");
        }
    }
}
