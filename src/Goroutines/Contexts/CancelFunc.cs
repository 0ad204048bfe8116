// Licensed under the MIT License.

namespace Goroutines.Contexts;

/// <summary>
/// Cancels the context it was returned with (Go's <c>context.CancelFunc</c>): the context and every
/// context derived from it become done with <see cref="Context.Canceled"/>.
/// </summary>
/// <remarks>
/// Safe to call from any thread or goroutine, any number of times: only the first call of this or
/// any other cause of cancellation has an effect. It does not wait for the work that watches the
/// context to stop. Call it as soon as the work under the context is finished (in a
/// <c>finally</c>, as Go's <c>defer cancel()</c>): that unregisters the context from its parent and
/// stops its timer. Callbacks registered on the context's
/// <see cref="Context.CancellationToken"/> run on the calling thread before it returns; if any of
/// them throws, it throws <see cref="System.AggregateException"/> after the whole subtree is done,
/// as <see cref="System.Threading.CancellationTokenSource.Cancel()"/> does.
/// </remarks>
public delegate void CancelFunc();
