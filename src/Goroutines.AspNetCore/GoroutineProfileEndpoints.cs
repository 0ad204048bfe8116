// Licensed under the MIT License.

using System;
using System.Globalization;
using System.IO;
using System.Net;
using System.Threading.Tasks;

using Goroutines.Diagnostics;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Goroutines.AspNetCore;

// GoroutineProfileEndpoints: Go's net/http/pprof handlers for this runtime, as ASP.NET Core
// endpoints under one route group (so an app can put authorization, a host filter or rate
// limits on the group, which Go leaves to the mux).
//
//   {prefix}/                    an index of what is served
//   {prefix}/goroutine           debug=0 (default): the pprof protobuf profile, gzipped
//                                debug=1: grouped text; debug=2: every goroutine (Go's panic shape)
//   {prefix}/trace?seconds=N     the execution trace of the next N seconds (default 1), Chrome JSON
//   {prefix}/sched               the scheduler trace line (GODEBUG=schedtrace), detailed=1 for scheddetail
//   {prefix}/flightrecorder      the running flight recorder's window (FlightRecorder), Chrome JSON;
//                                409 when none runs (Go has no such endpoint: its flight recorder
//                                is snapshot from code; here the app starts one, and this reads it)
//
// Bodies are built in memory and written asynchronously: Kestrel forbids synchronous writes,
// and a dump is a snapshot anyway. Bad query values get 400 with a message that says what is
// accepted, and a trace asked for while another runs gets 500 with Go's wording. The flight
// recorder is never started by a request: it costs memory and a little time per event for
// as long as it runs, which is the app's decision (FlightRecorder.Start, or the environment
// variable GOROUTINES_FLIGHT_RECORDER).
/// <summary>Maps Go's <c>/debug/pprof</c> endpoints for goroutines into an ASP.NET Core app.</summary>
public static class GoroutineProfileEndpoints
{
    /// <summary>The route prefix Go's <c>net/http/pprof</c> uses.</summary>
    public const string DefaultPrefix = "/debug/pprof";

    // The longest trace a request may ask for (Go has no limit but the server's write timeout).
    private const double MaxTraceSeconds = 600;

