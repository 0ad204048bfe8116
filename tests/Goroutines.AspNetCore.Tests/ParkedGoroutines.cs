// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Diagnostics;

namespace Goroutines.AspNetCore.Tests;

/// <summary>
/// Goroutines parked at one known await of <see cref="ParkAsync"/>, for the profile to find;
/// disposing releases them and waits until they are gone.
/// </summary>
internal sealed class ParkedGoroutines : IAsyncDisposable
{
    private static int s_awaitLine;
    private readonly Chan<int> _release = new();
    private readonly int _count;

    private ParkedGoroutines(int count) => _count = count;

    /// <summary>The function name dumps and profiles give <see cref="ParkAsync"/>.</summary>
    public static string Function => $"{typeof(ParkedGoroutines).FullName}.{nameof(ParkAsync)}";

    /// <summary>The line of the await the goroutines park at.</summary>
    public static int AwaitLine => s_awaitLine;

    /// <summary>Starts <paramref name="count"/> goroutines and returns once all are parked.</summary>
    public static async Task<ParkedGoroutines> StartAsync(int count)
    {
        var parked = new ParkedGoroutines(count);
        for (int i = 0; i < count; i++)
        {
            Go.Run(ParkAsync, parked._release);
        }

        await UntilAsync(() => Parked() >= count, "the goroutines to park");
        return parked;
    }

    /// <summary>How many goroutines are parked in <see cref="ParkAsync"/> now.</summary>
    public static int Parked() =>
        GoroutineDump.Capture().Goroutines.Count(g => g.State == GoroutineState.Waiting && g.Frames.Count > 0 && g.Frames[0].Function == Function);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        _release.Close();
        await UntilAsync(() => Parked() == 0, "the goroutines to exit");
    }

    private static async Task ParkAsync(Chan<int> release)
    {
        s_awaitLine = LineHere(); await release.ReceiveAsync();
    }

    private static int LineHere([CallerLineNumber] int line = 0) => line;

    // Polls a condition the runtime makes true soon, yielding between looks, for at most 30 s.
    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException($"Timed out waiting for {what}.");
            }

            await Task.Yield();
        }
    }
}
