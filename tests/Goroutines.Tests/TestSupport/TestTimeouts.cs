// Licensed under the MIT License.

using System;

namespace Goroutines.Tests.TestSupport;

/// <summary>
/// Upper bounds for every wait in the suite. They only turn a bug (a lost wake-up, a
/// deadlock) into a failed test instead of a hung run; no test asserts speed, and a
/// passing test never comes close to them.
/// </summary>
public static class TestTimeouts
{
    /// <summary>Bound of an ordinary wait: a goroutine finishing, an event being set.</summary>
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Bound of the leak check that ends every test: every goroutine the test started has exited,
    /// or is one of those it parks forever on purpose and the leak detector proved unwakeable.
    /// </summary>
    public static readonly TimeSpan LeakCheck = TimeSpan.FromSeconds(10);
}
