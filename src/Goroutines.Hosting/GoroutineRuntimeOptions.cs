// Licensed under the MIT License.

namespace Goroutines.Hosting;

/// <summary>
/// The runtime's process-wide settings for a hosted application, applied when the host starts
/// and put back when it is disposed. Set them in code with
/// <see cref="GoroutineServiceCollectionExtensions.AddGoroutines(Microsoft.Extensions.DependencyInjection.IServiceCollection, System.Action{GoroutineRuntimeOptions})"/>
/// or from a configuration section (keys <c>MaxProcs</c>, <c>MaxThreads</c>, <c>PanicPolicy</c>)
/// with <see cref="GoroutineServiceCollectionExtensions.AddGoroutines(Microsoft.Extensions.DependencyInjection.IServiceCollection, Microsoft.Extensions.Configuration.IConfiguration)"/>.
/// </summary>
/// <remarks>
/// Values are checked when the host starts: one out of range makes the host's start throw
/// <see cref="Microsoft.Extensions.Options.OptionsValidationException"/> whose message names the
/// setting and its valid range; a configuration value that is not a number or a policy's name
/// throws <see cref="System.InvalidOperationException"/> naming the key.
/// </remarks>
public sealed class GoroutineRuntimeOptions
{
    /// <summary>The largest GOMAXPROCS the runtime takes (<see cref="Go.SetMaxProcs"/> caps there).</summary>
    public const int MaxProcsLimit = 65_535;

    /// <summary>
    /// GOMAXPROCS: how many goroutines may run at once, 1 to <see cref="MaxProcsLimit"/>; null
    /// (the default) keeps the runtime's own (the <c>GOMAXPROCS</c> environment variable when set,
    /// else the number of CPUs). See <see cref="Go.SetMaxProcs"/>.
    /// </summary>
    public int? MaxProcs { get; set; }

    /// <summary>
    /// The most OS threads the runtime may create, at least 1; null (the default) keeps the
    /// runtime's own (10,000). See <see cref="Go.SetMaxThreads"/>.
    /// </summary>
    public int? MaxThreads { get; set; }

    /// <summary>What a panic does to the host; <see cref="GoroutinePanicPolicy.StopHost"/> by default.</summary>
    public GoroutinePanicPolicy PanicPolicy { get; set; } = GoroutinePanicPolicy.StopHost;
}
