// Licensed under the MIT License.

namespace Goroutines.Contexts;

/// <summary>
/// A context that carries one key-value pair (Go's <c>valueCtx</c>) and shares everything else
/// with its parent: its cancellation and its deadline.
/// </summary>
internal sealed class ValueContext : Context
{
    internal ValueContext(Context parent, object key, object? value)
        : base(parent)
    {
        Key = key;
        Entry = value;
        Canceler = parent.Canceler;
        DeadlineSource = parent.DeadlineSource;
    }

    /// <summary>The key, compared with <see cref="object.Equals(object?)"/>.</summary>
    internal object Key { get; }

    /// <summary>The value carried for <see cref="Key"/>.</summary>
    internal object? Entry { get; }

    /// <inheritdoc/>
    private protected override string Segment => $".WithValue({Describe(Key)}, {Describe(Entry)})";

    // Go prints a Stringer's String, a string as is, and otherwise the type's name; ToString
    // is .NET's Stringer, and its default is the type's name.
    private static string Describe(object? value) => value?.ToString() ?? "<nil>";
}
