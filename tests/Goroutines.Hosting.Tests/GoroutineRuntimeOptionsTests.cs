// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading.Tasks;

using Goroutines.Hosting.Tests.TestSupport;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

using Xunit;

namespace Goroutines.Hosting.Tests;

public sealed class GoroutineRuntimeOptionsTests : HostingTest
{
    /// <summary>A GOMAXPROCS other than the one the test found, so that applying it shows.</summary>
    private static int OtherMaxProcs => Go.MaxProcs == 1 ? 2 : 1;

    [Fact]
    public async Task AddGoroutines_FromCode_AppliedWhileTheHostLivesAndPutBackAfter()
    {
        int maxProcs = OtherMaxProcs;
        int maxThreads = ReadMaxThreads() + 1;
        using (IHost host = BuildHost((services, _) => services.AddGoroutines(o =>
        {
            o.MaxProcs = maxProcs;
            o.MaxThreads = maxThreads;
            o.PanicPolicy = GoroutinePanicPolicy.LogAndContinue;
        })))
        {
            await host.StartAsync();
            Assert.Equal(maxProcs, Go.MaxProcs);
            Assert.Equal(maxThreads, ReadMaxThreads());
            Assert.Equal(GoroutinePanicPolicy.LogAndContinue, host.Services.GetRequiredService<IOptions<GoroutineRuntimeOptions>>().Value.PanicPolicy);
            await host.StopAsync();
        }

        // HostingTest's end checks that GOMAXPROCS and the thread limit are back.
        Assert.NotEqual(maxThreads, ReadMaxThreads());
    }

    [Fact]
    public async Task AddGoroutines_FromConfiguration_AppliedWhenTheHostStarts()
    {
        int maxProcs = OtherMaxProcs;
        int maxThreads = ReadMaxThreads() + 1;
        var configuration = new Dictionary<string, string?>
        {
            ["Goroutines:MaxProcs"] = maxProcs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Goroutines:MaxThreads"] = $" {maxThreads} ",
            ["Goroutines:PanicPolicy"] = "logAndContinue",
        };
        using IHost host = BuildHost((services, config) => services.AddGoroutines(config.GetSection("Goroutines")), configuration);

        Assert.NotEqual(maxProcs, Go.MaxProcs);
        await host.StartAsync();
        Assert.Equal(maxProcs, Go.MaxProcs);
        Assert.Equal(maxThreads, ReadMaxThreads());
        Assert.Equal(GoroutinePanicPolicy.LogAndContinue, host.Services.GetRequiredService<IOptions<GoroutineRuntimeOptions>>().Value.PanicPolicy);
        await host.StopAsync();
    }

    [Fact]
    public async Task AddGoroutines_ConfigurationThenCode_CodeWins()
    {
        var configuration = new Dictionary<string, string?> { ["Goroutines:PanicPolicy"] = "LogAndContinue", ["Goroutines:MaxProcs"] = "" };
        using IHost host = BuildHost(
            (services, config) => services
                .AddGoroutines(config.GetSection("Goroutines"))
                .AddGoroutines(o => o.PanicPolicy = GoroutinePanicPolicy.StopHost),
            configuration);

        await host.StartAsync();
        GoroutineRuntimeOptions options = host.Services.GetRequiredService<IOptions<GoroutineRuntimeOptions>>().Value;
        Assert.Equal(GoroutinePanicPolicy.StopHost, options.PanicPolicy);
        Assert.Null(options.MaxProcs);
        await host.StopAsync();
    }

    [Theory]
    [InlineData(0, null, "MaxProcs is 0", "from 1 to 65535")]
    [InlineData(65_536, null, "MaxProcs is 65536", "from 1 to 65535")]
    [InlineData(null, 0, "MaxThreads is 0", "1 or more")]
    [InlineData(null, null, "PanicPolicy is 7", "StopHost, ExitProcess, LogAndContinue")]
    public async Task StartAsync_OptionOutOfRange_ThrowsOptionsValidationExceptionSayingWhatToSet(int? maxProcs, int? maxThreads, string what, string fix)
    {
        int before = Go.MaxProcs;
        using IHost host = BuildHost((services, _) => services.AddGoroutines(o =>
        {
            o.MaxProcs = maxProcs;
            o.MaxThreads = maxThreads;
            o.PanicPolicy = maxProcs is null && maxThreads is null ? (GoroutinePanicPolicy)7 : GoroutinePanicPolicy.StopHost;
        }));

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(what, error.Message, StringComparison.Ordinal);
        Assert.Contains(fix, error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Go.MaxProcs);
    }

    [Theory]
    [InlineData("MaxProcs", "four", "'Goroutines:MaxProcs' is 'four', which is not a whole number")]
    [InlineData("MaxThreads", "1e3", "'Goroutines:MaxThreads' is '1e3', which is not a whole number")]
    [InlineData("PanicPolicy", "Crash", "one of StopHost, ExitProcess, LogAndContinue")]
    [InlineData("PanicPolicy", "1", "'Goroutines:PanicPolicy' is '1', which is not a panic policy")]
    public async Task StartAsync_ConfigurationValueMalformed_ThrowsInvalidOperationExceptionNamingTheKey(string key, string value, string expected)
    {
        var configuration = new Dictionary<string, string?> { [$"Goroutines:{key}"] = value };
        using IHost host = BuildHost((services, config) => services.AddGoroutines(config.GetSection("Goroutines")), configuration);

        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddGoroutines_NullArguments_Throw()
    {
        var services = new ServiceCollection();
        Assert.Throws<ArgumentNullException>(() => services.AddGoroutines((Action<GoroutineRuntimeOptions>)null!));
        Assert.Throws<ArgumentNullException>(() => services.AddGoroutines((Microsoft.Extensions.Configuration.IConfiguration)null!));
        Assert.Throws<ArgumentNullException>(() => ((IServiceCollection)null!).AddGoroutines());
    }
}
