// Licensed under the MIT License.

using System;

namespace Goroutines.Hosting.Tests.TestSupport;

/// <summary>
/// Upper bounds for every wait in the suite, as in Goroutines.Tests: they only turn a bug (a
/// host that never stops, a lost signal) into a failed test instead of a hung run.
/// </summary>
public static class TestTimeouts
{
    /// <summary>Bound of an ordinary wait: a service starting, a host stopping, a log arriving.</summary>
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(30);

    /// <summary>Bound of the leak check that ends every test.</summary>
    public static readonly TimeSpan LeakCheck = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The shutdown timeout of hosts whose stop is meant to time out: short, so the test is quick,
    /// and never waited for by a test that stops cleanly.
    /// </summary>
    public static readonly TimeSpan ShortShutdown = TimeSpan.FromMilliseconds(250);
}
