// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Diagnostics;
using Goroutines.Scheduling;
using Goroutines.Sync;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Diagnostics;

public sealed class GoroutineDumpTests : RuntimeTest
{
    private const string ThisFile = "GoroutineDumpTests.cs";

    // Lines of the awaits the helpers below park at, recorded by the helpers themselves.
    private static int s_receiveLine;
    private static int s_innerLine;
    private static int s_outerLine;
    private static int s_rangeLine;

    [Fact]
    public async Task Capture_GoroutineParkedOnChannel_ShowsReasonAwaitLineAndCreationSite()
    {
        var channel = new Chan<int>();
        Spawned receiver = await Spawned.ParkedAsync(() => ReceiveOnceAsync(channel), WaitReason.ChanReceive);

        GoroutineInfo info = Find(GoroutineDump.Capture(), receiver.Id);

        Assert.Equal(GoroutineState.Waiting, info.State);
        Assert.Equal("chan receive", info.WaitReason);
        Assert.Equal("chan receive", info.StateText);
        GoroutineFrame top = info.Frames[0];
        Assert.Equal($"{typeof(GoroutineDumpTests).FullName}.{nameof(ReceiveOnceAsync)}", top.Function);
        Assert.EndsWith(ThisFile, top.File, StringComparison.Ordinal);
        Assert.Equal(s_receiveLine, top.Line);
        Assert.EndsWith("GoTest.cs", info.CreatedBy.File, StringComparison.Ordinal); // Spawned starts it through GoTest.Start
        Assert.Equal(0, info.CreatorId); // spawned from the test's thread, not from a goroutine

        channel.Close();
        await receiver.Completion.Within();
    }

    [Fact]
    public async Task Capture_NestedAsyncMethods_ListsFramesInnermostFirst()
    {
        var channel = new Chan<int>();
        Spawned spawned = await Spawned.ParkedAsync(() => OuterAsync(channel), WaitReason.ChanSend);

        GoroutineInfo info = Find(GoroutineDump.Capture(), spawned.Id);

        Assert.Equal("chan send", info.WaitReason);
        Assert.Equal($"{typeof(GoroutineDumpTests).FullName}.{nameof(InnerAsync)}", info.Frames[0].Function);
        Assert.Equal(s_innerLine, info.Frames[0].Line);
        Assert.Equal($"{typeof(GoroutineDumpTests).FullName}.{nameof(OuterAsync)}", info.Frames[1].Function);
        Assert.Equal(s_outerLine, info.Frames[1].Line);

        Assert.Equal(1, await channel.ReceiveAsync());
        await spawned.Completion.Within();
    }

    [Fact]
    public async Task Capture_ReceiveThatYieldedAtASafePointFirst_ShowsTheUsersFrameNotTheRuntimes()
    {
        // Asked to yield before its receive (as sysmon asks a goroutine that ran 10 ms), the receive
        // goes through the runtime's own async helper; the dump must still start at the user's frame.
        var channel = new Chan<int>();
        Spawned spawned = await Spawned.ParkedAsync(
            () =>
            {
                Goroutines.Scheduling.Goroutine.Running!.RequestPreempt();
                return ReceiveOnceAsync(channel);
            },
            WaitReason.ChanReceive);

        GoroutineInfo info = Find(GoroutineDump.Capture(), spawned.Id);

        Assert.Equal("chan receive", info.WaitReason);
        Assert.Equal($"{typeof(GoroutineDumpTests).FullName}.{nameof(ReceiveOnceAsync)}", info.Frames[0].Function);
        Assert.Equal(s_receiveLine, info.Frames[0].Line);

        await channel.SendAsync(1);
        await spawned.Completion.Within();
    }

