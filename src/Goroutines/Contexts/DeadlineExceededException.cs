// Licensed under the MIT License.

using System;
using System.Threading;

namespace Goroutines.Contexts;

/// <summary>
/// A <see cref="Context"/> is done because its deadline passed (Go's
/// <c>context.DeadlineExceeded</c>, message "context deadline exceeded").
/// </summary>
/// <remarks>
/// Go's <c>DeadlineExceeded</c> reports <c>Timeout() == true</c>; here the type says it. It
/// derives from <see cref="ContextCanceledException"/>, and so from
/// <see cref="OperationCanceledException"/>, rather than from <see cref="TimeoutException"/>: in
/// .NET a timeout that ends an operation through a token (<c>CancelAfter</c>, <c>WaitAsync</c> with
/// a token) surfaces as cancellation, and code that handles cancellation must handle an expired
/// context too. Compare <see cref="Context.Err"/> with <see cref="Context.DeadlineExceeded"/>, or
/// test a caught exception with <c>is DeadlineExceededException</c>. A thrown one whose cause is
/// the deadline itself carries a <see cref="TimeoutException"/> ("context deadline exceeded") as its
/// <see cref="Exception.InnerException"/>, as HttpClient's timeouts do, so .NET code that tells a
/// timeout from a cancellation by <c>InnerException is TimeoutException</c> reads it as a timeout.
/// </remarks>
public sealed class DeadlineExceededException : ContextCanceledException
{
    // The sentinel, Context.DeadlineExceeded.
    internal DeadlineExceededException()
        : base("context deadline exceeded")
    {
    }

    // A thrown instance.
    internal DeadlineExceededException(Exception cause, CancellationToken token)
        : base(Context.DeadlineExceeded, cause, token, new TimeoutException("context deadline exceeded"))
    {
    }
}
