// Licensed under the MIT License.

using System;

namespace Goroutines.Stress;

/// <summary>A property a scenario checks did not hold: the run fails with its message.</summary>
internal sealed class StressFailure(string message) : Exception(message)
{
    /// <summary>Throws unless <paramref name="holds"/>, with <paramref name="message"/>.</summary>
    public static void Check(bool holds, string message)
    {
        if (!holds)
        {
            throw new StressFailure(message);
        }
    }
}
