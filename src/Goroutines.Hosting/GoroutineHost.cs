// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Contexts;
using Goroutines.Diagnostics;

using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Goroutines.Hosting;

// GoroutineHost: the goroutine runtime's hosted service, the host's `func main`.
//
// What it owns: the runtime's process-wide settings while the host lives (GOMAXPROCS, the
// thread limit, the panic handler), the root context of the goroutine services, and their
// goroutines from start to stop.
//
// Protocol, in the host's order:
//  1. StartingAsync (before any hosted service's StartAsync, IHostedLifecycleService):
//     read the options (validation throws here, failing the host's start), apply them, and
//     install the panic handler, remembering what each replaced.
//  2. StartAsync: note the goroutines already alive, make the root context
//     (Context.WithCancel(Background)), and start one goroutine per registered service.
//     Each sets its Stopped task when its function returns or throws.
//  3. A panic, on the panicking goroutine's thread: log Go's report as an error, then act
//     on the policy. StopHost sets Environment.ExitCode to 2 and calls StopApplication, so
//     the host stops as on Ctrl+C; the process ends when Main returns, not under it.
//  4. StopAsync: cancel the root context, then wait for every Stopped task or for the
//     host's stopping token (its shutdown timeout), whichever comes first. On the timeout,
//     log a warning with the dump of every goroutine started since step 2 that is alive.
//  5. Dispose (the host's disposal): cancel the context if 4 never ran, and put back the
//     panic handler and the settings of step 1.
//
// Why the panic handler stays installed until Dispose, not just until StopAsync returns: a
// goroutine left behind by step 4 may still panic, and the runtime's default handler would
// end the process while the host is still shutting down.
//
// Rejected: a BackgroundService per goroutine service. Its ExecuteAsync runs on the thread
// pool, not as a goroutine, and an exception it throws is the host's
// BackgroundServiceExceptionBehavior's, not a panic with Go's report; and the host would
// not know which goroutines were left behind.
//
// Invariants:
// - The panic handler is installed only after the options were applied, and is this
//   instance's OnPanic delegate (_panicHandler), so Dispose can tell whether it is still
//   the one installed and leaves a later one alone.
// - A goroutine service's Stopped task completes exactly once, when its goroutine is done
//   with the service's function; it never faults (a panic goes to the handler instead).

/// <summary>
/// The hosted service that applies <see cref="GoroutineRuntimeOptions"/>, handles panics, and runs
/// the goroutine services for the host's lifetime. One per service provider.
/// </summary>
internal sealed class GoroutineHost : IHostedLifecycleService, IDisposable
{
    /// <summary>Go's exit code for a panic or fatal error.</summary>
    private const int PanicExitCode = 2;

    private readonly IOptions<GoroutineRuntimeOptions> _options;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly IServiceProvider _provider;
    private readonly GoroutineServiceRegistration[] _registrations;
    private readonly ILogger _logger;
    private readonly Action<GoroutinePanic> _panicHandler;

    /// <summary>Written by StartingAsync before the handler is installed (SetPanicHandler publishes it); read by OnPanic.</summary>
    private GoroutinePanicPolicy _policy;

    // What StartingAsync replaced, for Dispose. Host methods only; the host calls them one at a time.
    private bool _handlerInstalled;
    private Action<GoroutinePanic>? _previousHandler;
    private int? _previousMaxProcs;
    private int? _previousMaxThreads;

    // Written by StartAsync, read by StopAsync and Dispose (the host orders them).
    private HashSet<long> _aliveBeforeStart = [];
    private CancelFunc? _cancel;
    private RunningService[] _running = [];
    private bool _disposed;

    public GoroutineHost(
        IOptions<GoroutineRuntimeOptions> options,
        IHostApplicationLifetime lifetime,
        IServiceProvider provider,
        IEnumerable<GoroutineServiceRegistration> registrations,
        ILoggerFactory loggerFactory)
    {
        _options = options;
        _lifetime = lifetime;
        _provider = provider;
        _registrations = [.. registrations];
        _logger = loggerFactory.CreateLogger(HostingLog.Category);
        _panicHandler = OnPanic;
    }

    /// <summary>Step 1: applies the options and installs the panic handler.</summary>
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        GoroutineRuntimeOptions options = _options.Value;
        if (options.MaxThreads is { } maxThreads)
        {
            int previous = Go.SetMaxThreads(maxThreads);
            _previousMaxThreads ??= previous;
        }

