// Licensed under the MIT License.

using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Contexts;
using Goroutines.Hosting.Tests.TestSupport;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

using Xunit;

namespace Goroutines.Hosting.Tests;

public sealed class GoroutineHostTests : HostingTest
{
    [Fact]
    public async Task StopAsync_ServicesWatchTheirContext_ContextCancelledAndServicesReturn()
    {
        var probe = new Probe();
        var functionStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var functionSawCancel = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        using IHost host = BuildHost((services, _) => services
            .AddSingleton(probe)
            .AddGoroutine<WaitsForStop>()
            .AddGoroutine(async (ctx, sp) =>
            {
                Assert.NotEqual(0, Go.CurrentGoroutineId);
                functionStarted.TrySetResult();
                await ctx.Done.ReceiveWithOkAsync();
                functionSawCancel.TrySetResult(ctx.Err);
            }));

        await host.StartAsync();
        await Task.WhenAll(probe.Started.Task, functionStarted.Task).WaitAsync(TestTimeouts.Default);
        Assert.False(probe.Returned.Task.IsCompleted);

        await host.StopAsync();

        // StopAsync returned, so both goroutines had returned: their results are set.
        Assert.True(probe.Returned.Task.IsCompletedSuccessfully);
        Assert.Same(Context.Canceled, await probe.Returned.Task);
        Assert.Same(Context.Canceled, await functionSawCancel.Task);
        Assert.DoesNotContain(Logs.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task StopAsync_ServiceThrowsOperationCanceledOnStop_CountsAsReturning()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using IHost host = BuildHost((services, _) => services.AddGoroutine(async (ctx, sp) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
        }));

        await host.StartAsync();
        await started.Task.WaitAsync(TestTimeouts.Default);
        await host.StopAsync();

        Assert.DoesNotContain(Logs.Entries, e => e.Level >= LogLevel.Warning);
        Assert.Equal(0, Environment.ExitCode);
    }

    [Fact]
    public async Task StopAsync_ServiceIgnoresItsContext_TimesOutAndLogsDumpOfTheGoroutineLeftBehind()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using IHost host = BuildHost(
            (services, _) => services.AddGoroutine(async (ctx, sp) =>
            {
                running.TrySetResult(Go.CurrentGoroutineId);
                try
                {
                    await release.Task;   // deaf to ctx
                }
                finally
                {
                    finished.TrySetResult();
                }
            }, name: "deaf"),
            shutdownTimeout: TestTimeouts.ShortShutdown);

