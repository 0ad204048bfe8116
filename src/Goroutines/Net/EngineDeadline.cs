// Licensed under the MIT License.

using System.Threading;

using Goroutines.Scheduling;
using Goroutines.Time;

namespace Goroutines.Net;

/// <summary>
/// One direction's deadline of an <see cref="EngineSocket"/>: an entry of the runtime's timer heaps
/// whose firing marks the deadline passed and cancels the token the direction's operations run
/// under (Go's pollDesc timers, on .NET's socket engine). A deadline moved or cleared before it
/// passes stops the timer, and the operation goes on; one set after it passed takes a new token.
/// </summary>
/// <remarks>
/// State changes happen under the timer's monitor (StoppableTimer's, where it also fires); the
/// token is cancelled outside it, on the thread pool, so that no operation's cancellation runs
/// under the monitor.
/// </remarks>
internal sealed class EngineDeadline : StoppableTimer
{
    private CancellationTokenSource? _expiry;
    private volatile bool _expired;

    /// <summary>Whether the deadline passed (until it is set again).</summary>
    public bool IsExpired => _expired;

    /// <summary>The token an operation starting now runs under: cancelled when the deadline passes.</summary>
    public CancellationToken Token
    {
        get
        {
            lock (this)
            {
                return (_expiry ??= new CancellationTokenSource()).Token;
            }
        }
    }

    /// <summary>Sets the deadline: null for none, else a timestamp of the runtime's clock (past: expired at once).</summary>
    public void Set(long? when)
    {
        CancellationTokenSource? expire = null;
        lock (this)
        {
            if (when is not { } at)
            {
                Stop();
                Renew();
            }
            else if (at <= Scheduler.Instance.Now())
            {
                Stop();
                expire = Expire();
            }
            else
            {
                Renew();
                Reset(at, 0);
            }
        }

        _ = expire?.CancelAsync();
    }

    /// <inheritdoc/>
    protected override void Deliver(long lateness) => _ = Expire()?.CancelAsync();

    // Marks the deadline passed; returns the token source to cancel. Under the monitor.
    private CancellationTokenSource? Expire()
    {
        _expired = true;
        return _expiry;
    }

    // A deadline no longer passed: operations from now on take a fresh token. Under the monitor.
    private void Renew()
    {
        _expired = false;
        if (_expiry is { IsCancellationRequested: true })
        {
            _expiry = null; // the operations it cancelled hold it until they finish; nothing else does
        }
    }
}
