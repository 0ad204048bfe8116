// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

using Microsoft.Extensions.Logging;

namespace Goroutines.Hosting.Tests.TestSupport;

/// <summary>
/// A logger provider that records every message, at every level, for a test to assert on; and
/// lets it wait, bounded, for a message that a goroutine logs. Thread-safe.
/// </summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly Lock _lock = new();
    private readonly List<LogEntry> _entries = [];
    private readonly List<(Func<LogEntry, bool> Match, TaskCompletionSource<LogEntry> Signal)> _waiters = [];

    /// <summary>A snapshot of the messages so far, in arrival order.</summary>
    public IReadOnlyList<LogEntry> Entries
    {
        get
        {
            lock (_lock)
            {
                return [.. _entries];
            }
        }
    }

    /// <summary>Waits until a message that <paramref name="match"/> accepts arrived (or had arrived) and returns it.</summary>
    public async Task<LogEntry> WaitForAsync(Func<LogEntry, bool> match)
    {
        TaskCompletionSource<LogEntry> signal;
        lock (_lock)
        {
            if (_entries.FirstOrDefault(match) is { } found)
            {
                return found;
            }

            signal = new TaskCompletionSource<LogEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, signal));
        }

        try
        {
            return await signal.Task.WaitAsync(TestTimeouts.Default);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"No matching log message within {TestTimeouts.Default.TotalSeconds} s. Messages:\n{Describe()}");
        }
    }

    /// <summary>Every message, one per line, for failure messages.</summary>
    public string Describe() => string.Join("\n", Entries);

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

    /// <inheritdoc/>
    public void Dispose()
    {
    }

    private void Add(LogEntry entry)
    {
        List<(TaskCompletionSource<LogEntry> Signal, LogEntry Entry)> ready = [];
        lock (_lock)
        {
            _entries.Add(entry);
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(entry))
                {
                    ready.Add((_waiters[i].Signal, entry));
                    _waiters.RemoveAt(i);
                }
            }
        }

        foreach ((TaskCompletionSource<LogEntry> signal, LogEntry matched) in ready)
        {
            signal.TrySetResult(matched);
        }
    }

    private sealed class CapturingLogger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider.Add(new LogEntry(category, logLevel, eventId, formatter(state, exception), exception));
    }
}
