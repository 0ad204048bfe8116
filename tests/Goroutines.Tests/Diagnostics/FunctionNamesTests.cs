// Licensed under the MIT License.

using System;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Diagnostics;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Diagnostics;

/// <summary>
/// Names in dumps and panic reports read as the code was written, never as the compiler named
/// it: lambdas as their method plus <c>funcN</c> (Go's <c>main.main.func1</c>), local functions as
/// their method plus their name, state machines as the method they run; and <c>created by</c>
/// names the function whose code holds the <c>Go.Run</c> call.
/// </summary>
public sealed class FunctionNamesTests : RuntimeTest
{
    private static readonly string ThisClass = typeof(FunctionNamesTests).FullName!;

    [Theory]
    [InlineData("Program", "<Main>$", "Program.Main")]
    [InlineData("Program+<>c", "<<Main>$>b__0_3", "Program.Main.func4")]
    [InlineData("Program+<>c+<<<Main>$>b__0_3>d", "MoveNext", "Program.Main.func4")]
    [InlineData("Program", "<<Main>$>g__LocalAsync|0_5", "Program.Main.LocalAsync")]
    [InlineData("Program+<<<Main>$>g__FilterAsync|0_5>d", "MoveNext", "Program.Main.FilterAsync")]
    [InlineData("Program+<>c__DisplayClass0_0", "<<Main>$>g__Local|4", "Program.Main.Local")]
    [InlineData("Shop.C+<>c__DisplayClass1_0", "<M>b__8", "Shop.C.M.func9")]
    [InlineData("Shop.C+<>c__DisplayClass1_0+<<M>b__3>d", "MoveNext", "Shop.C.M.func4")]
    [InlineData("Shop.Worker`1+<RunAsync>d__3", "MoveNext", "Shop.Worker.RunAsync")]
    [InlineData("Shop.Worker`1+<WaitAsync>d__4`1[[System.Int32, System.Private.CoreLib]]", "MoveNext", "Shop.Worker.WaitAsync")]
    [InlineData("Shop.Worker`1", "Run", "Shop.Worker.Run")]
    [InlineData("Shop.Worker+Inner", "<.ctor>b__0_0", "Shop.Worker.Inner..ctor.func1")]
    [InlineData("Shop.Worker", "get_Count", "Shop.Worker.get_Count")]
    [InlineData("Shop.Worker", "<Unknown>x__form", "Shop.Worker.Unknownx__form")]
    public void Of_CompilerNames_ReadAsWritten(string declaringType, string method, string expected)
    {
        Assert.Equal(expected, FunctionNames.Of(declaringType, method));
    }

    [Theory]
    [InlineData("Main", "Main")]
    [InlineData("<Main>$", "Main")]
    [InlineData("<M>b__1_0", "M.func1")]
    [InlineData("<<Main>$>g__Filter|0_5", "Main.Filter")]
    [InlineData("<", "<")]
    [InlineData("<>", "<>")]
    [InlineData("", "")]
    public void Method_OwnNames_ReadAsWritten(string method, string expected)
    {
        Assert.Equal(expected, FunctionNames.Method(method));
    }

    [Fact]
    public void Of_RealLambdasAndLocalFunctions_ContainingMethodPlusSuffix()
    {
        int captured = 3;
        Func<int> plain = static () => 1;
        Func<int> closure = () => captured;
        Func<Task> asyncLambda = static async () => await Task.Yield();
        Func<Func<int>> nested = () => () => captured + 1;
        string method = $"{ThisClass}.{nameof(Of_RealLambdasAndLocalFunctions_ContainingMethodPlusSuffix)}";

        Assert.Matches($@"^{Escape(method)}\.func\d+$", FunctionNames.Of(plain.Method));
        Assert.Matches($@"^{Escape(method)}\.func\d+$", FunctionNames.Of(closure.Method));
        Assert.Matches($@"^{Escape(method)}\.func\d+$", FunctionNames.Of(asyncLambda.Method));
        Assert.Matches($@"^{Escape(method)}\.func\d+$", FunctionNames.Of(nested().Method));
        Assert.NotEqual(FunctionNames.Of(nested.Method), FunctionNames.Of(nested().Method));
        Assert.Equal($"{method}.{nameof(Local)}", FunctionNames.Of(((Func<int>)Local).Method));
        Assert.Equal($"{method}.{nameof(LocalAsync)}", FunctionNames.Of(((Func<Task>)LocalAsync).Method));

        int Local() => captured;
        static async Task LocalAsync() => await Task.Yield();
    }

