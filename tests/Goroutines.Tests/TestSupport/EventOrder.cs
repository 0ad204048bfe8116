// Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Tasks;

namespace Goroutines.Tests.TestSupport;

/// <summary>
/// Asserts the order of events across goroutines, in the style of kotlinx.coroutines' tests:
/// each event calls <see cref="Expect"/> with its number, the last one <see cref="Finish"/>.
/// Thread-safe. A wrong order fails the event that noticed it (it throws, so the goroutine
/// stops there) and <see cref="AssertFinishedAsync"/>, which the test awaits.
/// </summary>
public sealed class EventOrder
{
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _count;

    /// <summary>Number of events so far.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Records event <paramref name="index"/>; throws unless exactly <c>index - 1</c> events came before it.</summary>
    public void Expect(int index)
    {
        int actual = Interlocked.Increment(ref _count);
        if (actual != index)
        {
            var error = new InvalidOperationException($"Expected event {index}, but it came as event {actual}.");
            _finished.TrySetException(error);
            throw error;
        }
    }

    /// <summary>Records the last event, <paramref name="index"/>.</summary>
    public void Finish(int index)
    {
        Expect(index);
        _finished.TrySetResult();
    }

    /// <summary>Waits until <see cref="Finish"/> ran, rethrowing the first order violation; bounded by <paramref name="timeout"/>.</summary>
    public Task AssertFinishedAsync(TimeSpan? timeout = null) =>
        _finished.Task.Within(timeout, $"the last event (after {Count} events)");
}
