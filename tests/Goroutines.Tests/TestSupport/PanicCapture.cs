// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Goroutines.Tests.TestSupport;

/// <summary>
/// Installs a panic handler that records every <see cref="GoroutinePanic"/> instead of the
/// default one (which would end the test process with exit code 2), and restores the previous
/// handler on dispose. Thread-safe: the runtime calls the handler on the panicking thread.
/// </summary>
public sealed class PanicCapture : IDisposable
{
    private readonly Lock _lock = new();
    private readonly List<GoroutinePanic> _panics = [];
    private readonly List<(int Count, TaskCompletionSource Signal)> _waiters = [];
    private readonly Action<GoroutinePanic>? _previous;
    private bool _disposed;

    /// <summary>Installs the capturing handler.</summary>
    public PanicCapture() => _previous = Go.SetPanicHandler(Record);

    /// <summary>A snapshot of the panics received so far, in arrival order.</summary>
    public IReadOnlyList<GoroutinePanic> Captured
    {
        get
        {
            lock (_lock)
            {
                return [.. _panics];
            }
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> panics arrived and returns them all, or throws after the timeout.</summary>
    public async Task<IReadOnlyList<GoroutinePanic>> WaitForAsync(int count, TimeSpan? timeout = null)
    {
        TaskCompletionSource signal;
        lock (_lock)
        {
            if (_panics.Count >= count)
            {
                return [.. _panics];
            }

            signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, signal));
        }

        await signal.Task.Within(timeout, $"{count} panic(s) to reach the handler");
        return Captured;
    }

    /// <summary>Removes and returns every panic captured so far (those a test expected and checked).</summary>
    public IReadOnlyList<GoroutinePanic> TakeAll()
    {
        lock (_lock)
        {
            GoroutinePanic[] all = [.. _panics];
            _panics.Clear();
            return all;
        }
    }

    /// <summary>Describes the captured panics, for failure messages.</summary>
    public string Describe()
    {
        IReadOnlyList<GoroutinePanic> panics = Captured;
        return panics.Count == 0 ? "none" : string.Join("\n---\n", panics.Select(p => p.Report));
    }

    /// <summary>
    /// Restores the previous handler. When <paramref name="keepInstalled"/> is set (goroutines of
    /// the test are still alive), leaves this one in place so a late panic is recorded rather than
    /// ending the test process.
    /// </summary>
    public void Restore(bool keepInstalled)
    {
        if (_disposed || keepInstalled)
        {
            return;
        }

        _disposed = true;
        Go.SetPanicHandler(_previous);
    }

    /// <inheritdoc/>
    public void Dispose() => Restore(keepInstalled: false);

    private void Record(GoroutinePanic panic)
    {
        List<TaskCompletionSource> ready = [];
        lock (_lock)
        {
            _panics.Add(panic);
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_panics.Count >= _waiters[i].Count)
                {
                    ready.Add(_waiters[i].Signal);
                    _waiters.RemoveAt(i);
                }
            }
        }

        foreach (TaskCompletionSource signal in ready)
        {
            signal.TrySetResult();
        }
    }
}