        if (options.MaxProcs is { } maxProcs)
        {
            int previous = Go.SetMaxProcs(maxProcs);
            _previousMaxProcs ??= previous;
        }

        _policy = options.PanicPolicy;
        if (!_handlerInstalled)
        {
            _previousHandler = Go.SetPanicHandler(_panicHandler);
            _handlerInstalled = true;
        }

        return Task.CompletedTask;
    }

    /// <summary>Step 2: starts a goroutine per goroutine service.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _aliveBeforeStart = [.. GoroutineDump.Capture().Goroutines.Select(g => g.Id)];
        (Context context, CancelFunc cancel) = Context.WithCancel(Context.Background);
        _cancel = cancel;
        _running = [.. _registrations.Select(r => new RunningService(r))];
        foreach (RunningService service in _running)
        {
            // Named in full: dumps and panic reports show it as the goroutine's "created by".
            Go.Run(RunServiceAsync, service, context, member: "Goroutines.Hosting.GoroutineHost.StartAsync");
        }

        HostingLog.Started(_logger, _running.Length, Go.MaxProcs);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Step 4: cancels the services' context and waits for them, within the host's shutdown timeout.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _cancel?.Invoke();
        Task stopped = Task.WhenAll(_running.Select(s => s.Stopped.Task));
        try
        {
            await stopped.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            ReportLeftBehind();
        }
    }

    /// <inheritdoc/>
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Step 5: puts back the panic handler and the settings the host replaced.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _cancel?.Invoke();
        if (_handlerInstalled)
        {
            Action<GoroutinePanic>? current = Go.SetPanicHandler(_previousHandler);
            if (!ReferenceEquals(current, _panicHandler))
            {
                // Someone installed a handler after the host's: theirs stays.
                Go.SetPanicHandler(current);
            }

            _handlerInstalled = false;
        }

        if (_previousMaxProcs is { } maxProcs)
        {
            Go.SetMaxProcs(maxProcs);
        }

        if (_previousMaxThreads is { } maxThreads)
        {
            Go.SetMaxThreads(maxThreads);
        }
    }

    /// <summary>A service's goroutine: runs it, and sets its Stopped task however it ends.</summary>
    private async Task RunServiceAsync(RunningService service, Context context)
    {
        Volatile.Write(ref service.GoroutineId, Go.CurrentGoroutineId);
        try
        {
            await service.Registration.Run(context, _provider);
        }
        catch (OperationCanceledException) when (context.Err is not null)
        {
            // Stopping by throwing once the context is done, as .NET code does when its token is
            // cancelled, is stopping: not a panic.
        }
        finally
        {
            service.Stopped.TrySetResult();
        }
    }

    /// <summary>Step 3: the panic handler. Runs on the panicking goroutine's thread.</summary>
    private void OnPanic(GoroutinePanic panic)
    {
        HostingLog.Panic(_logger, panic.Exception, panic.Report);
        switch (_policy)
        {
            case GoroutinePanicPolicy.ExitProcess:
                Console.Error.Write(panic.Report);
                Console.Error.Flush();
                Environment.Exit(PanicExitCode);
                break;
            case GoroutinePanicPolicy.LogAndContinue when !panic.IsFatal:
                break;
            default:
                Environment.ExitCode = PanicExitCode;
                HostingLog.StoppingOnPanic(_logger);
                _lifetime.StopApplication();
                break;
        }
    }

    private void ReportLeftBehind()
    {
        string services = string.Join(", ", _running
            .Where(s => !s.Stopped.Task.IsCompleted)
            .Select(s => Volatile.Read(ref s.GoroutineId) is var id and not 0 ? $"{s.Registration.Name} (goroutine {id})" : s.Registration.Name));
        GoroutineDump leftBehind = GoroutineDump.Capture().Where(g => !_aliveBeforeStart.Contains(g.Id));
        HostingLog.LeftBehind(_logger, services, leftBehind.Goroutines.Count, leftBehind.ToString());
    }

    /// <summary>A goroutine service while it runs.</summary>
    private sealed class RunningService(GoroutineServiceRegistration registration)
    {
        public GoroutineServiceRegistration Registration { get; } = registration;

        /// <summary>Completed once the service's function has returned or thrown (RunServiceAsync's finally).</summary>
        public TaskCompletionSource Stopped { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The service's goroutine; written by that goroutine as it starts, read by ReportLeftBehind (Volatile on both sides); 0 before.</summary>
        public long GoroutineId;
    }
}
