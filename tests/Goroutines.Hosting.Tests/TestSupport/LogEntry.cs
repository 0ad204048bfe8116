// Licensed under the MIT License.

using System;

using Microsoft.Extensions.Logging;

namespace Goroutines.Hosting.Tests.TestSupport;

/// <summary>One message as a <see cref="CapturingLoggerProvider"/> received it.</summary>
public sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Level} {Category}[{EventId.Id}]: {Message}";
}
