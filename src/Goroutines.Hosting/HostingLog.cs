// Licensed under the MIT License.

using System;

using Microsoft.Extensions.Logging;

namespace Goroutines.Hosting;

/// <summary>The package's log messages, in the category <c>Goroutines.Hosting</c>.</summary>
internal static partial class HostingLog
{
    /// <summary>The logger category of every message of the package.</summary>
    public const string Category = "Goroutines.Hosting";

    /// <summary>A panic or fatal error: Go's report as the message, the exception (null for a fatal error) attached.</summary>
    [LoggerMessage(EventId = 1, EventName = "GoroutinePanic", Level = LogLevel.Error, Message = "{Report}")]
    public static partial void Panic(ILogger logger, Exception? exception, string report);

    /// <summary>Goroutines still alive when the host's shutdown timeout ran out, with their dump.</summary>
    [LoggerMessage(EventId = 2, EventName = "GoroutinesLeftBehind", Level = LogLevel.Warning,
        Message = "The host stopped before these goroutine services returned: {Services}. {Count} goroutine(s) started while the host ran are still alive:\n\n{Dump}")]
    public static partial void LeftBehind(ILogger logger, string services, int count, string dump);

    /// <summary>The goroutine services started.</summary>
    [LoggerMessage(EventId = 3, EventName = "GoroutineServicesStarted", Level = LogLevel.Debug,
        Message = "Started {Count} goroutine service(s) with GOMAXPROCS={MaxProcs}.")]
    public static partial void Started(ILogger logger, int count, int maxProcs);

    /// <summary>A panic that stops the host.</summary>
    [LoggerMessage(EventId = 4, EventName = "StoppingOnPanic", Level = LogLevel.Information,
        Message = "Stopping the host after a goroutine panicked (exit code 2).")]
    public static partial void StoppingOnPanic(ILogger logger);
}
