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
/// test a caught exception with <c>is DeadlineExceededException</c>.
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
        : base(Context.DeadlineExceeded, cause, token)
    {
    }
}
