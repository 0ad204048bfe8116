// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Threading.Tasks;

using Goroutines.AspNetCore.Profile;
using Goroutines.Diagnostics;

using Xunit;

using ValueType = Goroutines.AspNetCore.Profile.ValueType;

namespace Goroutines.AspNetCore.Tests;

/// <summary>The goroutine profile decoded with profile.proto, and read by Go's own pprof where Go is installed.</summary>
[Collection(nameof(OneAtATime))]
public sealed class GoroutineProfileTests
{
    [Fact]
    public async Task WriteTo_GoroutinesParkedAtOneAwait_OneSampleCountsThemWithFunctionFileAndLine()
    {
        await using ParkedGoroutines parked = await ParkedGoroutines.StartAsync(3);
        GoroutineDump dump = GoroutineDump.Capture();

        Profile.Profile profile = Decode(Write(dump));

        Assert.Equal(string.Empty, profile.StringTable[0]);
        ValueType sampleType = Assert.Single(profile.SampleType);
        Assert.Equal("goroutine", profile.StringTable[(int)sampleType.Type]);
        Assert.Equal("count", profile.StringTable[(int)sampleType.Unit]);
        Assert.Equal(dump.Goroutines.Count, profile.Sample.Sum(sample => Assert.Single(sample.Value)));
        Assert.All(profile.Sample, sample => Assert.All(sample.LocationId, id => Assert.Single(profile.Location, location => location.Id == id)));
        Assert.All(profile.Location, location => Assert.All(location.Line, line => Assert.Single(profile.Function, function => function.Id == line.FunctionId)));

        Sample ours = Assert.Single(profile.Sample, sample => FunctionOf(profile, sample.LocationId[0]).Name == ParkedGoroutines.Function);
        Assert.Equal(3, ours.Value[0]);
        (string name, string file, long line) = FunctionOf(profile, ours.LocationId[0]);
        Assert.EndsWith(nameof(ParkedGoroutines) + ".cs", file, StringComparison.Ordinal);
        Assert.Equal(ParkedGoroutines.AwaitLine, line);
        Label state = Assert.Single(ours.Label);
        Assert.Equal("state", profile.StringTable[(int)state.Key]);
        Assert.Equal("chan receive", profile.StringTable[(int)state.Str]);
        Assert.Equal(ParkedGoroutines.Function, name);
    }

    [SkippableFact]
    public async Task GoToolPprof_ReadsTheProfile_TopListsTheParkedFunction()
    {
        Skip.If(FindOnPath("go") is null, "Go's toolchain is not installed (CI installs Debian's golang-go): `go tool pprof` cannot be asked to read the profile.");
        string file = Path.Combine(Path.GetTempPath(), $"goroutine-{Environment.ProcessId}-{Guid.NewGuid():N}.pb.gz");
        try
        {
            await using (ParkedGoroutines parked = await ParkedGoroutines.StartAsync(4))
            {
                await File.WriteAllBytesAsync(file, Write(GoroutineDump.Capture()));
            }

            var start = new ProcessStartInfo("go", ["tool", "pprof", "-top", "-nodecount=1000", file])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using Process go = Process.Start(start)!;
            Task<string> output = go.StandardOutput.ReadToEndAsync();
            Task<string> errors = go.StandardError.ReadToEndAsync();
            await go.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));

            Assert.True(go.ExitCode == 0, $"go tool pprof failed ({go.ExitCode}):\n{await errors}");
            string top = await output;
            Assert.Contains("Type: goroutine", top, StringComparison.Ordinal);
            Assert.Contains(ParkedGoroutines.Function, top, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void WriteTo_NullArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>("destination", () => GoroutineProfile.WriteTo(null!));
        Assert.Throws<ArgumentNullException>("dump", () => GoroutineProfile.WriteTo(Stream.Null, null!));
    }

    internal static Profile.Profile Decode(byte[] gzipped)
    {
        Assert.True(gzipped.Length > 2 && gzipped[0] == 0x1f && gzipped[1] == 0x8b, "The profile is not gzipped.");
        using var gzip = new GZipStream(new MemoryStream(gzipped), CompressionMode.Decompress);
        return Profile.Profile.Parser.ParseFrom(gzip);
    }

    private static byte[] Write(GoroutineDump dump)
    {
        using var stream = new MemoryStream();
        GoroutineProfile.WriteTo(stream, dump);
        return stream.ToArray();
    }

    private static (string Name, string File, long Line) FunctionOf(Profile.Profile profile, ulong locationId)
    {
        Line line = profile.Location.Single(location => location.Id == locationId).Line[0];
        Function function = profile.Function.Single(function => function.Id == line.FunctionId);
        return (profile.StringTable[(int)function.Name], profile.StringTable[(int)function.Filename], line.Line_);
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);
}
