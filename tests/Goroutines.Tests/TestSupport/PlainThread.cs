// Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Tasks;

namespace Goroutines.Tests.TestSupport;

/// <summary>
/// A dedicated OS thread that the runtime does not own, for the blocking forms of the channel
/// operations: the test can wait until the thread is blocked (in the kernel, not spinning)
/// before it acts, and bound the wait for its outcome.
/// </summary>
internal sealed class PlainThread
{
    private readonly Thread _thread;
    private readonly TaskCompletionSource _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private PlainThread(Action body)
    {
        _thread = new Thread(() =>
        {
            try
            {
                body();
                _outcome.SetResult();
            }
#pragma warning disable CA1031 // The outcome carries any exception to the test.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _outcome.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "test plain thread",
        };
    }

    /// <summary>Completes when the body returned, or faults with what it threw.</summary>
    public Task Completion => _outcome.Task;

    /// <summary>Whether the thread is blocked in a wait now.</summary>
    public bool IsBlocked => (_thread.ThreadState & ThreadState.WaitSleepJoin) != 0;

    /// <summary>Starts <paramref name="body"/> on a new background thread.</summary>
    public static PlainThread Start(Action body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var thread = new PlainThread(body);
        thread._thread.Start();
        return thread;
    }

    /// <summary>Waits (polling, bounded) until the thread is blocked; throws if it finished or did not block in time.</summary>
    public void WaitUntilBlocked(string what)
    {
        bool blocked = Poll.Until(() => IsBlocked || Completion.IsCompleted, TestTimeouts.Default) && !Completion.IsCompleted;
        if (!blocked)
        {
            throw new TimeoutException($"The thread did not block in {what}; it {(Completion.IsCompleted ? "finished: " + Completion.Status : "kept running")}.");
        }
    }
}
