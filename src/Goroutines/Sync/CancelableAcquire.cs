// Licensed under the MIT License.

using System;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;

namespace Goroutines.Sync;

// CancelableAcquire: the CancellationToken forms of the sync package's waits that Go gives no
// way to abandon (Mutex and RWMutex locks, WaitGroup.Wait). Their waiters are counted in state
// words and queued in the runtime semaphore; withdrawing one would mean a second protocol in
// every algorithm. Instead the wait runs exactly as it always does, on a goroutine of its own,
// and the caller waits for that goroutine or for the token, whichever comes first:
//   - the helper gets there first: the caller owns what it got (the lock) and returns;
//   - the token is canceled first: the helper gives back whatever it gets later (unlocks)
//     and ends, and the caller throws OperationCanceledException with the token, as if it had
//     never tried.
// One CAS on _state decides which, so exactly one side does. A failure of the wait itself
// (a runtime panic) reaches the caller, or, when nobody waits for it any more, escapes the
// helper goroutine and is reported as any panic: it is never lost.
//
// Cost: none for a token that cannot be canceled (the callers take the plain form) or when the
// primitive is free (their fast paths); otherwise a goroutine, a one-slot channel and a token
// registration per wait. A canceled wait's helper stays parked until the primitive would have
// let it through (a WaitGroup's until its count is zero), and a dump shows it there with the
// primitive's wait reason.
//
// Invariants: _state moves once, from Pending to Acquired (the helper) or Abandoned (the caller).
internal sealed class CancelableAcquire
{
    private const int Pending = 0;
    private const int Acquired = 1;
    private const int Abandoned = 2;

    private readonly Func<ValueTask> _acquire;
    private readonly Action? _giveBack;
    private readonly Chan<bool> _done = new(1); // one slot: the helper's send never waits
    private Exception? _failure;
    private int _state;

    private CancelableAcquire(Func<ValueTask> acquire, Action? giveBack)
    {
        _acquire = acquire;
        _giveBack = giveBack;
    }

    /// <summary>
    /// Runs <paramref name="acquire"/> until it completes or <paramref name="token"/> is canceled;
    /// in the second case whatever it acquires later is handed to <paramref name="giveBack"/>.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was canceled first; nothing is held.</exception>
    public static async ValueTask RunAsync(Func<ValueTask> acquire, Action? giveBack, CancellationToken token)
    {
        token.ThrowIfCancellationRequested();
        var wait = new CancelableAcquire(acquire, giveBack);
        Go.Run(wait.AcquireOnOwnGoroutineAsync);
        try
        {
            await wait._done.ReceiveAsync(token).ConfigureAwait(true);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            if (Interlocked.CompareExchange(ref wait._state, Abandoned, Pending) == Pending)
            {
                throw; // the helper gives back what it gets
            }

            // The helper got there first: what it acquired is ours, and the cancel lost the race.
        }

        if (wait._failure is { } failure)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    private async Task AcquireOnOwnGoroutineAsync()
    {
        Exception? failure = null;
        try
        {
            await _acquire().ConfigureAwait(true);
        }
#pragma warning disable CA1031 // handed to the caller below, or rethrown when nobody waits for it
        catch (Exception e)
#pragma warning restore CA1031
        {
            failure = e;
        }

        if (Interlocked.CompareExchange(ref _state, Acquired, Pending) == Pending)
        {
            _failure = failure; // published by the send
            _done.TrySend(true);
            return;
        }

        if (failure is not null)
        {
            ExceptionDispatchInfo.Throw(failure); // nobody waits for it: reported as this goroutine's panic
        }

        _giveBack?.Invoke();
    }
}
