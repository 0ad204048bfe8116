// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Contexts;
using Goroutines.Sync;
using Goroutines.Testing;
using Goroutines.Tests.TestSupport;
using Goroutines.Time;

using Xunit;

namespace Goroutines.Tests;

/// <summary>
/// The Go functions a porter reaches for: <c>go f(x, y)</c> with its arguments evaluated at the
/// go statement, <c>time.Now</c>/<c>Since</c>/<c>Until</c> on a monotonic reading, an
/// <c>AfterFunc</c> whose function waits, <c>Once.Do</c> of a synchronous function without
/// blocking a thread, <c>RWMutex.RLocker</c>, and <c>errors.Is</c>/<c>errors.As</c> through wrapping.
/// </summary>
public sealed class PortingFunctionsTests : RuntimeTest
{
    // ------------------------------------------------------------------ go f(x, y)

    [Fact]
    public async Task Run_WithArgumentsInALoop_EachGoroutineGetsItsIterationsValue_AsGoEvaluatesArgumentsAtTheGoStatement()
    {
        const int workers = 100;
        var results = new Chan<int>(workers);

        for (int i = 0; i < workers; i++)
        {
            Go.Run(SendAsync, i, results);
        }

        int[] received = await GoTest.RunAsync(async () =>
        {
            var values = new int[workers];
            for (int i = 0; i < workers; i++)
            {
                values[i] = await results.ReceiveAsync();
            }

            return values;
        });
        Assert.Equal(Enumerable.Range(0, workers), received.Order());
    }

    [Fact]
    public async Task Run_SynchronousFunctionsOfOneToFourArguments_GetTheirArguments()
    {
        var results = new Chan<string>(8);

        Go.Run(static (string a, Chan<string> r) => r.TrySend(a), "one", results);
        Go.Run(static (string a, int b, Chan<string> r) => r.TrySend($"{a}{b}"), "two", 2, results);
        Go.Run(static (string a, int b, char c, Chan<string> r) => r.TrySend($"{a}{b}{c}"), "three", 3, 'c', results);
        Go.Run(async (string a, Chan<string> r) => await r.SendAsync(a + "!"), "async", results);
        Go.Run(async (string a, int b, Chan<string> r) => await r.SendAsync($"{a}{b}!"), "async", 2, results);
        Go.Run(async (string a, int b, char c, Chan<string> r) => await r.SendAsync($"{a}{b}{c}!"), "async", 3, 'c', results);
        Go.Run(static (int a, int b, int c, int d) => Interlocked.Add(ref s_sum, a + b + c + d), 1, 2, 3, 4);
        Go.Run(async (int a, int b, int c, Chan<string> r) => await r.SendAsync($"{a + b + c}"), 1, 2, 3, results);

        string[] received = await GoTest.RunAsync(async () =>
        {
            var values = new List<string>();
            for (int i = 0; i < 7; i++)
            {
                values.Add(await results.ReceiveAsync());
            }

            return values.ToArray();
        });
        Assert.Equal(["6", "async!", "async2!", "async3c!", "one", "three3c", "two2"], received.Order(StringComparer.Ordinal));
        Assert.True(Poll.Until(() => Volatile.Read(ref s_sum) == 10, TestTimeouts.Default));
    }

