// Licensed under the MIT License.

using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Scheduling;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Scheduling;

public sealed class GoroutineContextTests : RuntimeTest
{
    [Fact]
    public async Task Await_TaskDelay_ResumesAsSameGoroutineWithSameContext()
    {
        await GoTest.RunAsync(async () =>
        {
            long id = Go.CurrentGoroutineId;
            SynchronizationContext? context = SynchronizationContext.Current;
            Assert.NotEqual(0, id);
            Assert.IsType<Goroutine>(context);

            await Task.Delay(1); // completes on a timer thread the runtime does not own

            Assert.Equal(id, Go.CurrentGoroutineId);
            Assert.Same(context, SynchronizationContext.Current);
            Assert.NotNull(Machine.Current);
        });
    }

    [Fact]
    public async Task Await_TaskCompletedByForeignThreadAfterParking_ResumesAsSameGoroutineWithSameContext()
    {
        var completion = new TaskCompletionSource<int>(); // continuations run inline on the completing thread
        Goroutine? parked = null;
        using var goroutineKnown = new ManualResetEventSlim();
        Exception? completerError = null;

        // A plain thread, not the thread pool and not a machine: it completes the task only
        // once the goroutine is parked on it, so the continuation must travel back through
        // the goroutine's context.
        var completer = new Thread(() =>
        {
            try
            {
                GoTest.WaitFor(goroutineKnown, "the goroutine to start");
                GoTest.SpinUntil(() => parked!.Status == GoroutineStatus.Waiting, "the goroutine to park");
                completion.SetResult(42);
            }
            catch (Exception ex)
            {
                completerError = ex;
                completion.TrySetException(ex);
            }
        })
        { IsBackground = true, Name = "foreign completer" };
        completer.Start();

        int result = await GoTest.RunAsync(async () =>
        {
            long id = Go.CurrentGoroutineId;
            SynchronizationContext? context = SynchronizationContext.Current;
            Assert.NotEqual(0, id);
            Assert.IsType<Goroutine>(context);
            parked = Goroutine.Running;
            goroutineKnown.Set();

            int value = await completion.Task;

            Assert.Equal(id, Go.CurrentGoroutineId);
            Assert.Same(context, SynchronizationContext.Current);
            Assert.Same(parked, Goroutine.Running);
            Assert.NotEqual("foreign completer", Thread.CurrentThread.Name);
            return value;
        });

        Assert.Null(completerError);
        Assert.Equal(42, result);
        Assert.True(completer.Join(TestTimeouts.Default), "The completing thread did not end.");
    }

    [Fact]
    public async Task Post_AfterGoroutineExited_RunsAsOrphanGoroutineCreatedByIt()
    {
        // Late posts to an exited goroutine's context each run as a new goroutine whose
        // creator is the exited one. A thousand of them, from a thread the runtime does not own.
        const int posts = 1_000;
        const int bursts = 50;
        SynchronizationContext? context = null;
        long exitedId = await GoTest.RunAsync(() =>
        {
            context = SynchronizationContext.Current;
            return Task.FromResult(Go.CurrentGoroutineId);
        });
        Assert.True(Poll.Until(() => ((Goroutine)context!).HasExited, TestTimeouts.Default), "The goroutine did not exit.");

        // In bursts, each waited for: the race for the orphan's creator is won by a machine that
        // is awake and looking for work when the post arrives, as after each burst.
        var orphans = new ConcurrentQueue<(long Id, long ParentId)>();
        for (int burst = 0; burst < bursts; burst++)
        {
            int remaining = posts / bursts;
            var burstRan = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            for (int i = 0; i < posts / bursts; i++)
            {
                context!.Post(
                    _ =>
                    {
                        orphans.Enqueue((Go.CurrentGoroutineId, Goroutine.Running!.ParentId));
                        if (Interlocked.Decrement(ref remaining) == 0)
                        {
                            burstRan.SetResult();
                        }
                    },
                    null);
            }

            await burstRan.Task.Within(what: "the late posts to run");
        }

        Assert.Equal(posts, orphans.Count);
        Assert.All(orphans, orphan => Assert.NotEqual(0, orphan.Id));
        Assert.DoesNotContain(orphans, orphan => orphan.Id == exitedId);
        Assert.Equal(posts, orphans.Select(orphan => orphan.Id).Distinct().Count());
        long[] wrongParents = [.. orphans.Where(orphan => orphan.ParentId != exitedId).Select(orphan => orphan.ParentId)];
        Assert.True(wrongParents.Length == 0, $"{wrongParents.Length} of {posts} orphans had another parent than goroutine {exitedId}: {string.Join(", ", wrongParents.Distinct())}.");
    }
}
