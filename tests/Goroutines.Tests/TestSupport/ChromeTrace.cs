// Licensed under the MIT License.

using System;
using System.IO;
using System.Text.Json;
using System.Threading.Tasks;

using Goroutines.Channels;

using Xunit;

namespace Goroutines.Tests.TestSupport;

/// <summary>
/// What the execution trace and flight recorder tests share: a ping-pong that gives the trace
/// steps to record, and readers of the Chrome trace events they write.
/// </summary>
internal static class ChromeTrace
{
    /// <summary>Parses what <paramref name="write"/> puts in a stream.</summary>
    public static JsonDocument Parse(Action<Stream> write)
    {
        using var stream = new MemoryStream();
        write(stream);
        return JsonDocument.Parse(stream.ToArray());
    }

    /// <summary>Two goroutines pass a value back and forth <paramref name="rounds"/> times; returns their ids.</summary>
    public static async Task<(long Pinger, long Ponger)> PingPongAsync(int rounds)
    {
        var ping = new Chan<int>();
        var pong = new Chan<int>();
        Task<long> ponger = GoTest.Start(async () =>
        {
            for (int i = 0; i < rounds; i++)
            {
                await pong.SendAsync(await ping.ReceiveAsync() + 1);
            }

            return Go.CurrentGoroutineId;
        });
        Task<long> pinger = GoTest.Start(async () =>
        {
            for (int i = 0; i < rounds; i++)
            {
                await ping.SendAsync(i);
                Assert.Equal(i + 1, await pong.ReceiveAsync());
            }

            return Go.CurrentGoroutineId;
        });

        return (await pinger.Within(what: "the pinger"), await ponger.Within(what: "the ponger"));
    }

    /// <summary>An event's phase ("X" a step, "i" an instant, "M" metadata).</summary>
    public static string? Phase(JsonElement e) => e.GetProperty("ph").GetString();

    /// <summary>An event's process: the processors' or the machines' track group.</summary>
    public static int Pid(JsonElement e) => e.GetProperty("pid").GetInt32();

    /// <summary>An event's track within its group; 0 when it has none.</summary>
    public static int Tid(JsonElement e) => e.TryGetProperty("tid", out JsonElement tid) ? tid.GetInt32() : 0;
}
