// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Goroutines.Tests.TestSupport;

/// <summary>
/// A text writer that keeps each string written to it as one entry (the scheduler trace writes a
/// whole snapshot per call) and lets a test wait until a number of entries arrived. Thread-safe:
/// sysmon writes, the test reads.
/// </summary>
internal sealed class CapturingWriter : TextWriter
{
    private readonly Lock _lock = new();
    private readonly List<string> _entries = [];
    private readonly List<(int Count, TaskCompletionSource Signal)> _waiters = [];

    /// <inheritdoc/>
    public override Encoding Encoding => Encoding.UTF8;

    /// <summary>The entries written so far.</summary>
    public IReadOnlyList<string> Entries
    {
        get
        {
            lock (_lock)
            {
                return [.. _entries];
            }
        }
    }

    /// <inheritdoc/>
    public override void Write(string? value)
    {
        if (value is null)
        {
            return;
        }

        List<TaskCompletionSource> ready = [];
        lock (_lock)
        {
            _entries.Add(value);
            _waiters.RemoveAll(waiter =>
            {
                if (_entries.Count < waiter.Count)
                {
                    return false;
                }

                ready.Add(waiter.Signal);
                return true;
            });
        }

        foreach (TaskCompletionSource signal in ready)
        {
            signal.TrySetResult();
        }
    }

    /// <inheritdoc/>
    public override void Write(char value) => Write(value.ToString());

    /// <summary>Completes once at least <paramref name="count"/> entries were written.</summary>
    public Task WaitForEntriesAsync(int count)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_entries.Count >= count)
            {
                return Task.CompletedTask;
            }

            _waiters.Add((count, signal));
        }

        return signal.Task;
    }
}
