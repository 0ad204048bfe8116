// Licensed under the MIT License.

using System;
using System.Threading;

namespace Goroutines.Contexts;

/// <summary>
/// Why a <see cref="Context"/> is done: it was canceled (<see cref="Context.Canceled"/>, message
/// "context canceled"), or its deadline passed (<see cref="DeadlineExceededException"/>).
/// </summary>
/// <remarks>
/// <para>
/// Two kinds of instance exist. The sentinels <see cref="Context.Canceled"/> and
/// <see cref="Context.DeadlineExceeded"/> are values, as Go's errors are: <see cref="Context.Err"/>
/// returns one of them, and code compares by reference (<c>ctx.Err == Context.Canceled</c>). They
/// are never thrown, because one shared instance thrown from many places would have its stack
/// trace overwritten by each throw. The exceptions that are thrown
/// (<see cref="Context.ThrowIfDone"/>, an acquisition given a context that ends) are new instances
/// of the same types, which name their sentinel in <see cref="Err"/> and carry the cause and the
/// context's <see cref="OperationCanceledException.CancellationToken"/>.
/// </para>
/// <para>
/// It derives from <see cref="OperationCanceledException"/>, so .NET code that handles
/// cancellation (<c>catch (OperationCanceledException)</c>) handles a done context too.
/// </para>
/// </remarks>
public class ContextCanceledException : OperationCanceledException
{
    private readonly ContextCanceledException? _err;   // null on a sentinel: it is its own
    private readonly Exception? _cause;                // null on a sentinel: its cause is itself

    // A sentinel.
    private protected ContextCanceledException(string message)
        : base(message)
    {
    }

    // A thrown instance standing for the sentinel err; innerWithoutCause is its inner exception
    // when the cause is err itself.
    private protected ContextCanceledException(ContextCanceledException err, Exception cause, CancellationToken token, Exception? innerWithoutCause = null)
        : base(Describe(err, cause), ReferenceEquals(cause, err) ? innerWithoutCause : cause, token)
    {
        _err = err;
        _cause = cause;
    }

    /// <summary>
    /// The sentinel this exception stands for, to compare by reference:
    /// <see cref="Context.Canceled"/> or <see cref="Context.DeadlineExceeded"/> (a sentinel returns itself).
    /// </summary>
    public ContextCanceledException Err => _err ?? this;

    /// <summary>
    /// Why the context was canceled (Go's <c>context.Cause</c>): the exception given to a
    /// <see cref="CancelCauseFunc"/> or a deadline's cause, else <see cref="Err"/>. When it is not
    /// <see cref="Err"/> it is also the <see cref="Exception.InnerException"/>.
    /// </summary>
    public Exception Cause => _cause ?? Err;

    /// <summary>Creates the exception to throw for a context done with <paramref name="err"/> and <paramref name="cause"/>.</summary>
    internal static ContextCanceledException Create(ContextCanceledException err, Exception cause, CancellationToken token) =>
        ReferenceEquals(err, Context.DeadlineExceeded)
            ? new DeadlineExceededException(cause, token)
            : new ContextCanceledException(err, cause, token);

    internal static ContextCanceledException CreateSentinel(string message) => new(message);

    // Go's convention for an error that wraps another: "context canceled: <cause>".
    private static string Describe(ContextCanceledException err, Exception cause) =>
        ReferenceEquals(cause, err) ? err.Message : $"{err.Message}: {cause.Message}";
}
