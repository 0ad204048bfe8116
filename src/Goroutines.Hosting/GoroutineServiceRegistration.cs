// Licensed under the MIT License.

using System;
using System.Threading.Tasks;

using Goroutines.Contexts;

namespace Goroutines.Hosting;

/// <summary>
/// One goroutine service as registered: its name (for logs) and how to run it. Registered as a
/// singleton per service; the <see cref="GoroutineHost"/> takes them all.
/// </summary>
internal sealed class GoroutineServiceRegistration(string name, Type? serviceType, Func<Context, IServiceProvider, Task> run)
{
    /// <summary>The service's name in logs: its class's, or the registered function's method.</summary>
    public string Name { get; } = name;

    /// <summary>The class registered with <c>AddGoroutine&lt;TService&gt;</c>, or null for a function.</summary>
    public Type? ServiceType { get; } = serviceType;

    /// <summary>Runs the service under the host's context, resolving what it needs from the provider.</summary>
    public Func<Context, IServiceProvider, Task> Run { get; } = run;
}
