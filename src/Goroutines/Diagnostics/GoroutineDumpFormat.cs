// Licensed under the MIT License.

namespace Goroutines.Diagnostics;

/// <summary>The two text forms of a goroutine dump, as Go's goroutine profile writes them.</summary>
public enum GoroutineDumpFormat
{
    /// <summary>
    /// Every goroutine on its own, by id (pprof's <c>debug=2</c>, and what Go prints on a panic or
    /// SIGQUIT): <c>goroutine 18 [chan receive, 2 minutes]:</c>, its frames innermost first, and
    /// <c>created by ... in goroutine 1</c>.
    /// </summary>
    Full,

    /// <summary>
    /// Goroutines with the same state, frames and creation site counted together, the largest
    /// group first (pprof's <c>debug=1</c>): 10,000 goroutines stuck at one line read as one entry.
    /// </summary>
    Grouped,
}
