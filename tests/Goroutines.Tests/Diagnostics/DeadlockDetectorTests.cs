// Licensed under the MIT License.

using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Diagnostics;
using Goroutines.Net;
using Goroutines.Scheduling;
using Goroutines.Sync;
using Goroutines.Tests.TestSupport;
using Goroutines.Time;

using Xunit;

using GoMutex = Goroutines.Sync.Mutex;

namespace Goroutines.Tests.Diagnostics;

/// <summary>
/// Go's deadlock detector under <see cref="Go.Main"/>. It watches the whole process and ends it,
/// so every scenario runs in a child process of its own (see <see cref="ScenarioProcess"/>).
/// </summary>
public sealed class DeadlockDetectorTests
{
    private const string FatalLine = "fatal error: all goroutines are asleep - deadlock!\n\n";

    [Fact]
    public async Task Main_ReceivesFromChannelNobodySendsOn_ReportsDeadlockAndExitsWithCodeTwo()
    {
        ScenarioOutcome outcome = await RunAsync(Scenarios.ReceiveNobodySendsOn);

        AssertDeadlockReport(outcome);
        // Main's header, then its main function's frame: the lambda, with the line of its await.
        Assert.Matches(
            $@"\ngoroutine 1 \[chan receive\]:\n[^\n]*\.{nameof(Scenarios.ReceiveNobodySendsOn)}\.func\d+\(\.\.\.\)\n\t[^\n]*DeadlockDetectorTests\.cs:\d+\n",
            outcome.StandardError);
        Assert.DoesNotContain("(leaked)", outcome.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Main_TwoGoroutinesReceiveFromEachOther_ReportsEveryGoroutine()
    {
        ScenarioOutcome outcome = await RunAsync(Scenarios.CycleOfTwoWhileMainWaitsOnGroup);

        AssertDeadlockReport(outcome);
        Assert.Contains("goroutine 1 [sync.WaitGroup.Wait]:\n", outcome.StandardError, StringComparison.Ordinal);
        Assert.Matches(@"\n\ngoroutine \d+ \[chan receive\]:\n(.|\n)*created by .* in goroutine 1\n", outcome.StandardError);
        Assert.Equal(3, Regex.Count(outcome.StandardError, @"(^|\n)goroutine \d+ \["));
        Assert.Equal(2, Regex.Count(outcome.StandardError, @"(^|\n)goroutine \d+ \[chan receive\]:\n"));
    }

    [Fact]
    public async Task Main_EmptySelect_ReportsSelectWithNoCases()
    {
        ScenarioOutcome outcome = await RunAsync(Scenarios.EmptySelect);

        AssertDeadlockReport(outcome);
        Assert.Contains("goroutine 1 [select (no cases)]:\n", outcome.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Main_LocksMutexTwice_ReportsMutexLock()
    {
        ScenarioOutcome outcome = await RunAsync(Scenarios.LockMutexTwice);

        AssertDeadlockReport(outcome);
        Assert.Contains("goroutine 1 [sync.Mutex.Lock]:\n", outcome.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Main_DeadlockWithPanicHandler_HandlerGetsFatalErrorAndEveryMainThrows()
    {
        ScenarioOutcome outcome = await RunAsync(Scenarios.TwoMainsDeadlockWithPanicHandler);

        AssertRanToCompletion(outcome);
    }

    [Fact]
    public async Task Main_SleepsOnRuntimeTimer_NoFalseAlarm()
    {
        AssertRanToCompletion(await RunAsync(Scenarios.SleepWhileAnotherWaits));
    }

    [Fact]
    public async Task Main_AwaitsTaskDelay_NoFalseAlarm()
    {
        AssertRanToCompletion(await RunAsync(Scenarios.AwaitTaskDelayUntilScanned));
    }

    [Fact]
    public async Task Main_GoroutineInBlockingRegion_NoFalseAlarm()
    {
        AssertRanToCompletion(await RunAsync(Scenarios.WaitForGoroutineInBlockingRegion));
    }

    [Fact]
    public async Task Main_GoroutineParkedInTheNetpoller_NoFalseAlarm()
    {
        AssertRanToCompletion(await RunAsync(Scenarios.WaitForGoroutineInIOWait));
    }

    [Fact]
    public async Task Main_ForeignThreadHoldsTheChannel_NoFalseAlarm()
    {
        AssertRanToCompletion(await RunAsync(Scenarios.ForeignThreadSendsAfterAPass));
    }

    private static Task<ScenarioOutcome> RunAsync(Func<string> scenario) =>
        ScenarioProcess.RunForOutcomeAsync(scenario, environment: null);

    private static void AssertDeadlockReport(ScenarioOutcome outcome)
    {
        Assert.False(outcome.TimedOut, "The deadlock was not reported.");
        Assert.True(outcome.ExitCode == 2, $"Exit code {outcome.ExitCode}:\n{outcome.StandardOutput}\n{outcome.StandardError}");
        Assert.StartsWith(FatalLine + "goroutine ", outcome.StandardError, StringComparison.Ordinal);
        Assert.Empty(outcome.StandardOutput); // Go.Main never returned
    }

    private static void AssertRanToCompletion(ScenarioOutcome outcome)
    {
        Assert.False(outcome.TimedOut, "The scenario did not end.");
        Assert.True(outcome.ExitCode == 0, $"Exit code {outcome.ExitCode}:\n{outcome.StandardOutput}\n{outcome.StandardError}");
        Assert.Empty(outcome.StandardError);
    }

    /// <summary>
    /// The child processes' bodies. The main functions declare their channels themselves: a local
    /// of the scenario method that they captured would stay reachable from this thread, and the
    /// detector rightly reports nothing that anything could still reach.
    /// </summary>
    public static class Scenarios
    {
        private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(10);

        public static string ReceiveNobodySendsOn()
        {
            Go.Main(async () =>
            {
                var channel = new Chan<int>();
                await channel.ReceiveAsync();
            });
            return "Go.Main returned.";
        }

        public static string CycleOfTwoWhileMainWaitsOnGroup()
        {
            Go.Main(async () =>
            {
                var ping = new Chan<int>();
                var pong = new Chan<int>();
                var group = new WaitGroup();
                group.Go(async () =>
                {
                    await ping.ReceiveAsync();
                    await pong.SendAsync(1);
                });
                group.Go(async () =>
                {
                    await pong.ReceiveAsync();
                    await ping.SendAsync(1);
                });
                await group.WaitAsync();
            });
            return "Go.Main returned.";
        }

        public static string EmptySelect()
        {
            Go.Main(async () => await new Select().WaitAsync());
            return "Go.Main returned.";
        }

        public static string LockMutexTwice()
        {
            Go.Main(async () =>
            {
                var mutex = new GoMutex();
                using MutexScope first = await mutex.LockAsync();
                using MutexScope second = await mutex.LockAsync();
            });
            return "Go.Main returned.";
        }

        public static string TwoMainsDeadlockWithPanicHandler()
        {
            var panics = new ConcurrentQueue<GoroutinePanic>();
            Go.SetPanicHandler(panics.Enqueue);
            var handledFirst = new bool[2];
            var mains = new Task<DeadlockException?>[2];
            for (int i = 0; i < mains.Length; i++)
            {
                int index = i;
                mains[i] = Task.Factory.StartNew(
                    () =>
                    {
                        try
                        {
                            Go.Main(async () =>
                            {
                                var channel = new Chan<int>();
                                await channel.ReceiveAsync();
                            });
                            return null;
                        }
                        catch (DeadlockException e)
                        {
                            handledFirst[index] = !panics.IsEmpty;
                            return e;
                        }
                    },
                    CancellationToken.None,
                    TaskCreationOptions.LongRunning,
                    TaskScheduler.Default);
            }

            if (!Task.WaitAll(mains, s_bound))
            {
                return "Go.Main did not throw.";
            }

            foreach (GoroutinePanic panic in panics)
            {
                if (!panic.IsFatal || panic.Exception is not null || panic.GoroutineId != 0
                    || panic.Message != "fatal error: all goroutines are asleep - deadlock!"
                    || !panic.Report.StartsWith(FatalLine + "goroutine ", StringComparison.Ordinal))
                {
                    return $"Unexpected panic:\n{panic.Report}";
                }
            }

            for (int i = 0; i < mains.Length; i++)
            {
                DeadlockException? deadlock = mains[i].Result;
                if (deadlock is null)
                {
                    return $"Go.Main {i} returned.";
                }

                if (deadlock.Message != "all goroutines are asleep - deadlock!" || !deadlock.Dump.Contains("[chan receive]:\n", StringComparison.Ordinal))
                {
                    return $"Unexpected exception: {deadlock.Message}\n{deadlock.Dump}";
                }

                if (!handledFirst[i] || !panics.Any(panic => panic.Report == FatalLine + deadlock.Dump))
                {
                    return $"The handler did not get the deadlock of Go.Main {i} first.";
                }
            }

            return string.Empty;
        }

        public static string SleepWhileAnotherWaits()
        {
            Go.Main(async () =>
            {
                var channel = new Chan<int>();
                var group = new WaitGroup();
                group.Go(async () => await channel.ReceiveAsync());
                await Clock.SleepAsync(TimeSpan.FromMilliseconds(300)); // the idle window: a timer is pending
                await channel.SendAsync(1);
                await group.WaitAsync();
            });
            return string.Empty;
        }

        public static string AwaitTaskDelayUntilScanned()
        {
            string failure = string.Empty;
            Go.Main(async () =>
            {
                var watch = Stopwatch.StartNew();
                while (Scheduler.Instance.Deadlocks.Scans == 0 && watch.Elapsed < s_bound)
                {
                    await Task.Delay(50); // the idle window: a foreign await
                }

                if (Scheduler.Instance.Deadlocks.Scans == 0)
                {
                    failure = "The detector never looked.";
                }
                else if (Scheduler.Instance.Deadlocks.Passes != 0)
                {
                    failure = "A goroutine awaiting a .NET task was taken for asleep.";
                }
            });
            return failure;
        }

        public static string WaitForGoroutineInBlockingRegion()
        {
            Go.Main(async () =>
            {
                var done = new Chan<int>();
                var release = new ManualResetEventSlim();
                Go.Run(async () =>
                {
                    using (Go.EnterBlockingRegion())
                    {
                        release.Wait(s_bound);
                    }

                    await done.SendAsync(1);
                });

                // Released once the detector has looked at least twice with the goroutine in its region.
                var releaser = new Thread(() =>
                {
                    Poll.Until(() => Scheduler.Instance.Deadlocks.Scans >= 2, s_bound);
                    release.Set();
                }) { IsBackground = true };
                releaser.Start();
                await done.ReceiveAsync();
            });
            return string.Empty;
        }

        public static string WaitForGoroutineInIOWait()
        {
            string failure = string.Empty;
            Go.Main(async () =>
            {
                using Listener listener = Network.Listen("tcp", "127.0.0.1:0");
                Conn client = await Network.DialAsync("tcp", listener.Addr.ToString()!);
                Conn server = await listener.AcceptAsync();
                var done = new Chan<int>();
                Go.Run(async () =>
                {
                    await server.ReadAsync(new byte[1]); // IO wait: the kernel can wake it
                    await done.SendAsync(1);
                });

                // The peer writes once the detector looked with the reader parked and found the
                // goroutines awake: it scans no more until a step runs, and the reader is parked
                // until the write. (Taken for asleep, the reader would end the process with Go's
                // fatal error instead.)
                var writer = new Thread(() =>
                {
                    DeadlockDetector detector = Scheduler.Instance.Deadlocks;
                    if (!Poll.Until(() => Scheduler.Instance.IOWaiterCount >= 1 && detector.Scans >= 1 && detector.LastScanFoundAwake, s_bound))
                    {
                        failure = "The detector never found the goroutines awake with the reader parked on I/O.";
                    }
                    else if (detector.Passes != 0)
                    {
                        failure = "A goroutine waiting on I/O was taken for asleep.";
                    }

                    client.Write("x"u8);
                }) { IsBackground = true };
                writer.Start();
                await done.ReceiveAsync();
                client.Close();
                server.Close();
            });
            return failure;
        }

        public static string ForeignThreadSendsAfterAPass()
        {
            string failure = string.Empty;
            Go.Main(async () =>
            {
                var channel = new Chan<int>();
                var sender = new Thread(() =>
                {
                    // The collector finds main reachable through this thread: no alarm, then the send.
                    if (!Poll.Until(() => Scheduler.Instance.Deadlocks.Passes >= 1, s_bound))
                    {
                        failure = "No collection pass ran.";
                    }

                    channel.Send(42);
                }) { IsBackground = true };
                sender.Start();
                if (await channel.ReceiveAsync() != 42)
                {
                    failure = "Wrong value.";
                }
            });
            return failure;
        }
    }
}
