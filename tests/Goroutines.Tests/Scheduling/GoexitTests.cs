// Licensed under the MIT License.

using System;
using System.Collections.Concurrent;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Sync;
using Goroutines.Tests.TestSupport;
using Goroutines.Time;

using Xunit;

namespace Goroutines.Tests.Scheduling;

/// <summary>
/// Go's runtime.Goexit: the goroutine ends from any depth, its deferred calls (finally blocks) run
/// innermost first and nothing after them, no panic is reported, the others go on; in main, the
/// program goes on until no goroutine can run, then Go's fatal error.
/// </summary>
public sealed class GoexitTests : RuntimeTest
{
    [Fact]
    public async Task Goexit_FromDepthThree_RunsFinallyBlocksInnermostFirstAndNothingAfter_NoPanic()
    {
        var order = new ConcurrentQueue<string>();
        var ended = new Chan<bool>(1);

        Go.Run(async () =>
        {
            try
            {
                await Depth1(order);
                order.Enqueue("after depth 1");
            }
            finally
            {
                order.Enqueue("finally 0");
                ended.TrySend(true);
            }

            order.Enqueue("after finally 0");
        });

        await GoTest.RunAsync(async () => await ended.ReceiveAsync());
        Assert.True(Poll.Until(() => Go.NumGoroutine <= GoroutinesAtStart, TestTimeouts.Default), "The goroutine did not end.");
        Assert.Equal(["finally 3", "finally 2", "finally 1", "finally 0"], order);
        Assert.Empty(Panics.Captured);
    }

    [Fact]
    public async Task Goexit_InSynchronousGoroutine_EndsItWithoutPanic_OthersGoOn()
    {
        var order = new ConcurrentQueue<string>();
        var ended = new Chan<bool>(1);

        Go.Run(() =>
        {
            try
            {
                Go.Goexit();
                order.Enqueue("after Goexit");
            }
            finally
            {
                order.Enqueue("finally");
                ended.TrySend(true);
            }
        });

        int answer = await GoTest.RunAsync(async () =>
        {
            await ended.ReceiveAsync();
            return 42;
        });
        Assert.Equal(42, answer);
        Assert.Equal(["finally"], order);
        Assert.True(Poll.Until(() => Go.NumGoroutine <= GoroutinesAtStart, TestTimeouts.Default), "The goroutine did not end.");
        Assert.Empty(Panics.Captured);
    }

