// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;

using Goroutines.Diagnostics;

using Xunit;

namespace Goroutines.Tests.TestSupport;

/// <summary>
/// Base class of every test that runs goroutines. For the test's duration it captures panics
/// (the default handler would end the test process), and it restores GOMAXPROCS and the thread
/// limit afterwards. Every test ends with two checks: no goroutine leaked, and no panic arrived
/// that the test did not take with <see cref="PanicCapture.TakeAll"/>.
/// </summary>
/// <remarks>
/// <para>
/// The leak check is the runtime's own: <see cref="GoroutineLeaks.VerifyNone"/>, with every
/// goroutine alive when the test was constructed ignored (<see cref="GoroutineLeakOptions.IgnoreCurrent"/>).
/// It retries for up to <see cref="TestTimeouts.LeakCheck"/>, because a goroutine leaves the
/// registry a moment after whatever the test awaited, and a test that fails it prints the dump
/// of the goroutines it left behind: their wait reasons, frames and creation sites.
/// </para>
/// <para>
/// Goroutines a test parks forever on purpose are declared with <see cref="ExpectParkedForever"/>
/// and must be proven unwakeable by <see cref="GoroutineLeaks.FindLeaked"/>; only those are
/// ignored.
/// </para>
/// <para>
/// After the registry check, the live goroutine count (<see cref="Go.NumGoroutine"/>) must be back
/// to the count the test started with, plus the goroutines parked forever. That adds no wait (the
/// count drops right after a goroutine leaves the registry's view) and checks the checker: the
/// count is kept apart from the registry, so a goroutine the registry lost, which the dump-based
/// check could not see, still fails the test. Every test with goroutines parked forever runs a
/// leak detector pass, which lets the registry release and restore its entries.
/// </para>
/// </remarks>
public abstract class RuntimeTest : IDisposable
{
    private readonly long _goroutinesAtStart;
    private readonly GoroutineLeakOptions _leakOptions;
    private int _parkedForever;
    private bool _disposed;

    /// <summary>Installs the panic capture and takes note of the goroutines alive before the test.</summary>
    protected RuntimeTest()
    {
        Panics = new PanicCapture();
        Settings = new RuntimeSettings();
        _goroutinesAtStart = Go.NumGoroutine;
        _leakOptions = new GoroutineLeakOptions { Timeout = TestTimeouts.LeakCheck }.IgnoreCurrent();
    }

    /// <summary>Panics received during the test.</summary>
    protected PanicCapture Panics { get; }

    /// <summary>GOMAXPROCS and thread-limit changes, undone after the test.</summary>
    protected RuntimeSettings Settings { get; }

    /// <summary>Live goroutines when the test started.</summary>
    protected long GoroutinesAtStart => _goroutinesAtStart;

    /// <summary>
    /// Declares goroutines that the test parks forever on purpose (a send on the nil channel, an
    /// empty select, a goroutine leaked to test the leak detector): they outlive the test. At its
    /// end, exactly <paramref name="goroutines"/> (summed over calls) of the goroutines it left
    /// behind must be proven unwakeable by <see cref="GoroutineLeaks.FindLeaked"/>; those are
    /// ignored, and any other goroutine still alive fails the test as before.
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
        string? leaked = IgnoreParkedForever();
        if (leaked is null)
        {
            try
            {
                GoroutineLeaks.VerifyNone(_leakOptions);
                leaked = CheckCount();
            }
            catch (GoroutineLeakException ex)
            {
                leaked = $"Goroutines leaked ({_parkedForever} parked forever on purpose were ignored):\n{ex.Message}";
            }
        }

        Settings.Dispose();
        Panics.Restore(keepInstalled: leaked is not null);
        Assert.True(leaked is null, leaked);
        Assert.True(Panics.Captured.Count == 0, $"Unexpected panics:\n{Panics.Describe()}");
    }

    /// <summary>
    /// Waits until the collector has proven <see cref="_parkedForever"/> of the test's leftovers
    /// unwakeable and ignores them; returns the failure if it proved fewer in time, or more.
    /// </summary>
    /// <remarks>
    /// A pass marks what it proves, and later dumps show the mark, so a pass runs only while some
    /// leftover is parked and not yet proven. As soon as enough are proven, the check goes on: a
    /// test that parks goroutines forever does not wait for the timeout.
    /// </remarks>
    private string? IgnoreParkedForever()
    {
        if (_parkedForever == 0)
        {
            return null;
        }

        List<GoroutineInfo> proven = [];
        bool enough = Poll.Until(
            () =>
            {
                List<GoroutineInfo> leftovers = Leftovers();
                if (leftovers.Any(g => g.State == GoroutineState.Waiting && !g.IsLeaked))
                {
                    _ = GoroutineLeaks.FindLeaked();
                    leftovers = Leftovers();
                }

                proven = leftovers.Where(g => g.IsLeaked).ToList();
                return proven.Count >= _parkedForever;
            },
            TestTimeouts.LeakCheck);
        if (!enough || proven.Count != _parkedForever)
        {
            return $"The test declared {_parkedForever} goroutine(s) parked forever, and the leak detector proved {proven.Count} "
                + $"of the goroutines it left behind unwakeable (marked leaked):\n{GoroutineDumpText.Full(Leftovers())}";
        }

        var ids = proven.Select(g => g.Id).ToHashSet();
        _leakOptions.Ignore(g => ids.Contains(g.Id));
        return null;
    }

    /// <summary>Whether <paramref name="g"/> was not alive when the test was constructed (until Dispose: then, not ignored).</summary>
    protected bool StartedByTest(GoroutineInfo g) => !_leakOptions.IsIgnored(g);

    /// <summary>The live goroutines the leak check does not ignore.</summary>
    private List<GoroutineInfo> Leftovers() => GoroutineDump.Capture().Goroutines.Where(StartedByTest).ToList();

    /// <summary>Checks the live count against the registry's view; returns the failure, if any.</summary>
    private string? CheckCount()
    {
        long allowed = _goroutinesAtStart + _parkedForever;
        if (Poll.Until(() => Go.NumGoroutine <= allowed, TestTimeouts.LeakCheck))
        {
            return null;
        }

        return $"The leak check passed, yet {Go.NumGoroutine} goroutines are live after the test, {_goroutinesAtStart} before it, "
            + $"{_parkedForever} parked forever on purpose: the registry lost goroutines. Live goroutines in the registry:\n{GoroutineDump.Capture()}";
    }
}