    [Fact]
    public async Task Capture_RangeLoopThatYieldedAtASafePointFirst_ShowsTheUsersFrameNotTheEnumerators()
    {
        // The same through a public type's private helper: the range loop's receive after a yield.
        var channel = new Chan<int>();
        Spawned spawned = await Spawned.ParkedAsync(
            () =>
            {
                Goroutines.Scheduling.Goroutine.Running!.RequestPreempt();
                return RangeOnceAsync(channel);
            },
            WaitReason.ChanReceive);

        GoroutineInfo info = Find(GoroutineDump.Capture(), spawned.Id);

        Assert.Equal($"{typeof(GoroutineDumpTests).FullName}.{nameof(RangeOnceAsync)}", info.Frames[0].Function);
        Assert.Equal(s_rangeLine, info.Frames[0].Line);

        channel.Close();
        await spawned.Completion.Within();
    }

    [Fact]
    public async Task Capture_ForeignAwaitMutexAndSelect_ShowGoWaitReasons()
    {
        var pending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var mutex = new Mutex();
        await mutex.LockAsync();
        Spawned awaiting = await Spawned.ParkedAsync(async () => await pending.Task, WaitReason.ForeignAwait);
        Spawned locking = await Spawned.ParkedAsync(async () => (await mutex.LockAsync()).Dispose(), WaitReason.SyncMutexLock);
        var channel = new Chan<int>();
        Spawned selecting = await Spawned.ParkedAsync(async () => await new Select().Receive(channel).WaitAsync(), WaitReason.Select);

        GoroutineDump dump = GoroutineDump.Capture();

        Assert.Equal("await", Find(dump, awaiting.Id).WaitReason);
        Assert.Equal("sync.Mutex.Lock", Find(dump, locking.Id).WaitReason);
        Assert.Equal("select", Find(dump, selecting.Id).WaitReason);

        pending.SetResult();
        mutex.Unlock();
        channel.Close();
        await Task.WhenAll(awaiting.Completion, locking.Completion, selecting.Completion).Within();
    }

    [Fact]
    public async Task Capture_FromInsideAGoroutine_ShowsItRunningWithItsThreadFrames()
    {
        GoroutineInfo self = await GoTest.RunAsync(() => Task.FromResult(CaptureSelf()));

        Assert.Equal(GoroutineState.Running, self.State);
        Assert.Equal("running", self.StateText);
        Assert.Contains(self.Frames, frame => frame.Function.EndsWith(nameof(CaptureSelf), StringComparison.Ordinal));
        Assert.DoesNotContain(self.Frames, frame => frame.Function.StartsWith("Goroutines.Scheduling", StringComparison.Ordinal));
    }

    [Fact]
    public void Describe_GoroutineNotStarted_ShowsEntryFunctionAsRunnable()
    {
        var g = new Goroutine(id: 1_000_001, (Func<Task>)NeverStartedAsync, parentId: 7, "Spawner", "/src/Spawner.cs", 12, exitSignal: null, executionContext: null);

        GoroutineInfo info = GoroutineDump.Describe(g, current: null, nowSeconds: 0, isLeaked: false)!;

        Assert.Equal(GoroutineState.Runnable, info.State);
        Assert.Equal($"{typeof(GoroutineDumpTests).FullName}.{nameof(NeverStartedAsync)}", Assert.Single(info.Frames).Function);
        Assert.Equal(new GoroutineFrame("Spawner", "/src/Spawner.cs", 12), info.CreatedBy);
        Assert.Equal(7, info.CreatorId);
    }

    [Fact]
    public void StateText_WaitDuration_ShowsMinutesOnlyFromOneMinute()
    {
        Assert.Equal("chan receive", Waiting(TimeSpan.FromSeconds(59)).StateText);
        Assert.Equal("chan receive, 1 minutes", Waiting(TimeSpan.FromSeconds(60)).StateText); // Go's own plural
        Assert.Equal("chan receive, 2 minutes", Waiting(TimeSpan.FromSeconds(150)).StateText);
        Assert.Equal("chan receive (leaked), 2 minutes", Waiting(TimeSpan.FromSeconds(150), isLeaked: true).StateText);
    }

