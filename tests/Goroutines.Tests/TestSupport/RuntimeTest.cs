// Licensed under the MIT License.

using System;

using Xunit;

namespace Goroutines.Tests.TestSupport;

/// <summary>
/// Base class of every test that runs goroutines. For the test's duration it captures panics
/// (the default handler would end the test process), and it restores GOMAXPROCS and the thread
/// limit afterwards. Every test ends with two checks: no goroutine leaked (live goroutines back
/// to the count the test started with, plus those it declared with <see cref="ExpectParkedForever"/>)
/// and no panic arrived that the test did not take with <see cref="PanicCapture.TakeAll"/>.
/// </summary>
public abstract class RuntimeTest : IDisposable
{
    private readonly long _goroutinesAtStart;
    private long _parkedForever;
    private bool _disposed;

    /// <summary>Installs the panic capture and records the live goroutine count.</summary>
    protected RuntimeTest()
    {
        Panics = new PanicCapture();
        Settings = new RuntimeSettings();
        _goroutinesAtStart = Go.NumGoroutine;
    }

    /// <summary>Panics received during the test.</summary>
    protected PanicCapture Panics { get; }

    /// <summary>GOMAXPROCS and thread-limit changes, undone after the test.</summary>
    protected RuntimeSettings Settings { get; }

    /// <summary>Live goroutines when the test started.</summary>
    protected long GoroutinesAtStart => _goroutinesAtStart;

    /// <summary>
    /// Declares goroutines that the test parks forever on purpose (a send on the nil channel, an
    /// empty select): nothing can ever wake them, so they outlive the test, and the leak check
    /// allows exactly that many more live goroutines than the test started with. Any other
    /// goroutine still alive fails the test as before.
    /// </summary>
    protected void ExpectParkedForever(int goroutines)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(goroutines);
        _parkedForever += goroutines;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Runs the end-of-test checks and restores the runtime's settings.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (_disposed || !disposing)
        {
            return;
        }

        _disposed = true;

        // The count drops only after a goroutine's last step ended, a little after whatever
        // the test waited for: wait for the count itself, bounded.
        long allowed = _goroutinesAtStart + _parkedForever;
        bool noLeak = Poll.Until(() => Go.NumGoroutine <= allowed, TestTimeouts.LeakCheck);
        long live = Go.NumGoroutine;
        Settings.Dispose();
        Panics.Restore(keepInstalled: !noLeak);
        Assert.True(noLeak, $"Goroutines leaked: {live} live after the test, {_goroutinesAtStart} before it, {_parkedForever} parked forever on purpose.");
        Assert.True(Panics.Captured.Count == 0, $"Unexpected panics:\n{Panics.Describe()}");
    }
}
