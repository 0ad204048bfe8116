// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Diagnostics;

using Xunit;

namespace Goroutines.Tests.Diagnostics;

// Each async method under test awaits Gate.Wait() on the line it wants located: the gate
// records that line ([CallerLineNumber]) and hands out a task the test completes. The
// gate completes the task with no synchronization context current, so the method resumes
// inline, and when Release returns the method is suspended at its next await.
public sealed partial class AsyncFrameLocatorTests
{
    [Fact]
    public void GetMethodName_NamedAsyncMethod_DeclaringTypeDotMethod()
    {
        var gate = new Gate();
        Task task = OneAwaitAsync(gate);

        Assert.Equal(
            "Goroutines.Tests.Diagnostics.AsyncFrameLocatorTests.OneAwaitAsync",
            AsyncFrameLocator.GetMethodName(Suspended(task).Type));
        gate.Release();
        Assert.True(task.IsCompletedSuccessfully);
    }

    [Fact]
    public void GetMethodName_AsyncLambda_ContainingMethodDotFuncN()
    {
        var gate = new Gate();
        Func<Gate, Task> lambda = static async gate => await gate.Wait().ConfigureAwait(false);
        Task task = lambda(gate);

        Assert.Matches(
            LambdaName(),
            AsyncFrameLocator.GetMethodName(Suspended(task).Type));
        gate.Release();
    }

    [Fact]
    public void GetMethodName_GenericStateMachineInGenericType_ArityRemoved()
    {
        var gate = new Gate();
        Task task = Generic<int>.WaitAsync<string>(gate);
        Type stateMachine = Suspended(task).Type;

        Assert.True(stateMachine.IsConstructedGenericType);
        Assert.Equal(
            "Goroutines.Tests.Diagnostics.AsyncFrameLocatorTests.Generic.WaitAsync",
            AsyncFrameLocator.GetMethodName(stateMachine));
        Assert.True(AsyncFrameLocator.TryGetAwaitLocation(stateMachine, Suspended(task).State, out _, out int line));
        Assert.Equal(gate.Line, line);
        gate.Release();
    }

    [Fact]
    public void TryGetAwaitLocation_ThreeAwaits_EachStateMapsToItsAwaitLine()
    {
        Assert.Equal([0, 1, 2], AssertEachAwaitLocated(ThreeAwaitsAsync, awaits: 3));
    }

    [Fact]
    public void TryGetAwaitLocation_AwaitsInLoopBranchesAndHandlers_EachStateMapsToItsAwaitLine()
    {
        List<int> states = AssertEachAwaitLocated(TangledAwaitsAsync, awaits: 6);

        // The else branch's await runs first but the compiler numbered the if branch's first,
        // so the states were not visited in order: the mapping follows numbering, not time.
        Assert.True(states[0] > states[1]);
    }

    [Fact]
    public void TryGetAwaitLocation_AsyncLambda_StateMapsToAwaitLine()
    {
        Func<Gate, Task> lambda = static async gate =>
        {
            await gate.Wait().ConfigureAwait(false);
            await gate.Wait().ConfigureAwait(false);
        };

        _ = AssertEachAwaitLocated(lambda, awaits: 2);
    }

    [Fact]
    public void TryGetAwaitLocation_ImplicitDisposeAsyncAwait_LineWithinUsingStatement()
    {
        var gate = new Gate();
        Task task = AwaitUsingAsync(gate);
        gate.Release();

        // The compiler gives the implicit await no sequence point of its own: it reads as the
        // closing brace in a debug build, which has a point there, and as the body's last
        // line in a release build, which has not; either way inside the using statement.
        (Type type, int state) = Suspended(task);
        Assert.Equal(1, state);
        Assert.True(AsyncFrameLocator.TryGetAwaitLocation(type, state, out _, out int line));
        gate.Release();

        Assert.InRange(line, gate.CreatedLine, gate.Line - 1);
        Assert.True(AsyncFrameLocator.TryGetAwaitLocation(type, 2, out _, out int after));
        Assert.Equal(gate.Line, after);
        gate.Release();
        Assert.True(task.IsCompletedSuccessfully);
    }