    [Fact]
    public async Task Capture_GoroutineStartedInLocalFunction_FramesAndCreatorReadAsWritten()
    {
        var ids = new Chan<long>(1);
        var release = new Chan<int>();
        int line = 0;
        string method = $"{ThisClass}.{nameof(Capture_GoroutineStartedInLocalFunction_FramesAndCreatorReadAsWritten)}";

        await GoTest.RunAsync(async () =>
        {
            StartReceiver();
            long id = await ids.ReceiveAsync();
            await GoTest.YieldUntilAsync(() => Blocked(id), "the receiver to park");

            GoroutineInfo info = GoroutineDump.Capture().Goroutines.Single(g => g.Id == id);
            Assert.Matches($@"^{Escape(method)}\.func\d+$", info.Frames[0].Function);
            Assert.Equal($"{method}.{nameof(StartReceiver)}", info.CreatedBy.Function);
            Assert.Equal(line, info.CreatedBy.Line);
            Assert.DoesNotContain('<', GoroutineDump.Capture().ToString().Split('\n').Single(l => l.StartsWith("created by " + method, StringComparison.Ordinal)));
            await release.SendAsync(1);
        });

        void StartReceiver()
        {
            line = LineHere(); Go.Run(async () => { await ids.SendAsync(Go.CurrentGoroutineId); await release.ReceiveAsync(); });
        }
    }

    [Fact]
    public async Task Capture_GoroutineStartedInsideAGoroutinesLambda_CreatorIsThatLambda()
    {
        var ids = new Chan<long>(2);
        var release = new Chan<int>();
        int line = 0;
        string method = $"{ThisClass}.{nameof(Capture_GoroutineStartedInsideAGoroutinesLambda_CreatorIsThatLambda)}";

        await GoTest.RunAsync(async () =>
        {
            Go.Run(async () =>
            {
                await ids.SendAsync(Go.CurrentGoroutineId);
                line = LineHere(); Go.Run(async () => { await ids.SendAsync(Go.CurrentGoroutineId); await release.ReceiveAsync(); });
                await release.ReceiveAsync();
            });
            long outer = await ids.ReceiveAsync();
            long inner = await ids.ReceiveAsync();
            await GoTest.YieldUntilAsync(() => Blocked(outer) && Blocked(inner), "both goroutines to park");

            GoroutineDump dump = GoroutineDump.Capture();
            GoroutineInfo outerInfo = dump.Goroutines.Single(g => g.Id == outer);
            GoroutineInfo innerInfo = dump.Goroutines.Single(g => g.Id == inner);
            Assert.Matches($@"^{Escape(method)}\.func\d+$", outerInfo.Frames[0].Function);
            Assert.Equal(outerInfo.Frames[0].Function, innerInfo.CreatedBy.Function); // Go: created by main.main.func1
            Assert.Equal(line, innerInfo.CreatedBy.Line);
            Assert.Equal(outer, innerInfo.CreatorId);
            await release.SendAsync(1);
            await release.SendAsync(2);
        });
    }

    [Fact]
    public async Task PanicReport_GoroutineStartedInLocalFunction_CreatedByNamesIt()
    {
        using var panics = new PanicCapture();
        string method = $"{ThisClass}.{nameof(PanicReport_GoroutineStartedInLocalFunction_CreatedByNamesIt)}";

        StartFailing();
        GoroutinePanic panic = Assert.Single(await panics.WaitForAsync(1));
        panics.TakeAll();

        Assert.Contains($"created by {method}.{nameof(StartFailing)}", panic.Report, StringComparison.Ordinal);

        static void StartFailing() => Go.Run(static async () =>
        {
            await Go.YieldAsync();
            throw new InvalidOperationException("boom");
        });
    }

    private static bool Blocked(long id) =>
        GoroutineDump.Capture().Goroutines.SingleOrDefault(g => g.Id == id) is { State: GoroutineState.Waiting };

    private static int LineHere([CallerLineNumber] int line = 0) => line;

    private static string Escape(string text) => System.Text.RegularExpressions.Regex.Escape(text);
}
