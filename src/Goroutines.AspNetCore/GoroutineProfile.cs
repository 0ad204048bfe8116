// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;

using Goroutines.AspNetCore.Profile;
using Goroutines.Diagnostics;

using Google.Protobuf;

using ProfileValueType = Goroutines.AspNetCore.Profile.ValueType;

namespace Goroutines.AspNetCore;

// GoroutineProfile: a goroutine dump as pprof's protobuf profile (profile.proto, gzipped), the
// bytes Go's /debug/pprof/goroutine serves with debug=0 and `go tool pprof` reads.
//
// Shape, as Go's goroutine profile: one sample type, goroutine/count; one sample per distinct
// stack, its value the number of goroutines parked there, its locations innermost first. A
// location is a frame (function, file, line); functions and locations are interned, so 10,000
// goroutines at one await cost one location. Samples also differ by state, carried as a
// "state" label (pprof's -tagfocus), since Go's users ask where goroutines wait as much as
// what they run (the state without its minutes, so a wait's age never splits a sample). A
// goroutine whose stack cannot be read (running on another thread) gets one pseudo-frame
// named after its state, so that it is still counted. There are no addresses:
// the one mapping says the profile has functions, files and lines already.
//
// Invariants: string_table[0] is ""; every id is nonzero and every referenced id exists.
/// <summary>
/// Writes a goroutine dump as pprof's protobuf goroutine profile (gzipped), what Go's
/// <c>/debug/pprof/goroutine</c> serves and <c>go tool pprof</c> and other pprof viewers read.
/// </summary>
public static class GoroutineProfile
{
    /// <summary>Captures a dump now and writes it to <paramref name="destination"/> as a gzipped pprof profile.</summary>
    /// <param name="destination">A writable stream; left open.</param>
    /// <exception cref="ArgumentNullException"><paramref name="destination"/> is null.</exception>
    public static void WriteTo(Stream destination) => WriteTo(destination, GoroutineDump.Capture());

    /// <summary>Writes <paramref name="dump"/> to <paramref name="destination"/> as a gzipped pprof profile.</summary>
    /// <param name="destination">A writable stream; left open.</param>
    /// <param name="dump">The goroutines to profile.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static void WriteTo(Stream destination, GoroutineDump dump)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(dump);
        using var gzip = new GZipStream(destination, CompressionLevel.Fastest, leaveOpen: true);
        Build(dump).WriteTo(gzip);
    }

    /// <summary>The profile message of <paramref name="dump"/>, before compression.</summary>
    internal static Profile.Profile Build(GoroutineDump dump)
    {
        var builder = new ProfileBuilder();
        var profile = new Profile.Profile
        {
            TimeNanos = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100,
            PeriodType = new ProfileValueType { Type = builder.String("goroutine"), Unit = builder.String("count") },
            Period = 1,
        };
        profile.SampleType.Add(new ProfileValueType { Type = builder.String("goroutine"), Unit = builder.String("count") });
        profile.Mapping.Add(new Mapping
        {
            Id = ProfileBuilder.MappingId,
            Filename = builder.String(Process.GetCurrentProcess().MainModule?.FileName ?? "dotnet"),
            HasFunctions = true,
            HasFilenames = true,
            HasLineNumbers = true,
        });

        long stateKey = builder.String("state");
        foreach (IGrouping<string, GoroutineInfo> group in dump.Goroutines.GroupBy(StackKey, StringComparer.Ordinal))
        {
            GoroutineInfo first = group.First();
            var sample = new Sample();
            sample.Value.Add(group.Count());
            if (first.Frames.Count == 0)
            {
                sample.LocationId.Add(builder.Location(new GoroutineFrame($"[{first.StateTextWithoutDuration}]", File: null, Line: 0)));
            }

            foreach (GoroutineFrame frame in first.Frames)
            {
                sample.LocationId.Add(builder.Location(frame));
            }

            sample.Label.Add(new Label { Key = stateKey, Str = builder.String(first.StateTextWithoutDuration) });
            profile.Sample.Add(sample);
        }

        builder.CopyTo(profile);
        return profile;
    }

    // Goroutines share a sample when their state and frames are the same.
    private static string StackKey(GoroutineInfo goroutine) =>
        goroutine.StateTextWithoutDuration + "\n" + string.Join("\n", goroutine.Frames.Select(static frame => $"{frame.Function}\t{frame.File}\t{frame.Line}"));

    /// <summary>Interns strings, functions and locations, giving out their indices and ids.</summary>
    private sealed class ProfileBuilder
    {
        public const ulong MappingId = 1;

        private readonly Dictionary<string, long> _strings = new(StringComparer.Ordinal) { [string.Empty] = 0 };
        private readonly List<string> _stringTable = [string.Empty];
        private readonly Dictionary<(string Name, string? File), ulong> _functionIds = [];
        private readonly List<Function> _functions = [];
        private readonly Dictionary<GoroutineFrame, ulong> _locationIds = [];
        private readonly List<Location> _locations = [];

        public long String(string value)
        {
            if (!_strings.TryGetValue(value, out long index))
            {
                index = _stringTable.Count;
                _strings.Add(value, index);
                _stringTable.Add(value);
            }

            return index;
        }

        public ulong Location(GoroutineFrame frame)
        {
            if (!_locationIds.TryGetValue(frame, out ulong id))
            {
                id = (ulong)_locations.Count + 1;
                var location = new Location { Id = id, MappingId = MappingId };
                location.Line.Add(new Line { FunctionId = Function(frame.Function, frame.File), Line_ = frame.Line });
                _locations.Add(location);
                _locationIds.Add(frame, id);
            }

            return id;
        }

        public void CopyTo(Profile.Profile profile)
        {
            profile.Function.Add(_functions);
            profile.Location.Add(_locations);
            profile.StringTable.Add(_stringTable);
        }

        private ulong Function(string name, string? file)
        {
            if (!_functionIds.TryGetValue((name, file), out ulong id))
            {
                id = (ulong)_functions.Count + 1;
                long nameIndex = String(name);
                _functions.Add(new Function { Id = id, Name = nameIndex, SystemName = nameIndex, Filename = String(file ?? string.Empty) });
                _functionIds.Add((name, file), id);
            }

            return id;
        }
    }
}
