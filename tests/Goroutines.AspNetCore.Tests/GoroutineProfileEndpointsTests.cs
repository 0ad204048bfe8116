// Licensed under the MIT License.

using System;
using System.Net;
using System.Net.Http;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json;
using System.Threading.Tasks;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

using Xunit;

namespace Goroutines.AspNetCore.Tests;

/// <summary>Go's /debug/pprof endpoints, called over loopback on a real Kestrel server.</summary>
[Collection(nameof(OneAtATime))]
public sealed class GoroutineProfileEndpointsTests
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Server_EveryEndpoint_AnswersAsGosPprof()
    {
        await using ParkedGoroutines parked = await ParkedGoroutines.StartAsync(2);
        await using GoroutineProfileServer server = await GoroutineProfileServer.StartAsync("127.0.0.1:0");
        using var client = new HttpClient { BaseAddress = server.ProfilesAddress, Timeout = RequestTimeout };
        Assert.Equal(IPAddress.Loopback.ToString(), server.Address.Host);

        string index = await client.GetStringAsync(string.Empty);
        Assert.Contains("goroutine?debug=1", index, StringComparison.Ordinal);
        Assert.Contains("trace?seconds=1", index, StringComparison.Ordinal);

        string grouped = await client.GetStringAsync("goroutine?debug=1");
        Assert.StartsWith("goroutine profile: total ", grouped, StringComparison.Ordinal);
        Assert.Contains($"2 @ [chan receive]\n#\t{ParkedGoroutines.Function}", grouped, StringComparison.Ordinal);

        string full = await client.GetStringAsync("goroutine?debug=2");
        Assert.Contains("[chan receive]:\n" + ParkedGoroutines.Function + "(...)", full, StringComparison.Ordinal);

        using HttpResponseMessage binary = await client.GetAsync("goroutine");
        Assert.Equal(HttpStatusCode.OK, binary.StatusCode);
        Assert.Equal("application/octet-stream", binary.Content.Headers.ContentType?.MediaType);
        Profile.Profile profile = GoroutineProfileTests.Decode(await binary.Content.ReadAsByteArrayAsync());
        Assert.Contains(profile.StringTable, text => text == ParkedGoroutines.Function);

        using JsonDocument trace = JsonDocument.Parse(await client.GetStringAsync("trace?seconds=0.2"));
        Assert.Equal(JsonValueKind.Array, trace.RootElement.GetProperty("traceEvents").ValueKind);

        Assert.StartsWith("SCHED ", await client.GetStringAsync("sched"), StringComparison.Ordinal);
        Assert.StartsWith("SCHED ", await client.GetStringAsync("sched?detailed=1"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("goroutine?debug=x", "debug must be")]
    [InlineData("goroutine?debug=-1", "debug must be")]
    [InlineData("trace?seconds=0", "seconds must be")]
    [InlineData("trace?seconds=abc", "seconds must be")]
    [InlineData("trace?seconds=601", "seconds must be")]
    [InlineData("sched?detailed=2", "detailed must be")]
    public async Task Server_BadQuery_400WithWhatIsAccepted(string path, string message)
    {
        await using GoroutineProfileServer server = await GoroutineProfileServer.StartAsync("127.0.0.1:0");
        using var client = new HttpClient { BaseAddress = server.ProfilesAddress, Timeout = RequestTimeout };

        using HttpResponseMessage response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith(message, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MapGoroutineProfiles_InAnAppUnderItsOwnPrefix_Serves()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        await using WebApplication app = builder.Build();
        app.MapGoroutineProfiles("/internal/pprof");
        await app.StartAsync();
        try
        {
            string address = Assert.Single(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses);
            using var client = new HttpClient { BaseAddress = new Uri(address), Timeout = RequestTimeout };

            Assert.StartsWith("goroutine profile: total ", await client.GetStringAsync("/internal/pprof/goroutine?debug=1"), StringComparison.Ordinal);
            Assert.Contains("/internal/pprof/goroutine?debug=1", await client.GetStringAsync("/internal/pprof"), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/debug/pprof/goroutine")).StatusCode);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task Server_ProcessConfigurationNamesKestrelEndpoints_ListensOnlyWhereAsked()
    {
        // A host program's configuration (here its environment, as containers set it) may name
        // Kestrel endpoints for the app itself; the profile server must not take them.
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        const string Key = "Kestrel__Endpoints__App__Url";
        Environment.SetEnvironmentVariable(Key, $"http://127.0.0.2:{port}");
        try
        {
            await using GoroutineProfileServer server = await GoroutineProfileServer.StartAsync("localhost:0");

            Assert.Equal("127.0.0.1", server.Address.Host);
            Assert.DoesNotContain(
                IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpListeners(),
                listening => listening.Port == port);
        }
        finally
        {
            Environment.SetEnvironmentVariable(Key, null);
        }
    }

    [Theory]
    [InlineData("nonsense")]
    [InlineData("localhost")]
    [InlineData("localhost:65536")]
    [InlineData("localhost:-1")]
    [InlineData("example.com:6060")]
    public async Task StartAsync_BadAddress_FormatExceptionSayingWhatIsAccepted(string address)
    {
        FormatException error = await Assert.ThrowsAsync<FormatException>(() => GoroutineProfileServer.StartAsync(address));
        Assert.Contains(address, error.Message, StringComparison.Ordinal);
    }
}
