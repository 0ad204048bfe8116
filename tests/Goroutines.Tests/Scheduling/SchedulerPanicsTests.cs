// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Scheduling;

public sealed class SchedulerPanicsTests : RuntimeTest
{
    [Fact]
    public async Task ReportPanic_ExceptionsEscapingEachKindOfGoroutine_ReachHandlerOnceWithReport()
    {
        var syncError = new InvalidOperationException("sync boom");
        var taskError = new ArgumentException("task boom");
        var valueTaskError = new FormatException("value task boom");
        var ids = new long[3];
        using var idsKnown = new CountdownEvent(3);

        Go.Run(() =>
        {
            ids[0] = Go.CurrentGoroutineId;
            idsKnown.Signal();
            throw syncError;
        });
        Go.Run(async () =>
        {
            ids[1] = Go.CurrentGoroutineId;
            idsKnown.Signal();
            await Go.YieldAsync();
            throw taskError;
        });
        Go.Run(async ValueTask () =>
        {
            ids[2] = Go.CurrentGoroutineId;
            idsKnown.Signal();
            await Task.Yield();
            throw valueTaskError;
        });

        Assert.True(idsKnown.Wait(TestTimeouts.Default), "The panicking goroutines did not start.");
        await Panics.WaitForAsync(3);

        // A panic is reported before its goroutine is counted as exited: once the count is
        // back, no report of these three can still be on its way.
        Assert.True(Poll.Until(() => Go.NumGoroutine <= GoroutinesAtStart, TestTimeouts.Default), "The panicked goroutines did not exit.");
        IReadOnlyList<GoroutinePanic> panics = Panics.TakeAll();
        Assert.Equal(3, panics.Count);
        string spawner = $"{typeof(SchedulerPanicsTests).FullName}.{nameof(ReportPanic_ExceptionsEscapingEachKindOfGoroutine_ReachHandlerOnceWithReport)}";
        AssertPanic(panics, ids[0], syncError, spawner);
        AssertPanic(panics, ids[1], taskError, spawner);
        AssertPanic(panics, ids[2], valueTaskError, spawner);

        // The runtime goes on after the handler returns.
        int answer = await GoTest.RunAsync(async () =>
        {
            await Go.YieldAsync();
            return 42;
        });
        Assert.Equal(42, answer);
        Assert.Empty(Panics.Captured);
    }

    [Fact]
    public async Task ReportPanic_MainGoroutinePanics_GoMainStillReturns()
    {
        var error = new InvalidOperationException("main boom");
        long mainId = 0;

        await Task.Run(() => Go.Main(async () =>
        {
            mainId = Go.CurrentGoroutineId;
            await Go.YieldAsync();
            throw error;
        })).Within(what: "Go.Main to return");

        GoroutinePanic panic = Assert.Single(await Panics.WaitForAsync(1));
        Assert.Same(error, panic.Exception);
        Assert.Equal(mainId, panic.GoroutineId);
        Panics.TakeAll();
    }

    private static void AssertPanic(IReadOnlyList<GoroutinePanic> panics, long id, Exception expected, string spawner)
    {
        Assert.NotEqual(0, id);
        GoroutinePanic panic = Assert.Single(panics, p => p.GoroutineId == id);
        Assert.Same(expected, panic.Exception);
        Assert.False(panic.IsFatal);
        Assert.Equal($"panic: {expected.Message}", panic.Message);
        Assert.StartsWith($"panic: {expected.Message}\n\ngoroutine {id} [running]:\n{expected.GetType().FullName}: {expected.Message}\n", panic.Report, StringComparison.Ordinal);
        Assert.StartsWith("panic: ", panic.Report, StringComparison.Ordinal);
        Assert.Contains($"goroutine {id} [running]:", panic.Report, StringComparison.Ordinal);
        Assert.Contains($"created by {spawner}\n", panic.Report, StringComparison.Ordinal); // from a plain thread: no creating goroutine
        Assert.Contains($"{ThisFile()}:", panic.Report, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(ThisFile()), panic.Report, StringComparison.Ordinal);
        Assert.Equal(panic.Report, panic.ToString());
    }

    private static string ThisFile([CallerFilePath] string file = "") => file;
}
