// Licensed under the MIT License.

using System;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Goroutines;

// PanicValues: a panic's value as Go's runtime prints it after "panic: " (Go's
// printpanicval): an error by its message, a string as it is, a bool or a number in
// the runtime's own print format (a float as +1.500000e+000, a rune as its number), a
// Stringer by its String(), anything else as "(type) address". The .NET stand-ins: an
// Exception is an error, a type that overrides ToString is a Stringer, a char is a
// rune, and the identity hash code stands where Go prints an address.
internal static class PanicValues
{
    // Go's runtime prints a float with this many significant digits.
    private const int FloatDigits = 7;

    /// <summary>
    /// The text Go's panic report prints for <paramref name="value"/>; if the value's own text
    /// throws (its <c>Message</c> or <c>ToString</c>), what Go prints for a value it cannot print:
    /// the type, and what went wrong.
    /// </summary>
    public static string Format(object value) => Read(value, FormatValue);

    /// <summary>
    /// <paramref name="read"/> of <paramref name="value"/> (a value's text, an exception's message
    /// or whole text) for a report; if that throws, the type and what went wrong, so that the
    /// report always comes out.
    /// </summary>
    public static string Read<T>(T value, Func<T, string> read)
        where T : notnull
    {
        try
        {
            return read(value);
        }
#pragma warning disable CA1031 // A panic's report must come out whatever a value's ToString or an exception's Message does.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return string.Create(CultureInfo.InvariantCulture, $"({value.GetType().FullName}) [its text threw {e.GetType().FullName}: {e.Message}]");
        }
    }

    /// <summary>
    /// Go's <c>printindented</c>: the lines of a multi-line panic value after the first are
    /// indented by a tab, so that they cannot be mistaken for the report's own lines.
    /// </summary>
    public static string Indent(string text) => text.Contains('\n', StringComparison.Ordinal) ? text.Replace("\n", "\n\t", StringComparison.Ordinal) : text;

    private static string FormatValue(object value) => value switch
    {
        Exception error => error.Message,
        string text => text,
        bool flag => flag ? "true" : "false",
        sbyte or byte or short or ushort or int or uint or long or ulong or nint or nuint => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        char rune => ((int)rune).ToString(CultureInfo.InvariantCulture),
        float number => FormatFloat(number),
        double number => FormatFloat(number),
        _ => FormatOther(value),
    };

    // The runtime's float format: sign, one digit, a point, six digits, 'e', the exponent's sign
    // and three digits. Normalized and rounded by repeated scaling, as Go's runtime does, so the
    // digits match Go's to the last one.
    private static string FormatFloat(double value)
    {
        if (double.IsNaN(value))
        {
            return "NaN";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "+Inf" : "-Inf";
        }

        char sign = value < 0 || double.IsNegative(value) ? '-' : '+';
        double mantissa = Math.Abs(value);
        int exponent = 0;
        if (mantissa != 0)
        {
            while (mantissa >= 10)
            {
                exponent++;
                mantissa /= 10;
            }

            while (mantissa < 1)
            {
                exponent--;
                mantissa *= 10;
            }

            double half = 5;
            for (int i = 0; i < FloatDigits; i++)
            {
                half /= 10;
            }

            mantissa += half;
            if (mantissa >= 10)
            {
                exponent++;
                mantissa /= 10;
            }
        }

        var text = new StringBuilder(FloatDigits + 7);
        text.Append(sign);
        for (int i = 0; i < FloatDigits; i++)
        {
            int digit = (int)mantissa;
            text.Append((char)('0' + digit));
            if (i == 0)
            {
                text.Append('.');
            }

            mantissa = (mantissa - digit) * 10;
        }

        text.Append('e').Append(exponent < 0 ? '-' : '+');
        text.Append(Math.Abs(exponent).ToString("000", CultureInfo.InvariantCulture));
        return text.ToString();
    }

    private static string FormatOther(object value)
    {
        Type type = value.GetType();
        string? text = value.ToString();
        if (text is not null && text != type.ToString())
        {
            return text; // ToString is overridden: Go's Stringer
        }

        return string.Create(CultureInfo.InvariantCulture, $"({type.FullName ?? type.Name}) 0x{RuntimeHelpers.GetHashCode(value):x}");
    }
}
