// Licensed under the MIT License.

using System;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;

using Goroutines.Scheduling;

namespace Goroutines;

/// <summary>
/// Goroutines: Go's <c>go</c> statement, <c>func main</c> and the <c>runtime</c> package's
/// controls. The thin public face of the scheduler; see <c>Scheduling/Scheduler.cs</c>.
/// </summary>
/// <remarks>
/// A goroutine is an async function scheduled M:N onto a few OS threads by a GMP scheduler.
/// Every <c>await</c> inside it, of any .NET awaitable, resumes on the scheduler as the same
/// goroutine: a goroutine is one sequential flow. An exception that escapes a goroutine is a
/// panic: by default Go's report on stderr and exit code 2 (see <see cref="SetPanicHandler"/>).
/// </remarks>
public static class Go
{
    /// <summary>Starts a goroutine running <paramref name="function"/> (Go's <c>go f()</c>). Any thread.</summary>
    /// <param name="function">The goroutine's body.</param>
    /// <param name="member">The spawning member; filled in by the compiler.</param>
    /// <param name="file">The spawning file; filled in by the compiler.</param>
    /// <param name="line">The spawning line; filled in by the compiler.</param>
    /// <remarks>
    /// Returns at once; the goroutine runs later on some machine. Everything the caller did before
    /// this call happens-before the goroutine starts.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="function"/> is null.</exception>
    public static void Run(Func<Task> function, [CallerMemberName] string member = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(function);
        Scheduler.Instance.Spawn(function, member, file, line);
    }

