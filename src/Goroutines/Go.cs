// Licensed under the MIT License.

using System;
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

    /// <summary>Enters a region around a call that blocks the OS thread (Go's <c>entersyscall</c>); dispose it after the call.</summary>
    /// <remarks>
    /// While the region lasts, the goroutine's processor may be handed to another thread after
    /// 20 µs if other goroutines need it, so a blocking call never starves them. Outside a
    /// goroutine it does nothing.
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
    /// <c>thread exhaustion</c>.
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
    /// returns.
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
