// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Text;
using System.Threading;

using Goroutines.Channels;

namespace Goroutines.Contexts;

// Context: Go's context package. A context is immutable once made, and is a node of
// a tree rooted at Background (or TODO); each derived context keeps its parent.
//
// What this file owns: the public surface of every context, the sentinels, and the
// three links each node caches at construction so that no query walks the tree:
//   Parent:         the node it was derived from (values are looked up through it).
//   Canceler:       the CancelContext whose cancellation this node shares: itself for
//                   the cancelable kinds, the parent's for a value context, null for
//                   Background, TODO and WithoutCancel (never done). Done, Err,
//                   CancellationToken and Cause read it directly, O(1) where Go's
//                   value contexts forward each call to their parent, O(depth).
//   DeadlineSource: the TimerContext whose deadline applies, likewise inherited.
// The kinds, one file each: EmptyContext (Background, TODO), ValueContext,
// WithoutCancelContext, CancelContext (WithCancel, WithCancelCause), TimerContext
// (WithDeadline, WithTimeout), AfterFuncContext (AfterFunc) and TokenContext
// (WithCancellationToken). The cancellation protocol is in CancelContext.cs.
//
// Rejected: a public interface, as Go's Context is. Go needs one so that any package can
// wrap a context; a .NET library that wants to do that holds a Context and delegates.
// An interface would force the library to handle foreign parents as Go does (a goroutine
// per foreign parent to watch its Done), for no use a sealed set of kinds cannot serve.
// So the constructor is private protected and every parent is one of ours: a child
// always registers directly with its parent's Canceler.
//
// Invariants:
// - Canceler and DeadlineSource are set once, in the constructor, from the parent's.
// - Err goes null -> Canceled or DeadlineExceeded once. Err is seen set only once Done
//   is closed, and a receive that sees Done closed sees Err set (as Go guarantees).

/// <summary>
/// Go's <c>context.Context</c>: carries a cancellation signal, a deadline and request-scoped values
/// across goroutines and API boundaries. Start from <see cref="Background"/> and derive with
/// <see cref="WithCancel"/>, <see cref="WithTimeout"/>, <see cref="WithValue"/> and the others;
/// canceling a context cancels every context derived from it, never its parent.
/// </summary>
/// <example>
/// <code>
/// var (ctx, cancel) = Context.WithTimeout(Context.Background, TimeSpan.FromSeconds(1));
/// try
/// {
///     var select = new Select();
///     switch (await select.Receive(results).Receive(ctx.Done).WaitAsync())
///     {
///         case 0: Use(select.Received&lt;Result&gt;()); break;
///         case 1: Console.WriteLine(Context.Cause(ctx)!.Message); break;   // context deadline exceeded
///     }
/// }
/// finally
/// {
///     cancel();
/// }
/// </code>
/// </example>
/// <remarks>
/// <para>
/// A context is immutable and safe to use from any number of goroutines and threads at once.
/// Cancellation happens-before <see cref="Done"/> is seen closed and <see cref="Err"/> is seen
/// set. Only this library derives from <see cref="Context"/>.
/// </para>
/// <para>
/// .NET interop goes both ways: <see cref="CancellationToken"/> is canceled when the context is
/// done, so a context flows into any .NET API; <see cref="WithCancellationToken"/> makes a context
/// that a <see cref="System.Threading.CancellationToken"/> cancels.
/// </para>
/// </remarks>
public abstract partial class Context
{
    private static readonly ContextCanceledException s_canceled = ContextCanceledException.CreateSentinel("context canceled");
    private static readonly DeadlineExceededException s_deadlineExceeded = new();
    private static readonly EmptyContext s_background = new("context.Background");
    private static readonly EmptyContext s_todo = new("context.TODO");

    private protected Context(Context? parent)
    {
        Parent = parent;
    }

    /// <summary>
    /// The root of every context tree (Go's <c>context.Background()</c>): never canceled, no
    /// deadline, no values. For <c>Main</c>, initialization, tests, and as the top-level context of
    /// incoming requests.
    /// </summary>
    public static Context Background => s_background;

    /// <summary>
    /// A root for code that does not yet know which context to use (Go's <c>context.TODO()</c>);
    /// behaves exactly as <see cref="Background"/>.
    /// </summary>
    public static Context TODO => s_todo;

    /// <summary>
    /// The <see cref="Err"/> of a context that was canceled (Go's <c>context.Canceled</c>, message
    /// "context canceled"). A value to compare by reference; never throw it (see
    /// <see cref="ThrowIfDone"/>).
    /// </summary>
    public static ContextCanceledException Canceled => s_canceled;

    /// <summary>
    /// The <see cref="Err"/> of a context whose deadline passed (Go's <c>context.DeadlineExceeded</c>,
    /// message "context deadline exceeded"). A value to compare by reference; never throw it.
    /// </summary>
    public static DeadlineExceededException DeadlineExceeded => s_deadlineExceeded;

