// Licensed under the MIT License.

using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;

using Goroutines.Contexts;

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Goroutines.Hosting;

/// <summary>
/// Adds the goroutine runtime to a generic host: its settings (<see cref="AddGoroutines(IServiceCollection)"/>)
/// and goroutine services that run for the host's lifetime (<see cref="AddGoroutine{TService}"/>).
/// </summary>
/// <remarks>
/// Every method registers, once, a hosted service that applies <see cref="GoroutineRuntimeOptions"/>
/// and installs the panic handler before any hosted service starts, starts the goroutine services
/// when the host starts, and on stop cancels their context and waits for them (see
/// <see cref="IGoroutineService"/>). Calling several of them, or one several times, is safe.
/// </remarks>
public static class GoroutineServiceCollectionExtensions
{
    /// <summary>Adds the goroutine runtime to the host with its default settings.</summary>
    /// <param name="services">The service collection.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is null.</exception>
    public static IServiceCollection AddGoroutines(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<GoroutineRuntimeOptions>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GoroutineRuntimeOptions>, GoroutineRuntimeOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, GoroutineHost>());
        return services;
    }

    /// <summary>Adds the goroutine runtime to the host with settings made in code.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options; runs when the host starts.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <example><c>services.AddGoroutines(o => { o.MaxProcs = 4; o.PanicPolicy = GoroutinePanicPolicy.StopHost; });</c></example>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is null.</exception>
    public static IServiceCollection AddGoroutines(this IServiceCollection services, Action<GoroutineRuntimeOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddGoroutines().Configure(configure);
        return services;
    }

    /// <summary>
    /// Adds the goroutine runtime to the host with settings read from <paramref name="configuration"/>,
    /// a section such as <c>builder.Configuration.GetSection("Goroutines")</c> with the keys
    /// <c>MaxProcs</c>, <c>MaxThreads</c> and <c>PanicPolicy</c> (a <see cref="GoroutinePanicPolicy"/>
    /// name, any case); a missing or empty key keeps its default.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section to read when the host starts.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <remarks>
    /// A value that is not a whole number (<c>MaxProcs</c>, <c>MaxThreads</c>) or a policy's name
    /// makes the host's start throw <see cref="InvalidOperationException"/> naming the key and what
    /// it takes. Settings made in code by a later <see cref="AddGoroutines(IServiceCollection, Action{GoroutineRuntimeOptions})"/>
    /// override those read here, as later configuration does in .NET.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configuration"/> is null.</exception>
    public static IServiceCollection AddGoroutines(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddGoroutines().AddSingleton<IConfigureOptions<GoroutineRuntimeOptions>>(new GoroutineRuntimeOptionsFromConfiguration(configuration));
        return services;
    }

    /// <summary>
    /// Adds <typeparamref name="TService"/> as a goroutine service: a singleton whose
    /// <see cref="IGoroutineService.RunAsync"/> runs on a goroutine of its own from the host's start
    /// to its stop. Adding the same class twice adds it once.
    /// </summary>
    /// <typeparam name="TService">The service; its constructor's parameters come from the container.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is null.</exception>
    public static IServiceCollection AddGoroutine<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TService>(this IServiceCollection services)
        where TService : class, IGoroutineService
    {
        services.AddGoroutines();
        if (services.Any(d => d.ImplementationInstance is GoroutineServiceRegistration { ServiceType: var type } && type == typeof(TService)))
        {
            return services;
        }

        services.TryAddSingleton<TService>();
        services.AddSingleton(new GoroutineServiceRegistration(
            typeof(TService).Name,
            typeof(TService),
            static (context, provider) => provider.GetRequiredService<TService>().RunAsync(context)));
        return services;
    }

    /// <summary>
    /// Adds <paramref name="function"/> as a goroutine service: it runs on a goroutine of its own from
    /// the host's start to its stop, with the host's context and the application's services.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="function">The service's body; its context is cancelled when the host stops.</param>
    /// <param name="name">
    /// The service's name in the host's logs; by default the method's name, or for a lambda
    /// <c>goroutine service N</c>, N counting the functions added so far.
    /// </param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <example>
    /// <code>
    /// services.AddGoroutine(async (ctx, sp) =>
    /// {
    ///     var ticker = new Ticker(TimeSpan.FromSeconds(1));
    ///     ...
    /// });
    /// </code>
    /// </example>
    /// <remarks>See <see cref="IGoroutineService.RunAsync"/> for its context, panics and stop.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="function"/> is null.</exception>
    public static IServiceCollection AddGoroutine(this IServiceCollection services, Func<Context, IServiceProvider, Task> function, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        services.AddGoroutines();
        if (name is null)
        {
            // A lambda's method has a compiler-made name (<Main>b__0_1) that says nothing in a log.
            int functions = services.Count(d => d.ImplementationInstance is GoroutineServiceRegistration { ServiceType: null });
            name = function.Method.Name.Contains('<', StringComparison.Ordinal)
                ? string.Create(CultureInfo.InvariantCulture, $"goroutine service {functions + 1}")
                : function.Method.Name;
        }

        services.AddSingleton(new GoroutineServiceRegistration(name, null, function));
        return services;
    }
}