    /// <summary>
    /// Maps the goroutine profile, execution trace, scheduler trace and flight recorder endpoints under
    /// <paramref name="prefix"/>, with an index page at the prefix itself.
    /// </summary>
    /// <param name="endpoints">The app or route builder.</param>
    /// <param name="prefix">The route prefix; Go's is <see cref="DefaultPrefix"/>.</param>
    /// <returns>The route group, to add conventions to (<c>RequireAuthorization</c>, <c>RequireHost</c>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="endpoints"/> or <paramref name="prefix"/> is null.</exception>
    /// <example><code>app.MapGoroutineProfiles().RequireHost("localhost");</code></example>
    public static RouteGroupBuilder MapGoroutineProfiles(this IEndpointRouteBuilder endpoints, string prefix = DefaultPrefix)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        RouteGroupBuilder group = endpoints.MapGroup(prefix);
        group.MapGet("/", (RequestDelegate)IndexAsync);
        group.MapGet("/goroutine", (RequestDelegate)GoroutineAsync);
        group.MapGet("/trace", (RequestDelegate)TraceAsync);
        group.MapGet("/sched", (RequestDelegate)SchedulerAsync);
        group.MapGet("/flightrecorder", (RequestDelegate)FlightRecorderAsync);
        return group;
    }

    private static Task IndexAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        string root = WebUtility.HtmlEncode($"{request.PathBase}{request.Path.Value?.TrimEnd('/')}/"); // links work with or without the trailing slash
        string count = Go.NumGoroutine.ToString(CultureInfo.InvariantCulture);
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync($"""
            <!DOCTYPE html>
            <html><head><title>{root}</title></head><body>
            <p>Types of profiles available:</p>
            <table>
            <tr><td align="right">{count}</td><td><a href="{root}goroutine?debug=1">goroutine</a></td><td>Stacks of all current goroutines: grouped, <a href="{root}goroutine?debug=2">each one</a>, or <a href="{root}goroutine">the pprof profile</a> (<code>go tool pprof</code> reads it)</td></tr>
            <tr><td></td><td><a href="{root}trace?seconds=1">trace</a></td><td>The execution trace of the next seconds, as Chrome trace JSON (Perfetto, chrome://tracing)</td></tr>
            <tr><td></td><td><a href="{root}sched">sched</a></td><td>The scheduler's state now (<a href="{root}sched?detailed=1">in detail</a>)</td></tr>
            <tr><td></td><td><a href="{root}flightrecorder">flightrecorder</a></td><td>The last seconds of the execution trace, kept by the running flight recorder ({(FlightRecorder.Running is null ? "none runs: start one with FlightRecorder.Start()" : "running")}), as Chrome trace JSON</td></tr>
            </table>
            </body></html>
            """, context.RequestAborted);
    }

    private static async Task GoroutineAsync(HttpContext context)
    {
        if (!TryReadInt(context, "debug", defaultValue: 0, out int debug) || debug < 0)
        {
            await BadRequestAsync(context, "debug must be 0 (the pprof protobuf profile), 1 (grouped text) or 2 (every goroutine)").ConfigureAwait(false);
            return;
        }

        GoroutineDump dump = GoroutineDump.Capture();
        if (debug == 0)
        {
            using var profile = new MemoryStream();
            GoroutineProfile.WriteTo(profile, dump);
            context.Response.ContentType = "application/octet-stream";
            context.Response.Headers.ContentDisposition = "attachment; filename=\"goroutine\"";
            await context.Response.Body.WriteAsync(profile.GetBuffer().AsMemory(0, (int)profile.Length), context.RequestAborted).ConfigureAwait(false);
            return;
        }

        using var text = new StringWriter(CultureInfo.InvariantCulture);
        dump.WriteTo(text, debug == 1 ? GoroutineDumpFormat.Grouped : GoroutineDumpFormat.Full);
        await PlainTextAsync(context, text.ToString()).ConfigureAwait(false);
    }

    private static async Task TraceAsync(HttpContext context)
    {
        string? asked = context.Request.Query["seconds"];
        double seconds = 1;
        if (asked is not null
            && (!double.TryParse(asked, NumberStyles.Float, CultureInfo.InvariantCulture, out seconds) || !(seconds > 0 && seconds <= MaxTraceSeconds)))
        {
            await BadRequestAsync(context, $"seconds must be a number above 0 and at most {MaxTraceSeconds}").ConfigureAwait(false);
            return;
        }

        ExecutionTrace trace;
        try
        {
            trace = ExecutionTrace.Start();
        }
        catch (InvalidOperationException)
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            await PlainTextAsync(context, "Could not enable tracing: tracing is already enabled\n").ConfigureAwait(false);
            return;
        }

        using (trace)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(seconds), context.RequestAborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                return; // the client left: nobody to write to, and the trace stops with the using
            }

            using var json = new MemoryStream();
            trace.WriteTo(json);
            context.Response.ContentType = "application/json";
            context.Response.Headers.ContentDisposition = "attachment; filename=\"trace.json\"";
            await context.Response.Body.WriteAsync(json.GetBuffer().AsMemory(0, (int)json.Length), context.RequestAborted).ConfigureAwait(false);
        }
    }

    private static async Task FlightRecorderAsync(HttpContext context)
    {
        using var json = new MemoryStream();
        if (!TryWriteFlightRecorder(json))
        {
            context.Response.StatusCode = StatusCodes.Status409Conflict;
            await PlainTextAsync(
                context,
                "No flight recorder is running: start one in the app with FlightRecorder.Start(), or set the environment variable GOROUTINES_FLIGHT_RECORDER to a file path before the runtime starts.\n").ConfigureAwait(false);
            return;
        }

        context.Response.ContentType = "application/json";
        context.Response.Headers.ContentDisposition = "attachment; filename=\"flightrecorder.json\"";
        await context.Response.Body.WriteAsync(json.GetBuffer().AsMemory(0, (int)json.Length), context.RequestAborted).ConfigureAwait(false);
    }

    // Writes the running recorder's window (a copy of its rings: recording goes on); false when
    // none runs, or the one read stopped before its snapshot.
    private static bool TryWriteFlightRecorder(MemoryStream json)
    {
        if (FlightRecorder.Running is not { } recorder)
        {
            return false;
        }

        try
        {
            recorder.WriteTo(json);
            return true;
        }
        catch (InvalidOperationException) when (!recorder.IsRunning)
        {
            return false;
        }
    }

    private static Task SchedulerAsync(HttpContext context)
    {
        if (!TryReadInt(context, "detailed", defaultValue: 0, out int detailed) || detailed is not (0 or 1))
        {
            return BadRequestAsync(context, "detailed must be 0 (GODEBUG=schedtrace's line) or 1 (scheddetail's)");
        }

        using var text = new StringWriter(CultureInfo.InvariantCulture);
        Go.WriteSchedulerTrace(text, detailed == 1);
        return PlainTextAsync(context, text.ToString());
    }

    private static bool TryReadInt(HttpContext context, string name, int defaultValue, out int value)
    {
        string? text = context.Request.Query[name];
        value = defaultValue;
        return text is null || int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value);
    }

    private static Task BadRequestAsync(HttpContext context, string message)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return PlainTextAsync(context, message + "\n");
    }

    private static Task PlainTextAsync(HttpContext context, string text)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text, context.RequestAborted);
    }
}
