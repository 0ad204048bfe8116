// Licensed under the MIT License.

namespace Goroutines.Contexts;

/// <summary>
/// A context that keeps its parent's values but not its cancellation or deadline (Go's
/// <c>withoutCancelCtx</c>): never done. It ends the chain along which cancellation propagates.
/// </summary>
internal sealed class WithoutCancelContext : Context
{
    internal WithoutCancelContext(Context parent)
        : base(parent)
    {
        // Canceler and DeadlineSource stay null: never done, no deadline.
    }

    /// <inheritdoc/>
    private protected override string Segment => ".WithoutCancel";
}
