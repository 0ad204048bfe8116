// Licensed under the MIT License.

namespace Goroutines.Contexts;

/// <summary>
/// <see cref="Context.Background"/> and <see cref="Context.TODO"/> (Go's <c>emptyCtx</c>): never
/// canceled, no deadline, no values, no parent.
/// </summary>
internal sealed class EmptyContext : Context
{
    private readonly string _name;

    internal EmptyContext(string name)
        : base(parent: null)
    {
        _name = name;
    }

    /// <inheritdoc/>
    private protected override string Segment => _name;
}
