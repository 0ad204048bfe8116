// Licensed under the MIT License.

using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Diagnostics;

using Xunit;

namespace Goroutines.AspNetCore.Tests;

/// <summary>The flight recorder's endpoint, called over loopback on a real Kestrel server.</summary>
[Collection(nameof(OneAtATime))]
public sealed class FlightRecorderEndpointTests
{
    private const int Rounds = 100;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task FlightRecorder_Running_ServesItsWindowAndRecordingGoesOn()
    {
        using FlightRecorder recorder = FlightRecorder.Start();
        await using GoroutineProfileServer server = await GoroutineProfileServer.StartAsync("127.0.0.1:0");
        using var client = new HttpClient { BaseAddress = server.ProfilesAddress, Timeout = RequestTimeout };
        await PingPongAsync();

        using HttpResponseMessage response = await client.GetAsync("flightrecorder");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("Goroutines flight recorder", json.RootElement.GetProperty("otherData").GetProperty("producer").GetString());

        // Whoever reaches a rendezvous first parks, which ends its step: two a round trip at least.
        int parked = json.RootElement.GetProperty("traceEvents").EnumerateArray().Count(e =>
            e.GetProperty("ph").GetString() == "X" && e.GetProperty("pid").GetInt32() == 1
            && e.GetProperty("args").TryGetProperty("waitReason", out JsonElement reason)
            && reason.GetString() is "chan send" or "chan receive");
        Assert.True(parked >= Rounds, $"{parked} steps parked on a channel in the window, expected at least {Rounds}.");
        Assert.True(recorder.IsRunning);
        Assert.Contains("flightrecorder", await client.GetStringAsync(string.Empty), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FlightRecorder_NoneRunning_409SayingHowToStartOne()
    {
        FlightRecorder.Start().Dispose(); // one ran and stopped: still none running
        await using GoroutineProfileServer server = await GoroutineProfileServer.StartAsync("127.0.0.1:0");
        using var client = new HttpClient { BaseAddress = server.ProfilesAddress, Timeout = RequestTimeout };

        using HttpResponseMessage response = await client.GetAsync("flightrecorder");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        string message = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("No flight recorder is running: start one", message, StringComparison.Ordinal);
        Assert.Contains("FlightRecorder.Start()", message, StringComparison.Ordinal);
    }

    /// <summary>Two goroutines pass a value back and forth <see cref="Rounds"/> times.</summary>
    private static async Task PingPongAsync()
    {
        var ping = new Chan<int>();
        var pong = new Chan<int>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Go.Run(async () =>
        {
            for (int i = 0; i < Rounds; i++)
            {
                await pong.SendAsync(await ping.ReceiveAsync());
            }
        });
        Go.Run(async () =>
        {
            for (int i = 0; i < Rounds; i++)
            {
                await ping.SendAsync(i);
                await pong.ReceiveAsync();
            }

            done.SetResult();
        });
        await done.Task.WaitAsync(RequestTimeout);
    }
}
