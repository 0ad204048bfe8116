// Licensed under the MIT License.

using System.Threading.Tasks;

using Goroutines.Contexts;

namespace Goroutines.Hosting;

/// <summary>
/// A service that runs as a goroutine for the host's lifetime, registered with
/// <see cref="GoroutineServiceCollectionExtensions.AddGoroutine{TService}"/>: the goroutine of
/// Go's <c>go svc.Run(ctx)</c> in a program's <c>main</c>, with the host as <c>main</c>.
/// </summary>
/// <remarks>
/// The host starts <see cref="RunAsync"/> on a goroutine of its own when it starts, and cancels
/// its context when it stops; it then waits for the method to return, within its shutdown
/// timeout, and logs a warning with the goroutine dump of every goroutine still alive after it.
/// </remarks>
public interface IGoroutineService
{
    /// <summary>Runs the service until <paramref name="context"/> is done.</summary>
    /// <param name="context">Cancelled when the host stops (its <c>Done</c> is closed, its <c>CancellationToken</c> cancelled).</param>
    /// <returns>A task that ends when the service has stopped.</returns>
    /// <remarks>
    /// An exception that escapes is a panic, handled by <see cref="GoroutineRuntimeOptions.PanicPolicy"/>;
    /// an <see cref="System.OperationCanceledException"/> (a <see cref="ContextCanceledException"/>
    /// among them) thrown once <paramref name="context"/> is done counts as returning.
    /// </remarks>
    Task RunAsync(Context context);
}
