// Licensed under the MIT License.

using System;

namespace Goroutines;

/// <summary>
/// A panic with a value (Go's <c>panic(v)</c>), thrown by <see cref="Go.Panic"/>. Catching it is
/// Go's <c>recover()</c>: <see cref="Value"/> is the value passed to <c>panic</c>.
/// </summary>
/// <remarks>
/// Its message is the value as Go's panic report prints it: an exception's message, a string as
/// it is, a number or a bool as Go prints them, a value whose type overrides
/// <see cref="object.ToString"/> as that returns (Go's <c>Stringer</c>), and any other value as
/// its type name in parentheses and an identity (Go prints an address there). So an unrecovered
/// <c>Go.Panic("boom")</c> reports <c>panic: boom</c>, as Go does.
/// </remarks>
public sealed class PanicException : Exception
{
    private string? _message;

    internal PanicException(object value)
        : base(null, value as Exception) => Value = value;

    /// <summary>The value passed to <see cref="Go.Panic"/> (Go's result of <c>recover()</c>).</summary>
    public object Value { get; }

    /// <summary>
    /// The value as Go's panic report prints it, formatted when first asked for (as Go calls a
    /// value's <c>Error</c> or <c>String</c> only to print it), so a recovered panic never runs the
    /// value's <see cref="object.ToString"/>.
    /// </summary>
    public override string Message => _message ??= PanicValues.Format(Value);
}