    [Fact]
    public void WriteTo_Full_WritesGoShapeForEachGoroutine()
    {
        GoroutineInfo parked = Waiting(TimeSpan.FromMinutes(3));
        var running = new GoroutineInfo(5, GoroutineState.Running, null, TimeSpan.Zero, [], new GoroutineFrame("Main", "/src/Program.cs", 9), 0, isLeaked: false);

        string text = GoroutineDumpText.Full([running, parked]);

        Assert.Equal(
            "goroutine 5 [running]:\n"
            + "\tgoroutine running on other thread; stack unavailable\n"
            + "created by Main\n"
            + "\t/src/Program.cs:9\n"
            + "\n"
            + "goroutine 18 [chan receive, 3 minutes]:\n"
            + "App.Worker.RunAsync(...)\n"
            + "\t/src/Worker.cs:42\n"
            + "created by Main in goroutine 1\n"
            + "\t/src/Program.cs:12\n",
            text);
    }

    [Fact]
    public async Task WriteTo_Grouped_CountsIdenticalGoroutinesLargestGroupFirst()
    {
        var channel = new Chan<int>();
        var others = new Chan<int>();
        Spawned odd = await Spawned.ParkedAsync(async () => await others.ReceiveAsync(), WaitReason.ChanReceive);
        var parked = new List<Spawned>();
        for (int i = 0; i < 20; i++)
        {
            parked.Add(await Spawned.ParkedAsync(() => ReceiveOnceAsync(channel), WaitReason.ChanReceive));
        }

        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        GoroutineDump.Capture().WriteTo(writer, GoroutineDumpFormat.Grouped);
        string text = writer.ToString();

        Assert.StartsWith("goroutine profile: total ", text, StringComparison.Ordinal);
        string group = $"20 @ [chan receive]\n#\t{typeof(GoroutineDumpTests).FullName}.{nameof(ReceiveOnceAsync)}\t";
        int largest = text.IndexOf(group, StringComparison.Ordinal);
        Assert.True(largest > 0, text);
        int single = text.IndexOf("1 @ [chan receive]\n", StringComparison.Ordinal);
        Assert.True(single > largest, text);

        channel.Close();
        others.Close();
        await Task.WhenAll(parked.Select(p => p.Completion).Append(odd.Completion)).Within();
    }

    [Fact]
    public void WriteTo_UndefinedFormat_ThrowsArgumentOutOfRange()
    {
        GoroutineDump dump = GoroutineDump.Capture();

        Assert.Throws<ArgumentOutOfRangeException>("format", () => dump.WriteTo(TextWriter.Null, (GoroutineDumpFormat)7));
        Assert.Throws<ArgumentNullException>("writer", () => dump.WriteTo(null!));
    }

    private static GoroutineInfo Find(GoroutineDump dump, long id) =>
        dump.Goroutines.SingleOrDefault(g => g.Id == id) ?? throw new InvalidOperationException($"goroutine {id} is not in the dump:\n{dump}");

    private static GoroutineInfo Waiting(TimeSpan duration, bool isLeaked = false) =>
        new(18, GoroutineState.Waiting, "chan receive", duration, [new GoroutineFrame("App.Worker.RunAsync", "/src/Worker.cs", 42)], new GoroutineFrame("Main", "/src/Program.cs", 12), 1, isLeaked);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static GoroutineInfo CaptureSelf() => Find(GoroutineDump.Capture(), Go.CurrentGoroutineId);

    private static Task NeverStartedAsync() => Task.CompletedTask;

    private static int LineHere([CallerLineNumber] int line = 0) => line;

    private static async Task ReceiveOnceAsync(Chan<int> channel)
    {
        s_receiveLine = LineHere(); _ = await channel.ReceiveWithOkAsync();
    }

    private static async Task RangeOnceAsync(Chan<int> channel)
    {
        s_rangeLine = LineHere(); await foreach (int value in channel) { GC.KeepAlive(value); }
    }

    private static async Task OuterAsync(Chan<int> channel)
    {
        s_outerLine = LineHere(); await InnerAsync(channel);
    }

    private static async Task InnerAsync(Chan<int> channel)
    {
        s_innerLine = LineHere(); await channel.SendAsync(1);
    }
}
