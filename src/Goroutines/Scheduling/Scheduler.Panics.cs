// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Threading;

using Goroutines.Diagnostics;

namespace Goroutines.Scheduling;

// Panics and fatal errors. An exception that escapes a goroutine is a panic: it is
// never lost. By default the runtime prints Go's report on stderr and ends the
// process with exit code 2, as Go does; a program or a test may install a handler
// instead (Go.SetPanicHandler), and then the runtime goes on. A handler that throws
// ends the process as if there were none, its failure in the report (Go has no
// handler; a runtime that went on would have lost the panic).
//
// The reports keep Go's shape, so that tools and eyes that read Go's find their lines:
//   panic: <the value as Go prints it: an exception's message; further lines after a tab>
//   <blank>
//   goroutine N [running]:
//   <the .NET exception: its type, message and stack trace, where Go prints frames>
//   created by <the spawning member> in goroutine M
//   <TAB><file>:<line>
// and a fatal error of the runtime:
//   fatal error: <message>
//   <blank>
//   [<detail, such as Go's "runtime: program exceeds N-thread limit">, a blank line]
//   goroutine N [running]:      (or "runtime stack:" outside a goroutine)
//   <the stack of the call that found the error>
internal sealed partial class Scheduler
{
    private Action<GoroutinePanic>? _panicHandler;

    /// <summary>Installs a panic handler (null restores the default) and returns the previous one.</summary>
    public Action<GoroutinePanic>? SetPanicHandler(Action<GoroutinePanic>? handler) =>
        Interlocked.Exchange(ref _panicHandler, handler);

    private void ReportPanic(Goroutine g, Exception exception)
    {
        string message = $"panic: {PanicValues.Indent(PanicValues.Read(exception, static e => e.Message))}";
        var report = new StringBuilder();
        report.Append(message).Append("\n\n");
        report.Append(CultureInfo.InvariantCulture, $"goroutine {g.Id} [running]:\n");
        report.Append(PanicValues.Read(exception, static e => e.ToString())).Append('\n');
        GoroutineDumpText.AppendCreatedBy(report, CreationSites.Of(g), g.ParentId);
        Deliver(new GoroutinePanic(exception, g.Id, message, report.ToString(), isFatal: false));
    }

    /// <summary>
    /// Reports a runtime fatal error (Go's <c>fatal error: ...</c>), which no recover could catch,
    /// with the stack of the calling code and, if given, a <paramref name="detail"/> line after
    /// the first. Returns only if a panic handler is installed.
    /// </summary>
    internal void Fatal(string message, string? detail = null)
    {
        var report = new StringBuilder();
        report.Append("fatal error: ").Append(message).Append("\n\n");
        if (detail is not null)
        {
            report.Append(detail).Append("\n\n");
        }

        Goroutine? g = Goroutine.Running;
        report.Append(g is null ? "runtime stack:\n" : string.Create(CultureInfo.InvariantCulture, $"goroutine {g.Id} [running]:\n"));
        report.Append(new StackTrace(1, fNeedFileInfo: true));
        if (g is not null)
        {
            GoroutineDumpText.AppendCreatedBy(report, CreationSites.Of(g), g.ParentId);
        }

        DeliverFatal(message, report.ToString());
    }

    /// <summary>
    /// Reports a runtime fatal error whose report is Go's <c>fatal error: ...</c> line, a blank line
    /// and <paramref name="dump"/>, the goroutines it concerns (Go's checkdead and its traceback);
    /// the line alone when there are none.
    /// Returns only if a panic handler is installed.
    /// </summary>
    internal void FatalWithDump(string message, string dump) =>
        DeliverFatal(message, dump.Length == 0 ? $"fatal error: {message}\n" : $"fatal error: {message}\n\n{dump}");

    private void DeliverFatal(string message, string report) =>
        Deliver(new GoroutinePanic(null, Goroutine.Running?.Id ?? 0, $"fatal error: {message}", report, isFatal: true));

    private void Deliver(GoroutinePanic panic)
    {
        Action<GoroutinePanic>? handler = Volatile.Read(ref _panicHandler);
        if (handler is null)
        {
            Exit(panic.Report);
        }

        try
        {
            handler(panic);
        }
#pragma warning disable CA1031 // A handler that throws has lost the panic it was given: both end the process.
        catch (Exception handlerError)
#pragma warning restore CA1031
        {
            Exit(WithHandlerFailure(panic.Report, handlerError));
        }
    }

    // A panic handler that throws cannot be trusted with the panic, and the runtime cannot tell
    // what it left half done: the process ends as it would without a handler, and the report
    // shows both, the handler's failure nested under the first line as Go nests a panic raised
    // while panicking.
    private static string WithHandlerFailure(string report, Exception handlerError)
    {
        int firstLine = report.IndexOf('\n', StringComparison.Ordinal);
        string head = firstLine < 0 ? report : report[..firstLine];
        string rest = firstLine < 0 ? "\n" : report[firstLine..];
        string failure = PanicValues.Indent(PanicValues.Read(handlerError, static e => e.Message));
        return $"{head}\n\tpanic: {failure} [in the panic handler]{rest.TrimEnd('\n')}\n\nthe panic handler threw:\n{PanicValues.Read(handlerError, static e => e.ToString())}\n";
    }

    [DoesNotReturn]
    private static void Exit(string report)
    {
        Console.Error.Write(report);
        Console.Error.Flush();
        Environment.Exit(2);
    }
}
