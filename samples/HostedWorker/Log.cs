// Licensed under the MIT License.

using System;

using Microsoft.Extensions.Logging;

namespace HostedWorker;

/// <summary>The sample's log messages.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Consumer: job {Number} (made at {MadeAt:HH:mm:ss.fff}) on goroutine {Goroutine}.")]
    public static partial void JobReceived(ILogger logger, int number, DateTimeOffset madeAt, long goroutine);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Producer: sent {Count} job(s), channel closed.")]
    public static partial void ProducerDone(ILogger logger, int count);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Consumer: channel closed after {Count} job(s).")]
    public static partial void ConsumerDone(ILogger logger, int count);
}