    [Fact]
    public void TryGetAwaitLocation_RepeatedCalls_SameAnswer()
    {
        var gate = new Gate();
        Task task = OneAwaitAsync(gate);
        (Type type, int state) = Suspended(task);

        Assert.True(AsyncFrameLocator.TryGetAwaitLocation(type, state, out string? first, out int firstLine));
        Assert.True(AsyncFrameLocator.TryGetAwaitLocation(type, state, out string? second, out int secondLine));
        Assert.Same(first, second);
        Assert.Equal(firstLine, secondLine);
        gate.Release();
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(-2)]
    [InlineData(1)]
    [InlineData(int.MaxValue)]
    public void TryGetAwaitLocation_StateWithoutAwait_False(int state)
    {
        var gate = new Gate();
        Task task = OneAwaitAsync(gate);

        Assert.False(AsyncFrameLocator.TryGetAwaitLocation(Suspended(task).Type, state, out string? file, out int line));
        Assert.Null(file);
        Assert.Equal(0, line);
        gate.Release();
    }

    [Theory]
    [InlineData(typeof(string), "System.String")]
    [InlineData(typeof(Dictionary<,>), "System.Collections.Generic.Dictionary")]
    [InlineData(typeof(List<int>), "System.Collections.Generic.List")]
    [InlineData(typeof(Gate), "Goroutines.Tests.Diagnostics.AsyncFrameLocatorTests.Gate")]
    public void GetMethodName_NotAStateMachine_TypeName(Type type, string expected)
    {
        Assert.Equal(expected, AsyncFrameLocator.GetMethodName(type));
    }

    [Theory]
    [InlineData(typeof(string))]
    [InlineData(typeof(Gate))]
    [InlineData(typeof(List<int>.Enumerator))]
    public void TryGetAwaitLocation_NotAStateMachine_False(Type type)
    {
        Assert.False(AsyncFrameLocator.TryGetAwaitLocation(type, 0, out _, out _));
    }

    [Fact]
    public void TryGetAwaitLocation_AssemblyWithoutPdb_NamedButNotLocated()
    {
        // CoreLib ships without a PDB next to it; Stream has async methods of its own.
        Type? stateMachine = Array.Find(
            typeof(Stream).GetNestedTypes(BindingFlags.NonPublic),
            static nested => typeof(IAsyncStateMachine).IsAssignableFrom(nested));
        Assert.NotNull(stateMachine);

        string name = AsyncFrameLocator.GetMethodName(stateMachine);
        Assert.StartsWith("System.IO.Stream.", name, StringComparison.Ordinal);
        Assert.DoesNotContain(">d__", name, StringComparison.Ordinal);
        Assert.False(AsyncFrameLocator.TryGetAwaitLocation(stateMachine, 0, out _, out _));
    }

    /// <summary>
    /// Runs an async method through its awaits, asserting at each that its state locates the
    /// await; returns the states in the order they were visited.
    /// </summary>
    private static List<int> AssertEachAwaitLocated(Func<Gate, Task> method, int awaits, [CallerFilePath] string file = "")
    {
        var gate = new Gate();
        Task task = method(gate);
        var states = new List<int>();
        for (int i = 0; i < awaits; i++)
        {
            Assert.False(task.IsCompleted, $"completed after {i} awaits");
            (Type type, int state) = Suspended(task);
            states.Add(state);

            Assert.True(AsyncFrameLocator.TryGetAwaitLocation(type, state, out string? located, out int line), $"await {i}, state {state}");
            Assert.Equal(file, located);
            Assert.Equal(gate.Line, line);
            gate.Release();
        }

        Assert.True(task.IsCompletedSuccessfully);
        Assert.Equal(awaits, new HashSet<int>(states).Count);
        return states;
    }