    /// <summary>
    /// A channel closed when the context is done (Go's <c>ctx.Done()</c>): receive from it in a
    /// <see cref="Select"/> (<c>select.Receive(ctx.Done)</c>), await
    /// <c>ctx.Done.ReceiveAsync()</c>, or test it with <c>TryReceive</c>. Nothing is ever sent on it.
    /// </summary>
    /// <remarks>
    /// For a context that can never be canceled (<see cref="Background"/>, <see cref="TODO"/>,
    /// <see cref="WithoutCancel"/> and values over them) it is the nil channel (<c>default</c>),
    /// which blocks forever and which a select never chooses. Otherwise it is created on first use
    /// and every call returns the same channel. The close happens-before a receive that returns
    /// because of it.
    /// </remarks>
    public ReceiveOnlyChan<ValueTuple> Done => Canceler?.DoneChannel ?? default;

    /// <summary>
    /// Null while the context is not done; then why, for good (Go's <c>ctx.Err()</c>):
    /// <see cref="Canceled"/> or <see cref="DeadlineExceeded"/>.
    /// </summary>
    /// <remarks>
    /// A value to compare by reference (<c>ctx.Err == Context.DeadlineExceeded</c>), not to throw:
    /// use <see cref="ThrowIfDone"/> to throw. Set before <see cref="Done"/> closes; a lock-free read.
    /// </remarks>
    public ContextCanceledException? Err => Canceler?.Error;

    /// <summary>
    /// A token canceled when the context is done, so the context flows into .NET APIs; for a
    /// context that can never be canceled, <see cref="CancellationToken.None"/>.
    /// </summary>
    /// <remarks>
    /// Its source is created on first use. The token is canceled right after <see cref="Done"/>
    /// closes, by the thread that cancels the context, which runs the token's callbacks (see
    /// <see cref="CancelFunc"/>). Asked for after the context is done, it is a canceled token.
    /// </remarks>
    public CancellationToken CancellationToken => Canceler?.Token ?? CancellationToken.None;

    // The node this one was derived from; null for a root.
    internal Context? Parent { get; }

    // Whose cancellation this node shares (see the header). Set once, in the constructor.
    internal CancelContext? Canceler { get; private protected set; }

    // Whose deadline applies to this node (see the header). Set once, in the constructor.
    internal TimerContext? DeadlineSource { get; private protected set; }

    /// <summary>This node's part of <see cref="ToString"/>: the root's name, or <c>.With...</c> for a derived context.</summary>
    private protected abstract string Segment { get; }

    /// <summary>
    /// Why <paramref name="context"/> was canceled (Go's <c>context.Cause</c>): the cause given to
    /// its <see cref="CancelCauseFunc"/> or its deadline (inherited from the ancestor that was
    /// canceled), else its <see cref="Err"/>; null while it is not done.
    /// </summary>
    /// <param name="context">The context.</param>
    /// <returns>The cause, or null.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="context"/> is null.</exception>
    public static Exception? Cause(Context context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Canceler?.CauseOrNull;
    }

    /// <summary>
    /// The value this context carries for <paramref name="key"/> (Go's <c>ctx.Value(key)</c>): the
    /// nearest <see cref="WithValue"/> on the path to the root whose key equals
    /// <paramref name="key"/> (<see cref="object.Equals(object?)"/>), else null.
    /// </summary>
    /// <param name="key">The key. Use a private, static object (or a value of a private type) so
    /// keys of different packages cannot collide, as Go advises.</param>
    /// <returns>The value, or null.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is null.</exception>
    public object? Value(object key)
    {
        ArgumentNullException.ThrowIfNull(key);

        // A loop rather than a call per level, as Go's value(): value chains can be long.
        for (Context? node = this; node is not null; node = node.Parent)
        {
            if (node is ValueContext entry && entry.Key.Equals(key))
            {
                return entry.Entry;
            }
        }

        return null;
    }

    /// <summary>
    /// Throws if the context is done: a new <see cref="ContextCanceledException"/> (a
    /// <see cref="DeadlineExceededException"/> when the deadline passed) whose
    /// <see cref="ContextCanceledException.Err"/> is <see cref="Err"/>, whose
    /// <see cref="ContextCanceledException.Cause"/> is <see cref="Cause"/>, and whose
    /// <see cref="OperationCanceledException.CancellationToken"/> is <see cref="CancellationToken"/>.
    /// </summary>
    /// <exception cref="ContextCanceledException">The context is done.</exception>
    public void ThrowIfDone()
    {
        if (Err is not null)
        {
            throw CreateDoneException();
        }
    }

    /// <summary>
    /// The exception <see cref="ThrowIfDone"/> throws, for code that fails an operation because the
    /// context ended (an acquisition with a context). Call it only once the context is done.
    /// </summary>
    internal ContextCanceledException CreateDoneException() => Canceler is { Error: { } err } canceler
        ? ContextCanceledException.Create(err, canceler.CauseOrNull!, canceler.Token)
        : throw new InvalidOperationException("The context is not done.");

    /// <summary>Go's description of the context, for example <c>context.Background.WithCancel</c>.</summary>
    /// <returns>The description: the root's name, then one segment per derivation.</returns>
    public sealed override string ToString()
    {
        // From the root down, without a call per level (Go recurses; a deep chain must not
        // overflow a .NET stack, and the debugger display calls this).
        var path = new Stack<Context>();
        for (Context? node = this; node is not null; node = node.Parent)
        {
            path.Push(node);
        }

        var text = new StringBuilder();
        while (path.TryPop(out Context? node))
        {
            text.Append(node.Segment);
        }

        return text.ToString();
    }
}
