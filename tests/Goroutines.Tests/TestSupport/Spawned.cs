// Licensed under the MIT License.

using System;
using System.Threading.Tasks;

using Goroutines.Scheduling;

namespace Goroutines.Tests.TestSupport;

/// <summary>
/// A goroutine a test started, with its outcome and its runtime object, so the test can wait
/// until it parked with a given reason before it goes on: the way to park several goroutines
/// one at a time in a known order, and to tell "still blocked" from "not there yet".
/// </summary>
internal class Spawned
{
    private protected Spawned(Task completion, Goroutine goroutine)
    {
        Completion = completion;
        Goroutine = goroutine;
        Id = goroutine.Id;
    }

    /// <summary>Completes with the body's outcome (see <see cref="GoTest.Start(Func{Task})"/>).</summary>
    public Task Completion { get; }

    /// <summary>The goroutine's runtime object.</summary>
    public Goroutine Goroutine { get; }

    /// <summary>The goroutine's id.</summary>
    public long Id { get; }

    /// <summary>Starts <paramref name="body"/> as a goroutine and returns once it began running.</summary>
    public static async Task<Spawned> StartAsync(Func<Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var started = new TaskCompletionSource<Goroutine>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task completion = GoTest.Start(async () =>
        {
            started.SetResult(Goroutine.Running!);
            await body();
        });
        Goroutine goroutine = await started.Task.Within(what: "the goroutine to start");
        return new Spawned(completion, goroutine);
    }

    /// <summary>Starts <paramref name="body"/> as a goroutine and returns once it began running.</summary>
    public static async Task<Spawned<T>> StartAsync<T>(Func<Task<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var started = new TaskCompletionSource<Goroutine>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<T> completion = GoTest.Start(async () =>
        {
            started.SetResult(Goroutine.Running!);
            return await body();
        });
        Goroutine goroutine = await started.Task.Within(what: "the goroutine to start");
        return new Spawned<T>(completion, goroutine);
    }

    /// <summary>Starts <paramref name="body"/> and returns once the goroutine is parked with <paramref name="reason"/>.</summary>
    public static async Task<Spawned> ParkedAsync(Func<Task> body, WaitReason reason)
    {
        Spawned spawned = await StartAsync(body);
        spawned.WaitUntilParked(reason);
        return spawned;
    }

    /// <summary>Starts <paramref name="body"/> and returns once the goroutine is parked with <paramref name="reason"/>.</summary>
    public static async Task<Spawned<T>> ParkedAsync<T>(Func<Task<T>> body, WaitReason reason)
    {
        Spawned<T> spawned = await StartAsync(body);
        spawned.WaitUntilParked(reason);
        return spawned;
    }

    /// <summary>Whether the goroutine is parked now with <paramref name="reason"/>.</summary>
    public bool IsParked(WaitReason reason) => Goroutine.Status == GoroutineStatus.Waiting && Goroutine.WaitReason == reason;

    /// <summary>Whether the goroutine is inside a blocking region now (a synchronous channel operation).</summary>
    public bool IsInBlockingRegion => Goroutine.Status == GoroutineStatus.Syscall;

    /// <summary>
    /// Waits (polling its informational status, bounded) until the goroutine is parked with
    /// <paramref name="reason"/>; throws if it finished or did not park so in time.
    /// </summary>
    public void WaitUntilParked(WaitReason reason)
    {
        bool parked = Poll.Until(() => IsParked(reason) || Completion.IsCompleted, TestTimeouts.Default) && !Completion.IsCompleted;
        if (!parked)
        {
            throw new TimeoutException($"Goroutine {Id} did not park with reason {reason}: {Describe()}.");
        }
    }

    /// <summary>Waits (bounded) until the goroutine is inside a blocking region; throws otherwise.</summary>
    public void WaitUntilInBlockingRegion()
    {
        bool blocked = Poll.Until(() => IsInBlockingRegion || Completion.IsCompleted, TestTimeouts.Default) && !Completion.IsCompleted;
        if (!blocked)
        {
            throw new TimeoutException($"Goroutine {Id} did not block in a blocking region: {Describe()}.");
        }
    }

    /// <summary>The goroutine's state, for failure messages.</summary>
    public string Describe() => Completion.IsCompleted
        ? $"it finished ({Completion.Status}{(Completion.Exception is { } e ? ": " + e.InnerException?.Message : "")})"
        : $"it is {Goroutine.Status} ({Goroutine.WaitReason})";
}

/// <summary>A <see cref="Spawned"/> goroutine whose body returns a value.</summary>
/// <typeparam name="T">The body's result.</typeparam>
internal sealed class Spawned<T> : Spawned
{
    internal Spawned(Task<T> completion, Goroutine goroutine)
        : base(completion, goroutine)
    {
        Result = completion;
    }

    /// <summary>Completes with the body's result.</summary>
    public Task<T> Result { get; }
}
