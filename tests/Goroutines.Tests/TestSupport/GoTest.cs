// Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Tasks;

namespace Goroutines.Tests.TestSupport;

/// <summary>
/// Runs goroutine bodies from a test and carries their outcome back: a body's exception
/// (an assertion that failed inside a goroutine) becomes the test's exception instead of a
/// panic, and every wait is bounded, so a scheduler bug fails the test rather than hanging it.
/// </summary>
public static class GoTest
{
    /// <summary>
    /// Starts a goroutine running <paramref name="body"/> and returns a task that completes with
    /// its outcome. The task's continuations never run on a runtime thread.
    /// </summary>
    public static Task Start(Func<Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var outcome = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Go.Run(async () =>
        {
            try
            {
                await body();
                outcome.SetResult();
            }
            catch (Exception ex)
            {
                outcome.SetException(ex);
            }
        });
        return outcome.Task;
    }

    /// <summary>Starts a goroutine running <paramref name="body"/> and returns a task that completes with its result.</summary>
    public static Task<T> Start<T>(Func<Task<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var outcome = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Go.Run(async () =>
        {
            try
            {
                outcome.SetResult(await body());
            }
            catch (Exception ex)
            {
                outcome.SetException(ex);
            }
        });
        return outcome.Task;
    }

    /// <summary>Runs <paramref name="body"/> as a goroutine and waits for it, at most <paramref name="timeout"/>.</summary>
    public static Task RunAsync(Func<Task> body, TimeSpan? timeout = null) =>
        Start(body).Within(timeout, "the goroutine to finish");

    /// <summary>Runs <paramref name="body"/> as a goroutine and returns its result, waiting at most <paramref name="timeout"/>.</summary>
    public static Task<T> RunAsync<T>(Func<Task<T>> body, TimeSpan? timeout = null) =>
        Start(body).Within(timeout, "the goroutine to finish");

    /// <summary>Waits for <paramref name="task"/>, failing with a message naming <paramref name="what"/> after the timeout.</summary>
    public static async Task Within(this Task task, TimeSpan? timeout = null, string what = "the task")
    {
        ArgumentNullException.ThrowIfNull(task);
        TimeSpan bound = timeout ?? TestTimeouts.Default;
        try
        {
            await task.WaitAsync(bound);
        }
        catch (TimeoutException ex) when (!task.IsCompleted)
        {
            throw new TimeoutException($"Timed out after {bound.TotalSeconds} s waiting for {what}.", ex);
        }
    }

    /// <summary>Waits for <paramref name="task"/> and returns its result, failing after the timeout.</summary>
    public static async Task<T> Within<T>(this Task<T> task, TimeSpan? timeout = null, string what = "the task")
    {
        ArgumentNullException.ThrowIfNull(task);
        await ((Task)task).Within(timeout, what);
        return await task;
    }

    /// <summary>Waits for <paramref name="signal"/>, throwing if it is not set within the timeout.</summary>
    public static void WaitFor(ManualResetEventSlim signal, string what, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(signal);
        TimeSpan bound = timeout ?? TestTimeouts.Default;
        if (!signal.Wait(bound))
        {
            throw new TimeoutException($"Timed out after {bound.TotalSeconds} s waiting for {what}.");
        }
    }

    /// <summary>
    /// Spins (without yielding the goroutine) until <paramref name="condition"/> holds, throwing
    /// after the timeout. For code that must hold its processor while it waits.
    /// </summary>
    public static void SpinUntil(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        TimeSpan bound = timeout ?? TestTimeouts.Default;
        if (!Poll.Until(condition, bound))
        {
            throw new TimeoutException($"Timed out after {bound.TotalSeconds} s waiting for {what}.");
        }
    }

    /// <summary>
    /// Yields the goroutine (<see cref="Go.YieldAsync"/>) until <paramref name="condition"/>
    /// holds, throwing after the timeout.
    /// </summary>
    public static async Task YieldUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        TimeSpan bound = timeout ?? TestTimeouts.Default;
        long deadline = Environment.TickCount64 + (long)bound.TotalMilliseconds;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException($"Timed out after {bound.TotalSeconds} s waiting for {what}.");
            }

            await Go.YieldAsync();
        }
    }
}
