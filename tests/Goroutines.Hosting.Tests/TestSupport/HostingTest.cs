// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading;

using Goroutines.Diagnostics;

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

using Xunit;

namespace Goroutines.Hosting.Tests.TestSupport;

/// <summary>
/// Base class of every test here: builds hosts that log into <see cref="Logs"/>, and keeps the
/// runtime's process-wide state from leaking out of the test, as Goroutines.Tests' RuntimeTest does.
/// </summary>
/// <remarks>
/// For the test's duration a panic handler records panics that reach it (none should: a started
/// host installs its own over it, and must put this one back when disposed, which the end of the
/// test checks). At the end: no goroutine the test started is still alive (the runtime's own
/// leak check, <see cref="GoroutineLeaks.VerifyNone"/>, goroutines alive before the test
/// ignored), GOMAXPROCS, the thread limit and <see cref="Environment.ExitCode"/> are back to the
/// values the test found, and no panic reached the test's handler.
/// </remarks>
public abstract class HostingTest : IDisposable
{
    private readonly Lock _lock = new();
    private readonly List<GoroutinePanic> _panics = [];
    private readonly Action<GoroutinePanic> _recordPanic;
    private readonly Action<GoroutinePanic>? _previousHandler;
    private readonly GoroutineLeakOptions _leakOptions;
    private readonly int _maxProcs;
    private readonly int _maxThreads;
    private readonly int _exitCode;
    private bool _disposed;

    /// <summary>Notes the runtime's settings and installs the panic recorder.</summary>
    protected HostingTest()
    {
        _maxProcs = Go.MaxProcs;
        _maxThreads = ReadMaxThreads();
        _exitCode = Environment.ExitCode;
        _leakOptions = new GoroutineLeakOptions { Timeout = TestTimeouts.LeakCheck }.IgnoreCurrent();
        _recordPanic = RecordPanic;
        _previousHandler = Go.SetPanicHandler(_recordPanic);
    }

    /// <summary>Every message the test's hosts logged.</summary>
    protected CapturingLoggerProvider Logs { get; } = new();

    /// <summary>The runtime's thread limit now (read by setting it and putting it back).</summary>
    protected static int ReadMaxThreads()
    {
        int limit = Go.SetMaxThreads(10_000);
        Go.SetMaxThreads(limit);
        return limit;
    }

    /// <summary>
    /// Builds a host with no default sources or providers but <see cref="Logs"/> (at every level)
    /// and, when given, <paramref name="configuration"/> in memory; <paramref name="configure"/>
    /// adds the services.
    /// </summary>
    protected IHost BuildHost(
        Action<IServiceCollection, IConfiguration> configure,
        IReadOnlyDictionary<string, string?>? configuration = null,
        TimeSpan? shutdownTimeout = null)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        if (configuration is not null)
        {
            builder.Configuration.AddInMemoryCollection(configuration);
        }

        builder.Logging.SetMinimumLevel(LogLevel.Trace).AddProvider(Logs);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = shutdownTimeout ?? TestTimeouts.Default);
        configure(builder.Services, builder.Configuration);
        return builder.Build();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Runs the end-of-test checks and restores the runtime's settings.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (_disposed || !disposing)
        {
            return;
        }

        _disposed = true;
        string? leaked = null;
        try
        {
            GoroutineLeaks.VerifyNone(_leakOptions);
        }
        catch (GoroutineLeakException ex)
        {
            leaked = ex.Message;
        }

        int maxProcs = Go.SetMaxProcs(_maxProcs);
        int maxThreads = Go.SetMaxThreads(_maxThreads);
        int exitCode = Environment.ExitCode;
        Environment.ExitCode = _exitCode;
        Action<GoroutinePanic>? handler = leaked is null ? Go.SetPanicHandler(_previousHandler) : _recordPanic;

        Assert.True(leaked is null, $"Goroutines leaked:\n{leaked}");
        Assert.True(ReferenceEquals(handler, _recordPanic), "The host did not put back the panic handler it replaced.");
        Assert.Equal(_maxProcs, maxProcs);
        Assert.Equal(_maxThreads, maxThreads);
        Assert.Equal(_exitCode, exitCode);
        lock (_lock)
        {
            Assert.True(_panics.Count == 0, $"Panics reached the test's handler:\n{string.Join("\n---\n", _panics)}");
        }
    }

    private void RecordPanic(GoroutinePanic panic)
    {
        lock (_lock)
        {
            _panics.Add(panic);
        }
    }
}
