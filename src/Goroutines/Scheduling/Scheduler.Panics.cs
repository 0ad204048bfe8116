// Licensed under the MIT License.

using System;
using System.Globalization;
using System.Text;
using System.Threading;

using Goroutines.Diagnostics;

namespace Goroutines.Scheduling;

// Panics and fatal errors. An exception that escapes a goroutine is a panic: it is
// never lost. By default the runtime prints Go's report on stderr and ends the
// process with exit code 2, as Go does; a program or a test may install a handler
// instead (Go.SetPanicHandler), and then the runtime goes on.
internal sealed partial class Scheduler
{
    private Action<GoroutinePanic>? _panicHandler;

    /// <summary>Installs a panic handler (null restores the default) and returns the previous one.</summary>
    public Action<GoroutinePanic>? SetPanicHandler(Action<GoroutinePanic>? handler) =>
        Interlocked.Exchange(ref _panicHandler, handler);

    private void ReportPanic(Goroutine g, Exception exception)
    {
        var report = new StringBuilder();
        report.Append("panic: ").Append(exception).Append("\n\n");
        report.Append(CultureInfo.InvariantCulture, $"goroutine {g.Id} [running]:\n");
        GoroutineDumpText.AppendCreatedBy(report, GoroutineDump.CreationSite(g), g.ParentId);
        Deliver(new GoroutinePanic(exception, g.Id, $"panic: {exception.GetType().FullName}: {exception.Message}", report.ToString(), isFatal: false));
    }

    /// <summary>Reports a runtime fatal error (Go's <c>fatal error: ...</c>), which no recover could catch.</summary>
    internal void Fatal(string detail, string message) => DeliverFatal(message, $"{detail}\nfatal error: {message}\n");

    /// <summary>
    /// Reports a runtime fatal error whose report is Go's <c>fatal error: ...</c> line, a blank line
    /// and <paramref name="dump"/>, the goroutines it concerns (Go's checkdead and its traceback).
    /// Returns only if a panic handler is installed.
    /// </summary>
    internal void FatalWithDump(string message, string dump) => DeliverFatal(message, $"fatal error: {message}\n\n{dump}");

    private void DeliverFatal(string message, string report) =>
        Deliver(new GoroutinePanic(null, Goroutine.Running?.Id ?? 0, $"fatal error: {message}", report, isFatal: true));

    private void Deliver(GoroutinePanic panic)
    {
        Action<GoroutinePanic>? handler = Volatile.Read(ref _panicHandler);
        if (handler is not null)
        {
            handler(panic);
            return;
        }

        Console.Error.Write(panic.Report);
        Console.Error.Flush();
        Environment.Exit(2);
    }
}
