// Licensed under the MIT License.

using System;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Goroutines.AspNetCore;

// GoroutineProfileServer: Go's `go http.ListenAndServe("localhost:6060", nil)` with
// net/http/pprof imported, for a program that has no ASP.NET Core app of its own: a Kestrel
// server of its own serving GoroutineProfileEndpoints at /debug/pprof and nothing else.
//
// Address: Go's syntax, "host:port". "localhost" listens on 127.0.0.1 only (Go resolves it
// and listens on the first address; a profile endpoint should not answer the network by
// accident); an IP literal ("127.0.0.1:0", "[::1]:6060") listens there; an empty host
// (":6060") listens on every interface, as Go's does, which is the caller's choice to make.
// Port 0 picks a free port; Address says which.
//
// The server logs nothing (its own logging would be noise in the host program's output).
/// <summary>
/// A Kestrel server of its own that serves the <c>/debug/pprof</c> endpoints, Go's
/// <c>http.ListenAndServe("localhost:6060", nil)</c> for programs without an ASP.NET Core app.
/// </summary>
/// <example>
/// <code>
/// await using var pprof = await GoroutineProfileServer.StartAsync("localhost:6060");
/// // go tool pprof http://localhost:6060/debug/pprof/goroutine
/// </code>
/// </example>
public sealed class GoroutineProfileServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GoroutineProfileServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The base address the server listens on, with the port it got (<c>http://127.0.0.1:6060/</c>).</summary>
    public Uri Address { get; }

    /// <summary>Where the endpoints are: <see cref="Address"/> plus <c>debug/pprof/</c>.</summary>
    public Uri ProfilesAddress => new(Address, GoroutineProfileEndpoints.DefaultPrefix.TrimStart('/') + "/");

    /// <summary>Starts serving the <c>/debug/pprof</c> endpoints on <paramref name="address"/>.</summary>
    /// <param name="address">Go's "host:port": <c>localhost:6060</c>, <c>127.0.0.1:0</c> (a free port), <c>[::1]:6060</c>, or <c>:6060</c> (every interface).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server; dispose it to stop.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    /// <exception cref="FormatException"><paramref name="address"/> is not "host:port" with a port from 0 to 65535 and a host that is localhost, an IP address or empty.</exception>
    /// <exception cref="System.IO.IOException">The address is in use.</exception>
    public static async Task<GoroutineProfileServer> StartAsync(string address = "localhost:6060", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        IPEndPoint endpoint = Parse(address);
        // Empty: no configuration sources. The process's appsettings.json and environment
        // (Kestrel__Endpoints__*, ASPNETCORE_URLS) are the host program's; read here, Kestrel would
        // add their endpoints (often 0.0.0.0) to this one and serve the profiles there too.
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(options => options.Listen(endpoint));
        builder.Services.AddRoutingCore();
        WebApplication app = builder.Build();
        app.MapGoroutineProfiles();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        string bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new GoroutineProfileServer(app, new Uri(bound.Replace("[::]", "[::1]", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal) + "/"));
    }

    /// <summary>Stops the server and releases its port.</summary>
    /// <returns>A task that completes when the server has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static IPEndPoint Parse(string address)
    {
        int colon = address.LastIndexOf(':');
        string host = colon < 0 ? string.Empty : address[..colon];
        if (colon < 0 || !int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > IPEndPoint.MaxPort)
        {
            throw new FormatException($"The address \"{address}\" is not host:port with a port from 0 to 65535 (for example \"localhost:6060\" or \"127.0.0.1:0\").");
        }

        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        if (host.Length == 0)
        {
            return new IPEndPoint(IPAddress.IPv6Any, port);
        }

        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }

        return IPAddress.TryParse(host, out IPAddress? ip)
            ? new IPEndPoint(ip, port)
            : throw new FormatException($"The host \"{host}\" of \"{address}\" is not localhost, an IP address or empty; name resolution is left out so that the server listens where it says.");
    }
}
