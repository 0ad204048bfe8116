// Licensed under the MIT License.

using System;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Goroutines.Contexts;

// Context.With: the functions that derive a context from a parent, and AfterFunc.
// Each returns the derived context (and its cancel function) already attached to
// the parent: if the parent is done, so is the child when the call returns.

public abstract partial class Context
{
    private const string NilParent = "cannot create context from nil parent; pass Context.Background (or Context.TODO) as the root";

    /// <summary>
    /// Derives a context that is canceled when <paramref name="parent"/> is, or when the returned
    /// cancel function is called, whichever comes first (Go's <c>context.WithCancel</c>).
    /// </summary>
    /// <param name="parent">The parent context.</param>
    /// <returns>The context and its cancel function; deconstruct with <c>var (ctx, cancel) = ...</c>.</returns>
    /// <remarks>
    /// Call the cancel function as soon as the work under the context is done (in a <c>finally</c>,
    /// Go's <c>defer cancel()</c>): until then the parent keeps a reference to the child. If the
    /// parent is done already, the child is done on return, with the parent's
    /// <see cref="Err"/> and <see cref="Cause"/>.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="parent"/> is null (Go's panic "cannot create context from nil parent").</exception>
    public static (Context Context, CancelFunc Cancel) WithCancel(Context parent)
    {
        CancelContext context = CancelContext.Start(CheckParent(parent));
        return (context, context.CancelByCaller);
    }

    /// <summary>
    /// As <see cref="WithCancel"/>, but the cancel function takes the cause that
    /// <see cref="Cause"/> reports (Go's <c>context.WithCancelCause</c>); <see cref="Err"/> is
    /// <see cref="Canceled"/> all the same.
    /// </summary>
    /// <inheritdoc cref="WithCancel" path="/param"/>
    /// <inheritdoc cref="WithCancel" path="/exception"/>
    /// <returns>The context and its cancel function; a null cause records <see cref="Canceled"/>.</returns>
    public static (Context Context, CancelCauseFunc Cancel) WithCancelCause(Context parent)
    {
        CancelContext context = CancelContext.Start(CheckParent(parent));
        return (context, context.CancelByCallerWithCause);
    }

    /// <summary>
    /// Derives a context that carries <paramref name="value"/> for <paramref name="key"/> and shares
    /// its parent's cancellation and deadline (Go's <c>context.WithValue</c>). A nearer value for an
    /// equal key shadows those above it.
    /// </summary>
    /// <param name="parent">The parent context.</param>
    /// <param name="key">The key; see <see cref="Value"/> for how to choose one.</param>
    /// <param name="value">The value, which may be null.</param>
    /// <returns>The derived context.</returns>
    /// <remarks>For request-scoped data that crosses APIs and goroutines, not for optional parameters.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="parent"/> or <paramref name="key"/> is null (Go's panics "cannot create context from nil parent" and "nil key").</exception>
    public static Context WithValue(Context parent, object key, object? value)
    {
        CheckParent(parent);
        if (key is null)
        {
            throw new ArgumentNullException(nameof(key), "nil key; use a private, non-null object (or a value of a private type) as the key");
        }

        return new ValueContext(parent, key, value);
    }

    /// <summary>
    /// Derives a context that keeps its parent's values but is never canceled and has no deadline
    /// (Go's <c>context.WithoutCancel</c>): for work that must outlive the request that started it.
    /// </summary>
    /// <param name="parent">The parent context.</param>
    /// <returns>The derived context.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="parent"/> is null.</exception>
    public static Context WithoutCancel(Context parent) => new WithoutCancelContext(CheckParent(parent));

    /// <summary>
    /// Derives a context that is canceled when <paramref name="token"/> is, when
    /// <paramref name="parent"/> is, or when the returned cancel function is called: a .NET
    /// cancellation entering the context tree.
    /// </summary>
    /// <param name="parent">The parent context.</param>
    /// <param name="token">The token.</param>
    /// <returns>The context and its cancel function.</returns>
    /// <remarks>
    /// <para>
    /// Canceled by the token, its <see cref="Err"/> is <see cref="Canceled"/> and its
    /// <see cref="Cause"/> is an <see cref="OperationCanceledException"/> for the token. A token
    /// canceled already cancels the context at once.
    /// </para>
    /// <para>
    /// The context holds one registration on the token while it is not done, and gives it up when
    /// it is done, however that comes about; call the cancel function when the work is finished so
    /// a long-lived token does not keep the context.
    /// </para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="parent"/> is null.</exception>
    public static (Context Context, CancelFunc Cancel) WithCancellationToken(Context parent, CancellationToken token)
    {
        CheckParent(parent);
        if (!token.CanBeCanceled)
        {
            return WithCancel(parent);
        }

        TokenContext context = TokenContext.Start(parent, token);
        return (context, context.CancelByCaller);
    }

    /// <summary>
    /// Arranges to call <paramref name="function"/> in its own goroutine once <paramref name="context"/>
    /// is done (Go's <c>context.AfterFunc</c>); at once if it is done already.
    /// </summary>
    /// <param name="context">The context to watch.</param>
    /// <param name="function">The function to run. An exception that escapes it is a panic, as in any goroutine.</param>
    /// <param name="member">The calling member; filled in by the compiler.</param>
    /// <param name="file">The calling file; filled in by the compiler.</param>
    /// <param name="line">The calling line; filled in by the compiler.</param>
    /// <returns>
    /// The stop function: it returns true if it kept <paramref name="function"/> from being run,
    /// and false if the context was done (the function has been started) or it was stopped
    /// before. It does not wait for a started function to return. Calling it releases what the
    /// arrangement holds in <paramref name="context"/>.
    /// </returns>
    /// <remarks>Each call is independent: several functions may be arranged on one context.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="context"/> or <paramref name="function"/> is null.</exception>
    public static Func<bool> AfterFunc(Context context, Action function, [CallerMemberName] string member = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(function);
        return AfterFuncContext.Start(context, function, member, file, line);
    }

    private static Context CheckParent(Context parent) => parent ?? throw new ArgumentNullException(nameof(parent), NilParent);
}