    /// <summary>Starts a goroutine running <paramref name="function"/> (Go's <c>go f()</c>). Any thread.</summary>
    /// <inheritdoc cref="Run(Func{Task}, string, string, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void Run(Func<ValueTask> function, [CallerMemberName] string member = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(function);
        Scheduler.Instance.Spawn(function, member, file, line);
    }

    /// <summary>Starts a goroutine running the synchronous <paramref name="function"/> (Go's <c>go f()</c>). Any thread.</summary>
    /// <inheritdoc cref="Run(Func{Task}, string, string, int)"/>
    public static void Run(Action function, [CallerMemberName] string member = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(function);
        Scheduler.Instance.Spawn(function, member, file, line);
    }

    /// <summary>
    /// Starts a goroutine calling <paramref name="function"/> with arguments evaluated now (Go's
    /// <c>go f(x, y)</c>): they are copied at this call, so a loop variable passed in is that
    /// iteration's value, and no closure is allocated. Any thread.
    /// </summary>
    /// <param name="function">The goroutine's body: a method group or a lambda of the arguments.</param>
    /// <param name="arg1">Argument 1 of <paramref name="function"/>.</param>
    /// <param name="member">The spawning member; filled in by the compiler.</param>
    /// <param name="file">The spawning file; filled in by the compiler.</param>
    /// <param name="line">The spawning line; filled in by the compiler.</param>
    /// <typeparam name="T1">The type of argument 1.</typeparam>
    /// <remarks>
    /// Everything the caller did before this call happens-before the goroutine starts. There are
    /// forms for one to four arguments, each for an async function (a <c>Func</c> of the arguments
    /// returning <see cref="Task"/>) and a synchronous one (an <c>Action</c> of them).
    /// </remarks>
    /// <example><c>for (int w = 1; w &lt;= 3; w++) Go.Run(Worker, w, jobs, results);</c></example>
    /// <exception cref="ArgumentNullException"><paramref name="function"/> is null.</exception>
    public static void Run<T1>(Func<T1, Task> function, T1 arg1, [CallerMemberName] string member = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(function);
        Scheduler.Instance.Spawn(new GoroutineEntry<T1>(function, arg1), member, file, line);
    }

    /// <summary>Starts a goroutine calling the synchronous <paramref name="function"/> with arguments evaluated now (Go's <c>go f(x, y)</c>). Any thread.</summary>
    /// <param name="function">The goroutine's body: a method group or a lambda of the arguments.</param>
    /// <param name="arg1">Argument 1 of <paramref name="function"/>.</param>
    /// <param name="member">The spawning member; filled in by the compiler.</param>
    /// <param name="file">The spawning file; filled in by the compiler.</param>
    /// <param name="line">The spawning line; filled in by the compiler.</param>
    /// <typeparam name="T1">The type of argument 1.</typeparam>
    /// <remarks>See <see cref="Run{T1}(Func{T1, Task}, T1, string, string, int)"/>.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="function"/> is null.</exception>
    public static void Run<T1>(Action<T1> function, T1 arg1, [CallerMemberName] string member = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(function);
        Scheduler.Instance.Spawn(new GoroutineEntry<T1>(function, arg1), member, file, line);
    }

    /// <summary>Starts a goroutine calling <paramref name="function"/> with arguments evaluated now (Go's <c>go f(x, y)</c>). Any thread.</summary>
    /// <param name="function">The goroutine's body: a method group or a lambda of the arguments.</param>
    /// <param name="arg1">Argument 1 of <paramref name="function"/>.</param>
    /// <param name="arg2">Argument 2 of <paramref name="function"/>.</param>
    /// <param name="member">The spawning member; filled in by the compiler.</param>
    /// <param name="file">The spawning file; filled in by the compiler.</param>
    /// <param name="line">The spawning line; filled in by the compiler.</param>
    /// <typeparam name="T1">The type of argument 1.</typeparam>
    /// <typeparam name="T2">The type of argument 2.</typeparam>
    /// <remarks>See <see cref="Run{T1}(Func{T1, Task}, T1, string, string, int)"/>.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="function"/> is null.</exception>
    public static void Run<T1, T2>(Func<T1, T2, Task> function, T1 arg1, T2 arg2, [CallerMemberName] string member = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(function);
        Scheduler.Instance.Spawn(new GoroutineEntry<T1, T2>(function, arg1, arg2), member, file, line);
    }

    /// <summary>Starts a goroutine calling the synchronous <paramref name="function"/> with arguments evaluated now (Go's <c>go f(x, y)</c>). Any thread.</summary>
    /// <param name="function">The goroutine's body: a method group or a lambda of the arguments.</param>
    /// <param name="arg1">Argument 1 of <paramref name="function"/>.</param>
    /// <param name="arg2">Argument 2 of <paramref name="function"/>.</param>
    /// <param name="member">The spawning member; filled in by the compiler.</param>
    /// <param name="file">The spawning file; filled in by the compiler.</param>
    /// <param name="line">The spawning line; filled in by the compiler.</param>
    /// <typeparam name="T1">The type of argument 1.</typeparam>
    /// <typeparam name="T2">The type of argument 2.</typeparam>
    /// <remarks>See <see cref="Run{T1}(Func{T1, Task}, T1, string, string, int)"/>.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="function"/> is null.</exception>
    public static void Run<T1, T2>(Action<T1, T2> function, T1 arg1, T2 arg2, [CallerMemberName] string member = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(function);
        Scheduler.Instance.Spawn(new GoroutineEntry<T1, T2>(function, arg1, arg2), member, file, line);
    }

    /// <summary>Starts a goroutine calling <paramref name="function"/> with arguments evaluated now (Go's <c>go f(x, y)</c>). Any thread.</summary>
    /// <param name="function">The goroutine's body: a method group or a lambda of the arguments.</param>
    /// <param name="arg1">Argument 1 of <paramref name="function"/>.</param>
    /// <param name="arg2">Argument 2 of <paramref name="function"/>.</param>
    /// <param name="arg3">Argument 3 of <paramref name="function"/>.</param>
    /// <param name="member">The spawning member; filled in by the compiler.</param>
    /// <param name="file">The spawning file; filled in by the compiler.</param>
    /// <param name="line">The spawning line; filled in by the compiler.</param>
    /// <typeparam name="T1">The type of argument 1.</typeparam>
    /// <typeparam name="T2">The type of argument 2.</typeparam>
    /// <typeparam name="T3">The type of argument 3.</typeparam>
    /// <remarks>See <see cref="Run{T1}(Func{T1, Task}, T1, string, string, int)"/>.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="function"/> is null.</exception>
    public static void Run<T1, T2, T3>(Func<T1, T2, T3, Task> function, T1 arg1, T2 arg2, T3 arg3, [CallerMemberName] string member = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(function);
        Scheduler.Instance.Spawn(new GoroutineEntry<T1, T2, T3>(function, arg1, arg2, arg3), member, file, line);
    }

    /// <summary>Starts a goroutine calling the synchronous <paramref name="function"/> with arguments evaluated now (Go's <c>go f(x, y)</c>). Any thread.</summary>
    /// <param name="function">The goroutine's body: a method group or a lambda of the arguments.</param>
    /// <param name="arg1">Argument 1 of <paramref name="function"/>.</param>
    /// <param name="arg2">Argument 2 of <paramref name="function"/>.</param>
    /// <param name="arg3">Argument 3 of <paramref name="function"/>.</param>
    /// <param name="member">The spawning member; filled in by the compiler.</param>
    /// <param name="file">The spawning file; filled in by the compiler.</param>
    /// <param name="line">The spawning line; filled in by the compiler.</param>
    /// <typeparam name="T1">The type of argument 1.</typeparam>
    /// <typeparam name="T2">The type of argument 2.</typeparam>
    /// <typeparam name="T3">The type of argument 3.</typeparam>
    /// <remarks>See <see cref="Run{T1}(Func{T1, Task}, T1, string, string, int)"/>.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="function"/> is null.</exception>
    public static void Run<T1, T2, T3>(Action<T1, T2, T3> function, T1 arg1, T2 arg2, T3 arg3, [CallerMemberName] string member = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(function);
        Scheduler.Instance.Spawn(new GoroutineEntry<T1, T2, T3>(function, arg1, arg2, arg3), member, file, line);
    }

    /// <summary>Starts a goroutine calling <paramref name="function"/> with arguments evaluated now (Go's <c>go f(x, y)</c>). Any thread.</summary>
    /// <param name="function">The goroutine's body: a method group or a lambda of the arguments.</param>
    /// <param name="arg1">Argument 1 of <paramref name="function"/>.</param>
    /// <param name="arg2">Argument 2 of <paramref name="function"/>.</param>
    /// <param name="arg3">Argument 3 of <paramref name="function"/>.</param>
    /// <param name="arg4">Argument 4 of <paramref name="function"/>.</param>
    /// <param name="member">The spawning member; filled in by the compiler.</param>
    /// <param name="file">The spawning file; filled in by the compiler.</param>
    /// <param name="line">The spawning line; filled in by the compiler.</param>
    /// <typeparam name="T1">The type of argument 1.</typeparam>
    /// <typeparam name="T2">The type of argument 2.</typeparam>
    /// <typeparam name="T3">The type of argument 3.</typeparam>
    /// <typeparam name="T4">The type of argument 4.</typeparam>
    /// <remarks>See <see cref="Run{T1}(Func{T1, Task}, T1, string, string, int)"/>.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="function"/> is null.</exception>
    public static void Run<T1, T2, T3, T4>(Func<T1, T2, T3, T4, Task> function, T1 arg1, T2 arg2, T3 arg3, T4 arg4, [CallerMemberName] string member = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(function);
        Scheduler.Instance.Spawn(new GoroutineEntry<T1, T2, T3, T4>(function, arg1, arg2, arg3, arg4), member, file, line);
    }

    /// <summary>Starts a goroutine calling the synchronous <paramref name="function"/> with arguments evaluated now (Go's <c>go f(x, y)</c>). Any thread.</summary>
    /// <param name="function">The goroutine's body: a method group or a lambda of the arguments.</param>
    /// <param name="arg1">Argument 1 of <paramref name="function"/>.</param>
    /// <param name="arg2">Argument 2 of <paramref name="function"/>.</param>
    /// <param name="arg3">Argument 3 of <paramref name="function"/>.</param>
    /// <param name="arg4">Argument 4 of <paramref name="function"/>.</param>
    /// <param name="member">The spawning member; filled in by the compiler.</param>
    /// <param name="file">The spawning file; filled in by the compiler.</param>
    /// <param name="line">The spawning line; filled in by the compiler.</param>
    /// <typeparam name="T1">The type of argument 1.</typeparam>
    /// <typeparam name="T2">The type of argument 2.</typeparam>
    /// <typeparam name="T3">The type of argument 3.</typeparam>
    /// <typeparam name="T4">The type of argument 4.</typeparam>
    /// <remarks>See <see cref="Run{T1}(Func{T1, Task}, T1, string, string, int)"/>.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="function"/> is null.</exception>
    public static void Run<T1, T2, T3, T4>(Action<T1, T2, T3, T4> function, T1 arg1, T2 arg2, T3 arg3, T4 arg4, [CallerMemberName] string member = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(function);
        Scheduler.Instance.Spawn(new GoroutineEntry<T1, T2, T3, T4>(function, arg1, arg2, arg3, arg4), member, file, line);
    }

    /// <summary>
    /// Runs <paramref name="main"/> as the main goroutine and blocks the calling thread until it
    /// returns (Go's <c>func main</c>). Other goroutines do not keep it waiting.
    /// </summary>
    /// <param name="main">The main goroutine's body.</param>
    /// <param name="member">The calling member; filled in by the compiler.</param>
    /// <param name="file">The calling file; filled in by the compiler.</param>
    /// <param name="line">The calling line; filled in by the compiler.</param>
    /// <remarks>
    /// <para>A panic in <paramref name="main"/> is reported like any other (see <see cref="SetPanicHandler"/>).</para>
    /// <para>
    /// While it runs, Go's deadlock detector watches the program: when every goroutine is blocked
    /// forever on channels, selects or the <c>Sync</c> primitives, with no timer pending and no
    /// goroutine awaiting a .NET task, I/O or a sleep, the program ends with Go's
    /// <c>fatal error: all goroutines are asleep - deadlock!</c>, the dump of every goroutine and
    /// exit code 2. It never reports a goroutine that anything outside the runtime could still
    /// wake (a thread, a .NET timer, a static field that holds its channel): the garbage collector
    /// proves each one unreachable first. So declare the program's channels inside
    /// <paramref name="main"/>: one the calling method holds in a local that <paramref name="main"/>
    /// captures stays reachable from the calling thread, and hides a deadlock on it.
    /// </para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="main"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called from inside a goroutine, whose thread it would block.</exception>
    /// <exception cref="DeadlockException">
    /// Every goroutine is blocked forever, the main goroutine included, and a panic handler is
    /// installed (it received the fatal error first). Every concurrent call whose main goroutine
    /// is among the deadlocked ones throws.
    /// </exception>
    public static void Main(Func<Task> main, [CallerMemberName] string member = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(main);
        if (Goroutine.Running is not null)
        {
            throw new InvalidOperationException("Go.Main blocks its thread until the main goroutine returns; call it from a program's Main, not from a goroutine. Inside a goroutine, use Go.Run.");
        }

        // By reference: RunMain clears this frame's copy once the goroutine has it (Scheduler.Main.cs).
        Scheduler.Instance.RunMain(ref main, member, file, line);
    }

    /// <summary>
    /// Yields the processor: the goroutine goes to the back of its processor's run queue and
    /// resumes after the goroutines queued there had their turn (Go's <c>runtime.Gosched</c>, which
    /// uses the global queue; see docs/design.md for why this one does not). Outside a goroutine it
    /// behaves like <see cref="Task.Yield"/>.
    /// </summary>
    public static YieldAwaitable YieldAsync() => default;

    /// <summary>
    /// Ends the calling goroutine (Go's <c>runtime.Goexit</c>): its <c>finally</c> blocks run,
    /// innermost first, and nothing after them does. It is not a panic: nothing is reported, and
    /// the other goroutines go on. Call it from the goroutine's function or any async method it
    /// awaits, at any depth.
    /// </summary>
    /// <remarks>
    /// <para>
    /// It throws <see cref="GoexitException"/>, which the runtime takes as the goroutine's end.
    /// Catch-all blocks must let it pass (<c>catch (Exception e) when (e is not GoexitException)</c>):
    /// Go's <c>recover</c> cannot stop a Goexit, a .NET <c>catch</c> can (see the exception's remarks).
    /// </para>
    /// <para>
    /// In the main goroutine of <see cref="Main"/>, the program does not end: the other goroutines
    /// run on, and when none can run any more (none is left, or every one is blocked forever) the
    /// program ends as Go's does, with <c>fatal error: no goroutines (main called runtime.Goexit) -
    /// deadlock!</c> (or <c>all goroutines are asleep - deadlock!</c>) and exit code 2. As Go
    /// knows no threads but its own, that verdict does not wait for work a thread outside the
    /// runtime (a .NET timer, <c>Task.Run</c>) might start later: after a Goexit in main, keep
    /// such work in goroutines.
    /// </para>
    /// </remarks>
    /// <exception cref="GoexitException">Always: the way the goroutine ends.</exception>
    /// <exception cref="InvalidOperationException">Called outside a goroutine (on a thread of its own, or after an await that left the goroutine).</exception>
    [DoesNotReturn]
    public static void Goexit()
    {
        if (Goroutine.Running is null)
        {
            throw new InvalidOperationException("Go.Goexit ends the calling goroutine, and this code runs outside one (on a thread of its own, or after an await with ConfigureAwait(false)); return from the method instead.");
        }

        throw new GoexitException();
    }

    /// <summary>
    /// Panics with <paramref name="value"/> (Go's <c>panic(v)</c>): throws a
    /// <see cref="PanicException"/> that carries it, for the code that catches it (Go's
    /// <c>recover()</c>) or, if nothing does, for the panic report, which prints it as Go does
    /// (<c>panic: boom</c> for <c>Go.Panic("boom")</c>).
    /// </summary>
    /// <param name="value">The panic value: any object (an exception, a string, a number, ...).</param>
    /// <exception cref="PanicException">Always, with <paramref name="value"/>.</exception>
    /// <exception cref="InvalidOperationException">
    /// <paramref name="value"/> is null: Go's runtime error <c>panic called with nil argument</c>
    /// (an <see cref="IRuntimeError"/>), as Go 1.21 and later make <c>panic(nil)</c>.
    /// </exception>
    [DoesNotReturn]
    public static void Panic(object? value) =>
        throw (value is null ? new RuntimePanicException("panic called with nil argument") : (Exception)new PanicException(value));

    /// <summary>Enters a region around a call that blocks the OS thread (Go's <c>entersyscall</c>); dispose it after the call.</summary>
    /// <remarks>
    /// While the region lasts, the goroutine's processor may be handed to another thread after
    /// 20 µs if other goroutines need it, so a blocking call never starves them. Outside a
    /// goroutine it does nothing. On Linux the runtime also notices a call that blocks in the
    /// kernel without a region (the thread asleep, its CPU clock still) and hands the processor
    /// off as quickly, up to half the thread limit; a region makes it immediate and unbounded, on
    /// every system.
    /// </remarks>
    public static BlockingRegion EnterBlockingRegion() => BlockingRegion.Enter();

    /// <summary>Number of logical CPUs of the process (Go's <c>runtime.NumCPU</c>).</summary>
    public static int NumCPU => Environment.ProcessorCount;

    /// <summary>Number of goroutines that exist now (Go's <c>runtime.NumGoroutine</c>).</summary>
    public static long NumGoroutine => Scheduler.Instance.GoroutineCount;

    /// <summary>
    /// GOMAXPROCS: how many goroutines may run at once. Defaults to the <c>GOMAXPROCS</c>
    /// environment variable when it is a positive integer, else <see cref="NumCPU"/>.
    /// </summary>
    public static int MaxProcs => Scheduler.Instance.MaxProcs;

    /// <summary>Sets GOMAXPROCS and returns the previous value (Go's <c>runtime.GOMAXPROCS(n)</c>).</summary>
    /// <param name="n">The new value; below 1 the setting is only read, as in Go; above 65,535 it is capped there.</param>
    /// <returns>The previous value.</returns>
    /// <remarks>
    /// Growing takes effect at once. Shrinking is lazy: a processor beyond the new count retires
    /// when the goroutine running on it next returns to the scheduler.
    /// </remarks>
    public static int SetMaxProcs(int n) => Scheduler.Instance.SetMaxProcs(n);

    /// <summary>
    /// Sets the most OS threads the runtime may create and returns the previous limit (Go's
    /// <c>debug.SetMaxThreads</c>; default 10,000). Needing one more is Go's fatal error
    /// <c>thread exhaustion</c>. Goroutines stuck outside a blocking region (a loop, a blocking
    /// call without a region) lose their processors to new threads only while the runtime has
    /// fewer than half this many; past that they keep them until they come back.
    /// </summary>
    /// <param name="threads">The new limit; at least 1.</param>
    /// <returns>The previous limit.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is less than 1.</exception>
    public static int SetMaxThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        return Scheduler.Instance.SetMaxThreads(threads);
    }

    /// <summary>
    /// Sets the stack reserved for each runtime thread created from now on and returns the previous
    /// size (the analog of Go's <c>debug.SetMaxStack</c>; default 256 MiB of address space).
    /// </summary>
    /// <param name="bytes">The reservation, at least 256 KiB.</param>
    /// <returns>The previous size.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytes"/> is less than 256 KiB.</exception>
    public static int SetMaxStack(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 256 * 1024);
        return Scheduler.Instance.SetMaxStack(bytes);
    }

    /// <summary>
    /// Installs <paramref name="handler"/> to receive panics and fatal errors instead of the default
    /// (Go's report on stderr, then exit code 2), and returns the previous handler.
    /// </summary>
    /// <param name="handler">The handler, or null to restore the default.</param>
    /// <returns>The previous handler, or null if it was the default.</returns>
    /// <remarks>
    /// The handler runs on the thread of the goroutine that panicked (a fatal error the runtime
    /// finds by itself, such as a deadlock, on a thread of its own); the runtime goes on after it
    /// returns. A handler that throws ends the process as if none were installed: the report on
    /// stderr shows the panic with the handler's exception nested under its first line
    /// (<c>	panic: ... [in the panic handler]</c>) and in full at the end; exit code 2.
    /// </remarks>
    public static Action<GoroutinePanic>? SetPanicHandler(Action<GoroutinePanic>? handler) =>
        Scheduler.Instance.SetPanicHandler(handler);

    /// <summary>The id of the goroutine running on this thread, or 0 outside one.</summary>
    public static long CurrentGoroutineId => Goroutine.Running?.Id ?? 0;

    /// <summary>Reads the scheduler's counters (goroutines, threads, steals, preemptions, hand-offs).</summary>
    public static RuntimeStatistics ReadStatistics() => Scheduler.Instance.ReadStatistics();

    /// <summary>
    /// Writes one snapshot of the scheduler in the format of Go's <c>GODEBUG=schedtrace</c> line
    /// (<c>SCHED 1004ms: gomaxprocs=2 idleprocs=0 threads=5 ... runqueue=0 [3 1]</c>), or with
    /// <paramref name="detailed"/> Go's <c>scheddetail=1</c> form: a line per processor, per
    /// thread and per live goroutine. Any thread.
    /// </summary>
    /// <param name="writer">Where the snapshot goes, in one <see cref="TextWriter.Write(string)"/> call.</param>
    /// <param name="detailed">Whether to write the detailed form.</param>
    /// <remarks>
    /// The same snapshot the <c>GODEBUG=schedtrace=N</c> environment variable makes the runtime
    /// write to stderr every N ms (add <c>scheddetail=1</c> for the detailed form). Nothing is
    /// stopped: the counters on the first line are read together, the rest racily, so the lines
    /// need not agree exactly. The runtime's metrics are in the "Goroutines" meter.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="writer"/> is null.</exception>
    public static void WriteSchedulerTrace(TextWriter writer, bool detailed = false)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Scheduler.Instance.WriteSchedTrace(writer, detailed);
    }
}
