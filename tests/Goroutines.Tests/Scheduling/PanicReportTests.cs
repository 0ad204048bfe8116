// Licensed under the MIT License.

using System;
using System.Threading.Channels;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Sync;
using Goroutines.Tests.TestSupport;

using Xunit;

using GoMutex = Goroutines.Sync.Mutex;

namespace Goroutines.Tests.Scheduling;

/// <summary>
/// Go's report shapes on stderr (checked in child processes against the lines Go 1.19 printed for
/// the same programs), Go's panic values as its reports print them, and the runtime error marker.
/// </summary>
public sealed class PanicReportTests : RuntimeTest
{
    // ------------------------------------------------------------------ report shapes

    [Fact]
    public async Task Report_PanicWithStringInMain_StartsAsGosPanicReport()
    {
        string[] lines = await RunForReportAsync(Scenarios.PanicWithStringInMain);

        Assert.Equal("panic: boom", lines[0]);
        Assert.Equal(string.Empty, lines[1]);
        Assert.Equal("goroutine 1 [running]:", lines[2]);
        Assert.StartsWith("Goroutines.PanicException: boom", lines[3], StringComparison.Ordinal); // the .NET exception where Go prints frames
    }

    [Fact]
    public async Task Report_ExceptionInChildGoroutine_StartsWithItsMessageAndEndsWithCreatedBy()
    {
        string[] lines = await RunForReportAsync(Scenarios.ExceptionInChild);

        Assert.Equal("panic: in child", lines[0]);
        Assert.Equal(string.Empty, lines[1]);
        Assert.Matches(@"^goroutine \d+ \[running\]:$", lines[2]);
        Assert.StartsWith("System.InvalidOperationException: in child", lines[3], StringComparison.Ordinal);
        Assert.Matches(@"^created by .* in goroutine 1$", lines[^2]);
        Assert.Matches(@"^\t.*PanicReportTests\.cs:\d+$", lines[^1]);
    }

    [Fact]
    public async Task Report_SendOnClosedChannel_IsGosRuntimePanic()
    {
        string[] lines = await RunForReportAsync(Scenarios.SendOnClosedChannel);

        Assert.Equal("panic: send on closed channel", lines[0]);
        Assert.Equal(string.Empty, lines[1]);
        Assert.Equal("goroutine 1 [running]:", lines[2]);
    }

    [Fact]
    public async Task Report_UnlockOfUnlockedMutex_IsGosFatalError()
    {
        string[] lines = await RunForReportAsync(Scenarios.UnlockUnlockedMutex);

        Assert.Equal("fatal error: sync: unlock of unlocked mutex", lines[0]);
        Assert.Equal(string.Empty, lines[1]);
        Assert.Equal("goroutine 1 [running]:", lines[2]);
    }

    [Fact]
    public async Task Report_RUnlockOfUnlockedRWMutex_IsGosFatalError()
    {
        string[] lines = await RunForReportAsync(Scenarios.RUnlockUnlockedRWMutex);

        Assert.Equal("fatal error: sync: RUnlock of unlocked RWMutex", lines[0]);
        Assert.Equal(string.Empty, lines[1]);
        Assert.Equal("goroutine 1 [running]:", lines[2]);
    }

