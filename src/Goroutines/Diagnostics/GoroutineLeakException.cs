// Licensed under the MIT License.

using System;
using System.Collections.Generic;

namespace Goroutines.Diagnostics;

/// <summary>
/// Thrown by <see cref="GoroutineLeaks.VerifyNone"/> when goroutines outlive the code that
/// started them. The message holds their dump.
/// </summary>
public sealed class GoroutineLeakException : Exception
{
    /// <summary>Creates the exception for <paramref name="goroutines"/>, with their dump as the message.</summary>
    /// <param name="goroutines">The goroutines found alive.</param>
    public GoroutineLeakException(IReadOnlyList<GoroutineInfo> goroutines)
        : base(Describe(goroutines)) => Goroutines = goroutines ?? throw new ArgumentNullException(nameof(goroutines));

    /// <summary>The goroutines that were still alive; those no code could ever wake have <see cref="GoroutineInfo.IsLeaked"/> set.</summary>
    public IReadOnlyList<GoroutineInfo> Goroutines { get; }

    private static string Describe(IReadOnlyList<GoroutineInfo> goroutines)
    {
        ArgumentNullException.ThrowIfNull(goroutines);
        return $"found unexpected goroutines:\n{GoroutineDumpText.Full(goroutines)}";
    }
}