        await host.StartAsync();
        long id = await running.Task.WaitAsync(TestTimeouts.Default);
        try
        {
            await host.StopAsync();

            LogEntry warning = Assert.Single(Logs.Entries, e => e.Level == LogLevel.Warning);
            Assert.Equal("GoroutinesLeftBehind", warning.EventId.Name);
            Assert.Equal("Goroutines.Hosting", warning.Category);
            Assert.Contains($"deaf (goroutine {id})", warning.Message, StringComparison.Ordinal);
            Assert.Contains($"goroutine {id} [", warning.Message, StringComparison.Ordinal);
            Assert.Contains("created by ", warning.Message, StringComparison.Ordinal);
            Assert.False(finished.Task.IsCompleted);
        }
        finally
        {
            // Let the goroutine go, so the test leaves nothing behind.
            release.TrySetResult();
            await finished.Task.WaitAsync(TestTimeouts.Default);
        }
    }

    [Fact]
    public async Task Panic_StopHostPolicy_LogsGoReportStopsTheHostAndSetsExitCode2()
    {
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using IHost host = BuildHost((services, _) => services
            .AddGoroutines()
            .AddGoroutine((ctx, sp) => throw new InvalidOperationException("boom")));
        host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(() => stopping.TrySetResult());
        int exitCode = Environment.ExitCode;
        try
        {
            await host.StartAsync();
            await stopping.Task.WaitAsync(TestTimeouts.Default);
            await host.WaitForShutdownAsync().WaitAsync(TestTimeouts.Default);

            LogEntry error = Assert.Single(Logs.Entries, e => e.Level == LogLevel.Error);
            Assert.Equal("GoroutinePanic", error.EventId.Name);
            Assert.StartsWith("panic: ", error.Message, StringComparison.Ordinal);
            Assert.Contains("boom", error.Message.Split('\n')[0], StringComparison.Ordinal);
            Assert.Contains("[running]:", error.Message, StringComparison.Ordinal);
            Assert.IsType<InvalidOperationException>(error.Exception);
            Assert.Equal(2, Environment.ExitCode);
        }
        finally
        {
            Environment.ExitCode = exitCode;
        }
    }

    [Fact]
    public async Task Panic_ExitProcessPolicy_LogsWritesGoReportOnStderrAndExitsWith2()
    {
        ChildOutcome outcome = await ChildProcess.RunAsync(ChildProcess.ExitProcessPanic);

        Assert.False(outcome.TimedOut, $"The process did not end.\n{outcome.StandardOutput}");
        Assert.True(outcome.ExitCode == 2, $"Exit code {outcome.ExitCode}:\n{outcome.StandardOutput}\n{outcome.StandardError}");
        Assert.StartsWith("panic: ", outcome.StandardError, StringComparison.Ordinal);
        Assert.Contains("boom", outcome.StandardError.Split('\n')[0], StringComparison.Ordinal);
        Assert.Contains("[running]:", outcome.StandardError, StringComparison.Ordinal);

        // Logged before the exit (the process-exit handler printed what the host logged), and the
        // host never returned: the exit came from the panic, at once.
        Assert.Contains("Error Goroutines.Hosting[1]: panic: boom", outcome.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(ChildProcess.HostReturned, outcome.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Panic_LogAndContinuePolicy_LogsAndTheHostRunsOn()
    {
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var probe = new Probe();
        using IHost host = BuildHost((services, _) => services
            .AddGoroutines(o => o.PanicPolicy = GoroutinePanicPolicy.LogAndContinue)
            .AddSingleton(probe)
            .AddGoroutine<WaitsForStop>()
            .AddGoroutine((ctx, sp) => throw new InvalidOperationException("boom")));
        host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(() => stopping.TrySetResult());

        await host.StartAsync();
        LogEntry error = await Logs.WaitForAsync(e => e.Level == LogLevel.Error);
        await probe.Started.Task.WaitAsync(TestTimeouts.Default);

        Assert.StartsWith("panic: ", error.Message, StringComparison.Ordinal);
        Assert.False(stopping.Task.IsCompleted);
        Assert.Equal(0, Environment.ExitCode);
        Assert.False(probe.Returned.Task.IsCompleted);

        await host.StopAsync();
        Assert.True(probe.Returned.Task.IsCompleted);
    }

    [Fact]
    public async Task Dispose_AfterStop_PutsBackThePanicHandlerItReplaced()
    {
        Action<GoroutinePanic> mine = _ => { };
        Action<GoroutinePanic>? testHandler = Go.SetPanicHandler(mine);
        try
        {
            using (IHost host = BuildHost((services, _) => services.AddGoroutines()))
            {
                await host.StartAsync();
                Action<GoroutinePanic>? installed = Go.SetPanicHandler(null);
                Go.SetPanicHandler(installed);
                Assert.NotNull(installed);
                Assert.NotSame(mine, installed);
                await host.StopAsync();
            }

            Assert.Same(mine, Go.SetPanicHandler(mine));
        }
        finally
        {
            Go.SetPanicHandler(testHandler);
        }
    }

    /// <summary>Shared between a test and its <see cref="WaitsForStop"/> service.</summary>
    private sealed class Probe
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Set with the context's <see cref="Context.Err"/> when the service returns.</summary>
        public TaskCompletionSource<Exception?> Returned { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class WaitsForStop(Probe probe) : IGoroutineService
    {
        public async Task RunAsync(Context context)
        {
            probe.Started.TrySetResult();
            await context.Done.ReceiveWithOkAsync();
            probe.Returned.TrySetResult(context.Err);
        }
    }
}
