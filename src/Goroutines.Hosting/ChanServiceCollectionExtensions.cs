// Licensed under the MIT License.

using System;
using System.Linq;

using Microsoft.Extensions.DependencyInjection;

namespace Goroutines.Hosting;

/// <summary>
/// Registers channels for sharing through dependency injection, each inside a
/// <see cref="SharedChan{T}"/> singleton (a container cannot hold the <see cref="Channels.Chan{T}"/>
/// struct itself).
/// </summary>
public static class ChanServiceCollectionExtensions
{
    /// <summary>
    /// Registers the channel of element type <typeparamref name="T"/>: every service that takes a
    /// <see cref="SharedChan{T}"/> gets the same one (Go's <c>make(chan T, capacity)</c> in
    /// <c>main</c>, passed to each goroutine).
    /// </summary>
    /// <typeparam name="T">The type of the channel's elements.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="capacity">The channel's buffer; 0 (the default) for an unbuffered channel.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">
    /// A channel of <typeparamref name="T"/> without a key is registered already: register each of
    /// several channels of one element type with <see cref="AddKeyedChan{T}"/> and a key of its own.
    /// </exception>
    public static IServiceCollection AddChan<T>(this IServiceCollection services, int capacity = 0)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        if (services.Any(d => d.ServiceType == typeof(SharedChan<T>) && !d.IsKeyedService))
        {
            throw new InvalidOperationException(
                $"A channel of {typeof(T).Name} is registered already (AddChan<{typeof(T).Name}>). "
                + $"For several channels of one element type, register each with AddKeyedChan<{typeof(T).Name}>(key, capacity) "
                + "and take it with [FromKeyedServices(key)] SharedChan<T>.");
        }

        return services.AddSingleton(_ => new SharedChan<T>(capacity));
    }

    /// <summary>
    /// Registers a channel of element type <typeparamref name="T"/> under <paramref name="serviceKey"/>,
    /// for applications with several channels of one element type: a service takes it with
    /// <c>[FromKeyedServices("jobs")] SharedChan&lt;T&gt;</c> in its constructor, or
    /// <c>GetRequiredKeyedService&lt;SharedChan&lt;T&gt;&gt;("jobs")</c>.
    /// </summary>
    /// <typeparam name="T">The type of the channel's elements.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="serviceKey">The channel's key, such as a name.</param>
    /// <param name="capacity">The channel's buffer; 0 (the default) for an unbuffered channel.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="serviceKey"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">A channel of <typeparamref name="T"/> is registered under <paramref name="serviceKey"/> already.</exception>
    public static IServiceCollection AddKeyedChan<T>(this IServiceCollection services, object serviceKey, int capacity = 0)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(serviceKey);
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        if (services.Any(d => d.ServiceType == typeof(SharedChan<T>) && d.IsKeyedService && Equals(d.ServiceKey, serviceKey)))
        {
            throw new InvalidOperationException(
                $"A channel of {typeof(T).Name} is registered under the key '{serviceKey}' already; give each channel a key of its own.");
        }

        return services.AddKeyedSingleton(serviceKey, (_, _) => new SharedChan<T>(capacity));
    }
}