    /// <summary>The state machine type and state of a suspended async method's task.</summary>
    private static (Type Type, int State) Suspended(Task task)
    {
        // The task of a suspended async method is its AsyncStateMachineBox<TStateMachine>.
        object stateMachine = task.GetType().GetField("StateMachine")!.GetValue(task)!;
        Type type = stateMachine.GetType();
        int state = (int)type.GetField("<>1__state")!.GetValue(stateMachine)!;
        return (type, state);
    }

    private static async Task AwaitUsingAsync(Gate gate)
    {
        await using (new Disposable(gate))
        {
            await gate.Wait().ConfigureAwait(false);
        }

        await gate.Wait().ConfigureAwait(false);
    }

    private static async Task OneAwaitAsync(Gate gate)
    {
        await gate.Wait().ConfigureAwait(false);
    }

    private static async Task ThreeAwaitsAsync(Gate gate)
    {
        await gate.Wait().ConfigureAwait(false);
        int spacer = Environment.ProcessorCount;

        await gate.Wait().ConfigureAwait(false);
        spacer += Environment.ProcessorCount;
        await gate.Wait().ConfigureAwait(false);
        GC.KeepAlive(spacer);
    }

    /// <summary>Awaits whose code the compiler moves around: in a loop (the second branch runs first), try, catch and finally.</summary>
    private static async Task TangledAwaitsAsync(Gate gate)
    {
        for (int i = 0; i < 2; i++)
        {
            if (i == 1)
            {
                await gate.Wait().ConfigureAwait(false);
            }
            else
            {
                await gate.Wait().ConfigureAwait(false);
            }
        }

        try
        {
            await gate.Wait().ConfigureAwait(false);
            throw new InvalidOperationException();
        }
        catch (InvalidOperationException)
        {
            await gate.Wait().ConfigureAwait(false);
        }
        finally
        {
            await gate.Wait().ConfigureAwait(false);
        }

        int value = await gate.Wait().ConfigureAwait(false);
        GC.KeepAlive(value);
    }

    [GeneratedRegex(@"^Goroutines\.Tests\.Diagnostics\.AsyncFrameLocatorTests\.GetMethodName_AsyncLambda_ContainingMethodDotFuncN\.func\d+$")]
    private static partial Regex LambdaName();

    /// <summary>Hands out one pending task at a time and remembers the line that asked for it.</summary>
    private sealed class Gate
    {
        private TaskCompletionSource<int>? _pending;
        private int _released;

        /// <summary>The line of the latest Wait.</summary>
        public int Line { get; private set; }

        /// <summary>The line that created the latest Disposable.</summary>
        public int CreatedLine { get; set; }

        /// <summary>A pending task that Release completes with the number of earlier releases.</summary>
        public Task<int> Wait([CallerLineNumber] int line = 0)
        {
            Line = line;
            _pending = new TaskCompletionSource<int>();
            return _pending.Task;
        }

        /// <summary>Completes the pending task; the waiting method runs to its next await before this returns.</summary>
        public void Release()
        {
            // A continuation runs inline only where no synchronization context is current,
            // and the test runner installs one.
            SynchronizationContext? context = SynchronizationContext.Current;
            SynchronizationContext.SetSynchronizationContext(null);
            try
            {
                _pending!.SetResult(_released++);
            }
            finally
            {
                SynchronizationContext.SetSynchronizationContext(context);
            }
        }
    }

    /// <summary>Records the line that creates it in the gate, and waits at the gate when disposed.</summary>
    private sealed class Disposable : IAsyncDisposable
    {
        private readonly Gate _gate;

        public Disposable(Gate gate, [CallerLineNumber] int line = 0)
        {
            _gate = gate;
            gate.CreatedLine = line;
        }

        public ValueTask DisposeAsync() => new(_gate.Wait());
    }

    private static class Generic<T>
    {
        public static async Task WaitAsync<TOther>(Gate gate)
        {
            await gate.Wait().ConfigureAwait(false);
            GC.KeepAlive(typeof((T, TOther)));
        }
    }
}