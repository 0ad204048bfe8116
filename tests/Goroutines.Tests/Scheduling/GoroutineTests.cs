// Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Scheduling;

public sealed class GoroutineTests : RuntimeTest
{
    private const int GoroutineCount = 200;
    private const int Steps = 60;
    private const int PostsPerStep = 3;
    private const int PostsPerGoroutine = Steps * PostsPerStep;

    [Fact]
    public async Task Enqueue_RacingForeignCompletionsAndPosts_GoroutineNeverRunsOnTwoThreadsAtOnce()
    {
        // Each goroutine is one sequential flow: its own steps and the callbacks posted to its
        // context from other threads must never overlap. Every piece of its code marks itself
        // inside with an exchange; finding the mark already set is an overlap.
        var state = new StressState();
        var goroutines = new Task[GoroutineCount];
        for (int i = 0; i < GoroutineCount; i++)
        {
            int index = i;
            goroutines[i] = GoTest.Start(() => RunStressedGoroutineAsync(state, index));
        }

        await Task.WhenAll(goroutines).Within(TimeSpan.FromSeconds(60), "the stressed goroutines");

        Assert.Equal(0, Volatile.Read(ref state.Overlaps));
        Assert.Equal(0, Volatile.Read(ref state.WrongGoroutine));
        Assert.Equal(0, Volatile.Read(ref state.DuplicatePosts));
        Assert.Equal((long)GoroutineCount * PostsPerGoroutine, Interlocked.Read(ref state.PostsRun));
        for (int i = 0; i < GoroutineCount; i++)
        {
            for (int k = 0; k < PostsPerGoroutine; k++)
            {
                Assert.Equal(1, state.PostRuns[i][k]);
            }
        }
    }

    private static async Task RunStressedGoroutineAsync(StressState state, int index)
    {
        long id = Go.CurrentGoroutineId;
        SynchronizationContext context = SynchronizationContext.Current!;
        var allPostsRan = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int postsLeft = PostsPerGoroutine;

        void RunPost(int post)
        {
            state.Enter(index);
            if (Go.CurrentGoroutineId != id)
            {
                Interlocked.Increment(ref state.WrongGoroutine);
            }

            if (Interlocked.Increment(ref state.PostRuns[index][post]) != 1)
            {
                Interlocked.Increment(ref state.DuplicatePosts);
            }

            Interlocked.Increment(ref state.PostsRun);
            Thread.SpinWait(10);
            state.Exit(index);
            if (Interlocked.Decrement(ref postsLeft) == 0)
            {
                allPostsRan.SetResult();
            }
        }

        for (int step = 0; step < Steps; step++)
        {
            state.Enter(index);
            if (Go.CurrentGoroutineId != id)
            {
                Interlocked.Increment(ref state.WrongGoroutine);
            }

            // Posts that race with this very step, from a thread the runtime does not own.
            int firstPost = step * PostsPerStep;
            ThreadPool.UnsafeQueueUserWorkItem(
                _ =>
                {
                    for (int k = 0; k < PostsPerStep; k++)
                    {
                        int post = firstPost + k;
                        context.Post(_ => RunPost(post), null);
                    }
                },
                null);
            Thread.SpinWait(50);
            state.Exit(index);

            switch (step % 3)
            {
                case 0:
                    var completion = new TaskCompletionSource();
                    ThreadPool.UnsafeQueueUserWorkItem(static s => ((TaskCompletionSource)s!).SetResult(), completion);
                    await completion.Task;
                    break;
                case 1:
                    await Task.Yield();
                    break;
                default:
                    await Go.YieldAsync();
                    break;
            }
        }

        // Wait here for the last posts: a post that arrives after the goroutine exited runs
        // as a goroutine of its own, and two of those could overlap legitimately.
        await allPostsRan.Task.WaitAsync(TestTimeouts.Default);
        Assert.Equal(id, Go.CurrentGoroutineId);
    }

    private sealed class StressState
    {
        public readonly int[] Inside = new int[GoroutineCount];
        public readonly int[][] PostRuns = CreatePostRuns();
        public int Overlaps;
        public int WrongGoroutine;
        public int DuplicatePosts;
        public long PostsRun;

        public void Enter(int index)
        {
            if (Interlocked.Exchange(ref Inside[index], 1) != 0)
            {
                Interlocked.Increment(ref Overlaps);
            }
        }

        public void Exit(int index) => Volatile.Write(ref Inside[index], 0);

        private static int[][] CreatePostRuns()
        {
            int[][] runs = new int[GoroutineCount][];
            for (int i = 0; i < GoroutineCount; i++)
            {
                runs[i] = new int[PostsPerGoroutine];
            }

            return runs;
        }
    }
}
