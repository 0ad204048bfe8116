// Licensed under the MIT License.

using System;
using System.Threading;

namespace Goroutines.Contexts;

// TokenContext: Context.WithCancellationToken, a context that a .NET CancellationToken
// cancels (as well as its parent and its cancel function). It holds one registration
// on the token, which must not outlive the context: a long-lived token (an
// application's stopping token) would otherwise keep every context made from it.
//
// Protocol (the registration and the cancel race; the lock decides):
//   Start: attach to the parent; unless done already, register on the token (which
//          runs the callback inline if the token is canceled meanwhile), then under
//          the lock keep the registration unless the context is done by now, in which
//          case unregister it at once.
//   OnDone: under the lock take the registration, then unregister it. Unregister
//          never waits for a running callback (Dispose would, and the callback may be
//          the very cancel that runs this hook, on another thread).
//
// Invariants:
// - Once the context is done and Start has returned, it holds no registration.

/// <summary>A context canceled by a <see cref="CancellationToken"/>.</summary>
internal sealed class TokenContext : CancelContext
{
    private static readonly Action<object?, CancellationToken> s_onTokenCanceled = static (state, token) =>
        ((TokenContext)state!).Cancel(removeFromParent: true, Canceled, new OperationCanceledException(token));

    private CancellationTokenRegistration _registration; // under SyncRoot

    private TokenContext(Context parent)
        : base(parent)
    {
    }

    /// <summary>Whether the context still holds its registration on the token (for tests).</summary>
    internal bool IsRegistered
    {
        get
        {
            lock (SyncRoot)
            {
                return _registration != default;
            }
        }
    }

    /// <summary>Creates a context canceled by <paramref name="token"/>, its parent, or its cancel function.</summary>
    internal static TokenContext Start(Context parent, CancellationToken token)
    {
        var context = new TokenContext(parent);
        context.Attach();
        if (context.Error is not null)
        {
            return context; // the parent is done: nothing to register
        }

        CancellationTokenRegistration registration = token.UnsafeRegister(s_onTokenCanceled, context);
        bool keep;
        lock (context.SyncRoot)
        {
            keep = !context.IsDoneLocked;
            if (keep)
            {
                context._registration = registration;
            }
        }

        if (!keep)
        {
            registration.Unregister();
        }

        return context;
    }

    /// <inheritdoc/>
    private protected override string Segment => ".WithCancellationToken";

    /// <inheritdoc/>
    private protected override void OnDone()
    {
        CancellationTokenRegistration registration;
        lock (SyncRoot)
        {
            registration = _registration;
            _registration = default;
        }

        registration.Unregister();
    }
}