    [Fact]
    public void Goexit_OutsideAGoroutine_ThrowsInvalidOperationException()
    {
        var error = Assert.Throws<InvalidOperationException>(Go.Goexit);
        Assert.Contains("outside", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Goexit_InErrorGroupFunction_EndsThatGoroutineAndRecordsNoError()
    {
        var group = new ErrorGroup();
        var finallyRan = false;
        group.Go(async () =>
        {
            try
            {
                await Go.YieldAsync();
                Go.Goexit();
            }
            finally
            {
                finallyRan = true;
            }
        });
        group.Go(async () => await Go.YieldAsync());

        await GoTest.RunAsync(async () => await group.WaitAsync());
        Assert.True(finallyRan);
        Assert.Empty(Panics.Captured);
    }

    [Fact]
    public async Task Main_Goexit_OthersRunOnThenGosNoGoroutinesFatalError()
    {
        ScenarioOutcome outcome = await ScenarioProcess.RunForOutcomeAsync(Scenarios.GoexitInMainWhileAnotherSleeps, environment: null);

        Assert.False(outcome.TimedOut, "The program did not end.");
        Assert.Equal(2, outcome.ExitCode);
        Assert.Equal("main deferred\nother done\n", outcome.StandardOutput.ReplaceLineEndings("\n"));
        Assert.Equal("fatal error: no goroutines (main called runtime.Goexit) - deadlock!\n", outcome.StandardError);
    }

    [Fact]
    public async Task Main_GoexitWhileAnotherIsBlockedForever_GosDeadlockWithTheOthersDump()
    {
        ScenarioOutcome outcome = await ScenarioProcess.RunForOutcomeAsync(Scenarios.GoexitInMainWhileAnotherIsBlocked, environment: null);

        Assert.False(outcome.TimedOut, "The program did not end.");
        Assert.Equal(2, outcome.ExitCode);
        Assert.Matches(@"^fatal error: all goroutines are asleep - deadlock!\n\ngoroutine \d+ \[chan receive\]:\n", outcome.StandardError);
        Assert.DoesNotContain("goroutine 1 [", outcome.StandardError, StringComparison.Ordinal);
        Assert.Empty(outcome.StandardOutput);
    }

    [Fact]
    public async Task Main_GoexitWithPanicHandler_HandlerGetsTheFatalErrorAndGoMainThrows()
    {
        ScenarioOutcome outcome = await ScenarioProcess.RunForOutcomeAsync(Scenarios.GoexitInMainWithPanicHandler, environment: null);

        Assert.False(outcome.TimedOut, "The program did not end.");
        Assert.True(outcome.ExitCode == 0, $"Exit code {outcome.ExitCode}:\n{outcome.StandardOutput}\n{outcome.StandardError}");
        Assert.Empty(outcome.StandardError);
    }

    private static async Task Depth1(ConcurrentQueue<string> order)
    {
        try
        {
            await Depth2(order);
            order.Enqueue("after depth 2");
        }
        finally
        {
            order.Enqueue("finally 1");
        }
    }

    private static async Task Depth2(ConcurrentQueue<string> order)
    {
        try
        {
            await Depth3(order);
            order.Enqueue("after depth 3");
        }
        finally
        {
            order.Enqueue("finally 2");
        }
    }

    private static async Task Depth3(ConcurrentQueue<string> order)
    {
        try
        {
            await Go.YieldAsync();
            Go.Goexit();
            order.Enqueue("after Goexit");
        }
        finally
        {
            order.Enqueue("finally 3");
        }
    }

    /// <summary>The child processes' bodies (Go.Main never returns in them: the runtime ends the process).</summary>
    public static class Scenarios
    {
        public static string GoexitInMainWhileAnotherSleeps()
        {
            Go.Main(async () =>
            {
                var deferred = new Chan<bool>(1);
                Go.Run(async () =>
                {
                    await deferred.ReceiveAsync(); // runs on after main's deferred code, whatever the timing
                    await Clock.SleepAsync(TimeSpan.FromMilliseconds(10));
                    Console.Out.Write("other done\n");
                    Console.Out.Flush();
                });
                try
                {
                    await Go.YieldAsync();
                    Go.Goexit();
                }
                finally
                {
                    Console.Out.Write("main deferred\n");
                    Console.Out.Flush();
                    deferred.TrySend(true);
                }
            });
            return "Go.Main returned.";
        }

        public static string GoexitInMainWithPanicHandler()
        {
            GoroutinePanic? fatal = null;
            Go.SetPanicHandler(panic => fatal = panic);
            try
            {
                Go.Main(async () =>
                {
                    await Go.YieldAsync();
                    Go.Goexit();
                });
                return "Go.Main returned.";
            }
            catch (DeadlockException e)
            {
                const string Message = "no goroutines (main called runtime.Goexit) - deadlock!";
                return e.Message != Message ? $"DeadlockException: {e.Message}"
                    : fatal is not { IsFatal: true } ? "The handler got no fatal error."
                    : fatal.Message != "fatal error: " + Message ? $"The handler got: {fatal.Message}"
                    : fatal.Report != $"fatal error: {Message}\n" ? $"The report was: {fatal.Report}"
                    : string.Empty;
            }
        }

        public static string GoexitInMainWhileAnotherIsBlocked()
        {
            Go.Main(async () =>
            {
                Go.Run(async () => await new Chan<int>().ReceiveAsync());
                await Go.YieldAsync();
                Go.Goexit();
            });
            return "Go.Main returned.";
        }
    }
}