    [Fact]
    public async Task Report_ReachesThePanicHandlerWithTheSameText()
    {
        await GoTest.RunAsync(async () =>
        {
            Go.Run(() => Go.Panic("to the handler"));
            await Go.YieldAsync();
        });

        GoroutinePanic panic = Assert.Single(await Panics.WaitForAsync(1));
        Panics.TakeAll();
        Assert.Equal("panic: to the handler", panic.Message);
        Assert.StartsWith("panic: to the handler\n\ngoroutine ", panic.Report, StringComparison.Ordinal);
        Assert.Contains(" [running]:\nGoroutines.PanicException: to the handler", panic.Report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_PanicHandlerThrows_ProcessEndsWithBothErrorsAndExitCodeTwo()
    {
        string[] lines = await RunForReportAsync(Scenarios.PanicHandlerThrows);

        Assert.Equal("panic: boom", lines[0]);
        Assert.Equal("\tpanic: handler broke [in the panic handler]", lines[1]);
        Assert.Equal(string.Empty, lines[2]);
        Assert.Matches(@"^goroutine \d+ \[running\]:$", lines[3]);
        Assert.Contains("the panic handler threw:", lines);
        Assert.Contains(lines, line => line.StartsWith("System.InvalidOperationException: handler broke", StringComparison.Ordinal));
    }

    // ------------------------------------------------------------------ panic values, as Go prints them

    [Theory]
    [InlineData("boom", "boom")]
    [InlineData(42, "42")]
    [InlineData(-7L, "-7")]
    [InlineData(true, "true")]
    [InlineData(1.5, "+1.500000e+000")]
    [InlineData(0.0, "+0.000000e+000")]
    [InlineData(-0.0, "-0.000000e+000")]
    [InlineData(123456789.125, "+1.234568e+008")]
    [InlineData(0.000123, "+1.230000e-004")]
    [InlineData(1.5f, "+1.500000e+000")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData('a', "97")]
    public void Panic_Value_IsCarriedAndPrintedAsGoPrintsIt(object value, string printed)
    {
        PanicException panic = Assert.Throws<PanicException>(() => Go.Panic(value));

        Assert.Same(value, panic.Value);
        Assert.Equal(printed, panic.Message);
    }

    [Fact]
    public void Panic_WithException_PrintsItsMessageAndWrapsIt()
    {
        var error = new FormatException("an error");

        PanicException panic = Assert.Throws<PanicException>(() => Go.Panic(error));

        Assert.Equal("an error", panic.Message);
        Assert.Same(error, panic.Value);
        Assert.Same(error, panic.InnerException);
    }

    [Fact]
    public void Panic_WithStringer_PrintsItsToString()
    {
        PanicException panic = Assert.Throws<PanicException>(() => Go.Panic(new Point(1, 2)));

        Assert.Equal("Point { X = 1, Y = 2 }", panic.Message);
    }

    [Fact]
    public void Panic_WithPlainObject_PrintsTypeInParenthesesAndAnIdentity()
    {
        PanicException panic = Assert.Throws<PanicException>(() => Go.Panic(new Opaque()));

        Assert.Matches(@"^\(Goroutines\.Tests\.Scheduling\.PanicReportTests\+Opaque\) 0x[0-9a-f]+$", panic.Message);
    }

    [Fact]
    public void Panic_WithNull_IsGosPanicNilRuntimeError()
    {
        var panic = Assert.ThrowsAny<InvalidOperationException>(() => Go.Panic(null));

        Assert.Equal("panic called with nil argument", panic.Message);
        Assert.IsAssignableFrom<IRuntimeError>(panic);
    }

    [Fact]
    public void Panic_ValueWhoseToStringThrows_IsCaughtWithTheValueAndPrintsWhatWentWrong()
    {
        var value = new ThrowingToString();

        PanicException panic = Assert.Throws<PanicException>(() => Go.Panic(value)); // recovered: ToString never ran
        Assert.Equal(0, value.Calls);
        Assert.Same(value, panic.Value);

        Assert.StartsWith("(Goroutines.Tests.Scheduling.PanicReportTests+ThrowingToString) [its text threw System.FormatException: no text", panic.Message, StringComparison.Ordinal);
        Assert.Equal(1, value.Calls);
    }

    [Fact]
    public async Task Report_MultiLinePanicValue_IndentsItsLaterLinesAsGo()
    {
        await GoTest.RunAsync(async () =>
        {
            Go.Run(() => Go.Panic("first\nsecond"));
            await Go.YieldAsync();
        });

        GoroutinePanic panic = Assert.Single(await Panics.WaitForAsync(1));
        Panics.TakeAll();
        Assert.Equal("panic: first\n\tsecond", panic.Message);
        Assert.StartsWith("panic: first\n\tsecond\n\ngoroutine ", panic.Report, StringComparison.Ordinal);
    }

    // ------------------------------------------------------------------ the runtime error marker

    [Fact]
    public async Task RuntimeErrors_ChannelAndWaitGroupMisuse_AreMarkedAndKeepTheirDotNetTypes()
    {
        var closed = new Chan<int>(1);
        closed.Close();
        var sendError = await Assert.ThrowsAnyAsync<ChannelClosedException>(async () => await closed.SendAsync(1));
        var closeClosed = Assert.ThrowsAny<InvalidOperationException>(closed.Close);
        var closeNil = Assert.ThrowsAny<InvalidOperationException>(() => default(Chan<int>).Close());
        var group = new WaitGroup();
        var negative = Assert.ThrowsAny<InvalidOperationException>(group.Done);

        Assert.IsAssignableFrom<IRuntimeError>(sendError);
        Assert.IsAssignableFrom<IRuntimeError>(closeClosed);
        Assert.IsAssignableFrom<IRuntimeError>(closeNil);
        Assert.IsAssignableFrom<IRuntimeError>(negative);
        Assert.Equal(["send on closed channel", "close of closed channel", "close of nil channel", "sync: negative WaitGroup counter"], [sendError.Message, closeClosed.Message, closeNil.Message, negative.Message]);
        Assert.IsNotAssignableFrom<IRuntimeError>(Assert.Throws<PanicException>(() => Go.Panic("user")));
    }

    [Fact]
    public void WaitGroup_DoneBelowZero_LeavesTheCounterAtZero()
    {
        var group = new WaitGroup();
        group.Add(1);
        group.Done();

        Assert.ThrowsAny<InvalidOperationException>(group.Done);
        Assert.ThrowsAny<InvalidOperationException>(() => group.Add(-5));

        Assert.Equal(0, group.Count);
        group.Add(2);
        Assert.Equal(2, group.Count);
        group.Add(-2);
        Assert.Equal(0, group.Count);
    }

    [Fact]
    public void WaitGroup_AddPastIntMaxValue_ThrowsAndLeavesTheCounter()
    {
        var group = new WaitGroup();
        group.Add(int.MaxValue);

        var error = Assert.ThrowsAny<InvalidOperationException>(() => group.Add(1));

        Assert.Equal("sync: WaitGroup counter overflow", error.Message);
        Assert.Equal(int.MaxValue, group.Count);
        group.Add(-int.MaxValue);
        Assert.Equal(0, group.Count);
    }

    private static async Task<string[]> RunForReportAsync(Func<string> scenario)
    {
        ScenarioOutcome outcome = await ScenarioProcess.RunForOutcomeAsync(scenario, environment: null);
        Assert.False(outcome.TimedOut, "The program did not end.");
        Assert.True(outcome.ExitCode == 2, $"Exit code {outcome.ExitCode}:\n{outcome.StandardOutput}\n{outcome.StandardError}");
        Assert.Empty(outcome.StandardOutput); // Go.Main never returned
        return outcome.StandardError.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
    }

    private sealed record Point(int X, int Y);

    private sealed class Opaque;

    private sealed class ThrowingToString
    {
        public int Calls { get; private set; }

        public override string ToString()
        {
            Calls++;
            throw new FormatException("no text");
        }
    }

    /// <summary>The child processes' bodies: each ends the process with a report and exit code 2.</summary>
    public static class Scenarios
    {
        public static string PanicWithStringInMain()
        {
            Go.Main(async () =>
            {
                await Go.YieldAsync();
                Go.Panic("boom");
            });
            return "Go.Main returned.";
        }

        public static string ExceptionInChild()
        {
            Go.Main(async () =>
            {
                Go.Run(() => throw new InvalidOperationException("in child"));
                await new Chan<int>().ReceiveAsync();
            });
            return "Go.Main returned.";
        }

        public static string SendOnClosedChannel()
        {
            Go.Main(async () =>
            {
                var channel = new Chan<int>();
                channel.Close();
                await channel.SendAsync(1);
            });
            return "Go.Main returned.";
        }

        public static string UnlockUnlockedMutex()
        {
            Go.Main(async () =>
            {
                await Go.YieldAsync();
                new GoMutex().Unlock();
            });
            return "Go.Main returned.";
        }

        public static string PanicHandlerThrows()
        {
            Go.SetPanicHandler(_ => throw new InvalidOperationException("handler broke"));
            Go.Main(async () =>
            {
                Go.Run(() => throw new FormatException("boom"));
                await new Chan<int>().ReceiveAsync();
            });
            return "Go.Main returned.";
        }

        public static string RUnlockUnlockedRWMutex()
        {
            Go.Main(async () =>
            {
                await Go.YieldAsync();
                new RWMutex().RUnlock();
            });
            return "Go.Main returned.";
        }
    }
}