    [Fact]
    public void Run_WithArgumentsNullFunction_ThrowsArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>("function", () => Go.Run((Func<int, Task>)null!, 1));
        Assert.Throws<ArgumentNullException>("function", () => Go.Run((Action<int, int>)null!, 1, 2));
    }

    // ------------------------------------------------------------------ time.Now, Since, Until

    [Fact]
    public async Task NowSinceUntil_OnTheRuntimesClock_MeasureByTheMonotonicReading()
    {
        await SyncTest.RunAsync(async () =>
        {
            Instant start = Clock.Now();
            Instant deadline = start.Add(TimeSpan.FromSeconds(10));

            await Clock.SleepAsync(TimeSpan.FromSeconds(3));

            Assert.True(start.HasMonotonic);
            Assert.Equal(TimeSpan.FromSeconds(3), Clock.Since(start));
            Assert.Equal(TimeSpan.FromSeconds(7), Clock.Until(deadline));
            Assert.Equal(Clock.Provider.GetUtcNow(), Clock.Now().Wall);
            Assert.Equal(start.Wall + TimeSpan.FromSeconds(3), Clock.Now().Wall);
            Assert.True(start < Clock.Now() && deadline > Clock.Now());
        }).WaitAsync(TestTimeouts.Default);
    }

    [Fact]
    public void Since_WallClockSetBackwards_StillMeasuresTheElapsedTime()
    {
        var clock = new SettableClock();
        TimeProvider previous = Clock.Provider;
        Clock.Provider = clock;
        try
        {
            Instant start = Clock.Now();
            clock.Elapse(TimeSpan.FromSeconds(2));
            clock.SetWall(clock.GetUtcNow() - TimeSpan.FromHours(1)); // someone set the system clock back

            Assert.Equal(TimeSpan.FromSeconds(2), Clock.Since(start));
            Assert.Equal(TimeSpan.FromHours(-1) + TimeSpan.FromSeconds(2), Clock.Now().Wall - start.Wall);
            Assert.False(Instant.FromWall(start.Wall).HasMonotonic);
            Assert.Equal(Clock.Now().Wall - start.Wall, Clock.Now() - Instant.FromWall(start.Wall)); // without a monotonic reading: the wall clock, as Go
        }
        finally
        {
            Clock.Provider = previous;
        }
    }

    // ------------------------------------------------------------------ time.AfterFunc with a function that waits

    [Fact]
    public async Task AfterFunc_AsyncFunction_RunsInItsOwnGoroutineAndMayWait()
    {
        string[] seen = [];
        await SyncTest.RunAsync(async () =>
        {
            Instant start = Clock.Now();
            var steps = new Chan<string>(3);
            var release = new Chan<bool>();

            Clock.AfterFunc(TimeSpan.FromSeconds(1), async () =>
            {
                await steps.SendAsync("started");
                await release.ReceiveAsync(); // Go's f may block: here it parks
                await steps.SendAsync("finished");
            });

            string first = await steps.ReceiveAsync();
            Assert.Equal(TimeSpan.FromSeconds(1), Clock.Since(start));
            await release.SendAsync(true);
            seen = [first, await steps.ReceiveAsync()];
        }).WaitAsync(TestTimeouts.Default);

        Assert.Equal(["started", "finished"], seen);
    }

    [Fact]
    public async Task AfterFunc_AsyncFunctionStoppedBeforeItFires_NeverRuns()
    {
        int runs = 0;
        await SyncTest.RunAsync(async () =>
        {
            Goroutines.Time.Timer timer = Clock.AfterFunc(TimeSpan.FromSeconds(1), async () =>
            {
                Interlocked.Increment(ref runs);
                await Go.YieldAsync();
            });

            Assert.True(timer.Stop());
            await Clock.SleepAsync(TimeSpan.FromSeconds(2));
        }).WaitAsync(TestTimeouts.Default);

        Assert.Equal(0, runs);
    }

    // ------------------------------------------------------------------ sync

    [Fact]
    public async Task OnceDoAsync_SynchronousFunction_RunsOnceAndOtherCallersParkUntilItReturns()
    {
        const int callers = 8;
        Settings.SetMaxProcs(Math.Max(2, Go.MaxProcs));
        var once = new Once();
        int runs = 0;
        int returned = 0;
        using var running = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var group = new WaitGroup();
        for (int i = 0; i < callers; i++)
        {
            group.Go(async () =>
            {
                await once.DoAsync(() =>
                {
                    Interlocked.Increment(ref runs);
                    running.Set();
                    release.Wait(TestTimeouts.Default); // the one call holds its thread until the test lets it go
                });
                Interlocked.Increment(ref returned);
            });
        }

        GoTest.WaitFor(running, "the one call to start");
        Assert.True(Poll.Until(() => CountParkedOnOnce() == callers - 1, TestTimeouts.Default), "The other callers did not park.");
        Assert.Equal(0, Volatile.Read(ref returned)); // every caller waits for the one call
        release.Set();
        await GoTest.RunAsync(async () => await group.WaitAsync());

        Assert.Equal(1, runs);
        Assert.Equal(callers, returned);
        Assert.True(once.IsDone);
    }

    // The goroutines this file started that are parked on a Once's mutex: a Mutex.Lock wait in
    // the dump. Goroutines other tests leaked on purpose (a mutex never unlocked) stay listed, so
    // they are told apart by where they were created.
    private static int CountParkedOnOnce() =>
        Goroutines.Diagnostics.GoroutineDump.Capture().Goroutines.Count(g =>
            g.WaitReason == "sync.Mutex.Lock" && g.CreatedBy.File?.EndsWith(nameof(PortingFunctionsTests) + ".cs", StringComparison.Ordinal) == true);

    [Fact]
    public async Task RLocker_TakesTheReadLock_SoACondCanWaitWithReaders()
    {
        var rw = new RWMutex();
        ILocker reader = rw.RLocker();
        var cond = new Cond(reader);
        bool ready = false;
        var waiting = new Chan<bool>(1);

        Task<bool> waiter = GoTest.Start(async () =>
        {
            await reader.LockAsync();
            Assert.False(rw.TryLock()); // a read lock is held: no writer gets in
            await waiting.SendAsync(true);
            while (!Volatile.Read(ref ready))
            {
                await cond.WaitAsync();
            }

            reader.Unlock();
            return true;
        });

        await GoTest.RunAsync(async () =>
        {
            await waiting.ReceiveAsync();
            using (await rw.LockAsync()) // the waiter released its read lock in WaitAsync
            {
                Volatile.Write(ref ready, true);
            }

            cond.Broadcast();
        });

        Assert.True(await waiter.Within(what: "the waiter"));
        Assert.True(rw.TryLock()); // every read lock was released
        rw.Unlock();
        Assert.Same(reader, cond.Locker);
    }

    // ------------------------------------------------------------------ errors.Is, errors.As

    [Fact]
    public async Task ErrorsIs_ContextErrorWrappedInOtherExceptions_IsFoundAsGosErrorsIsFindsIt()
    {
        (Context ctx, CancelFunc cancel) = Context.WithCancel(Context.Background);
        cancel();
        OperationCanceledException thrown = Assert.ThrowsAny<OperationCanceledException>(ctx.ThrowIfDone);
        var wrapped = new IOException("fetch failed", thrown);
        var aggregate = new AggregateException(new FormatException("other"), wrapped);

        Assert.True(Errors.Is(thrown, Context.Canceled));
        Assert.True(Errors.Is(wrapped, Context.Canceled));
        Assert.True(Errors.Is(aggregate, Context.Canceled));
        Assert.False(Errors.Is(aggregate, Context.DeadlineExceeded));
        Assert.False(Errors.Is(null, Context.Canceled));
        Assert.True(Errors.As(aggregate, out FormatException? format));
        Assert.Equal("other", format.Message);
        Assert.False(Errors.As(wrapped, out ArgumentException? _));
        await Task.CompletedTask;
    }

    private static int s_sum;

    private static async Task SendAsync(int value, Chan<int> results) => await results.SendAsync(value);

    /// <summary>A clock whose wall reading can be set apart from its monotonic one, as a system clock can be.</summary>
    private sealed class SettableClock : TimeProvider
    {
        private DateTimeOffset _wall = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        private long _timestamp;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _timestamp);

        public override DateTimeOffset GetUtcNow() => _wall;

        public void Elapse(TimeSpan duration)
        {
            Interlocked.Add(ref _timestamp, duration.Ticks);
            _wall += duration;
        }

        public void SetWall(DateTimeOffset wall) => _wall = wall;
    }
}
