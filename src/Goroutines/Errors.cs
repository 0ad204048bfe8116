// Licensed under the MIT License.

using System;
using System.Diagnostics.CodeAnalysis;

using Goroutines.Contexts;

namespace Goroutines;

/// <summary>
/// Go's <c>errors.Is</c> and <c>errors.As</c> over .NET exceptions: they look through wrapping,
/// which in .NET is <see cref="Exception.InnerException"/> and the inner exceptions of an
/// <see cref="AggregateException"/>, as Go's look through <c>Unwrap</c>.
/// </summary>
/// <example>
/// <code>
/// catch (Exception e) when (Errors.Is(e, Context.DeadlineExceeded)) { ... }   // errors.Is(err, context.DeadlineExceeded)
/// </code>
/// </example>
public static class Errors
{
    /// <summary>
    /// Whether <paramref name="error"/> or any exception it wraps is <paramref name="target"/>
    /// (Go's <c>errors.Is(err, target)</c>): the same instance, or an exception that stands for
    /// that sentinel (a thrown <see cref="ContextCanceledException"/> whose
    /// <see cref="ContextCanceledException.Err"/> is <see cref="Context.Canceled"/> or
    /// <see cref="Context.DeadlineExceeded"/>).
    /// </summary>
    /// <param name="error">The exception to look through; null gives false.</param>
    /// <param name="target">The sentinel to look for.</param>
    /// <returns>True if found.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="target"/> is null.</exception>
    public static bool Is(Exception? error, Exception target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return Find(error, e => ReferenceEquals(e, target) || (e is ContextCanceledException canceled && ReferenceEquals(canceled.Err, target))) is not null;
    }

    /// <summary>
    /// Finds the first exception of type <typeparamref name="T"/> in <paramref name="error"/> and
    /// what it wraps (Go's <c>errors.As(err, &amp;target)</c>).
    /// </summary>
    /// <typeparam name="T">The exception type to look for.</typeparam>
    /// <param name="error">The exception to look through; null gives false.</param>
    /// <param name="match">The exception found, or null.</param>
    /// <returns>True if found.</returns>
    public static bool As<T>(Exception? error, [NotNullWhen(true)] out T? match)
        where T : Exception
    {
        match = Find(error, static e => e is T) as T;
        return match is not null;
    }

    // Depth first, the exception before what it wraps, as Go's Unwrap chains and trees are walked.
    private static Exception? Find(Exception? error, Func<Exception, bool> matches)
    {
        if (error is null)
        {
            return null;
        }

        if (matches(error))
        {
            return error;
        }

        if (error is AggregateException aggregate)
        {
            foreach (Exception inner in aggregate.InnerExceptions)
            {
                if (Find(inner, matches) is { } found)
                {
                    return found;
                }
            }

            return null;
        }

        return Find(error.InnerException, matches);
    }
}
