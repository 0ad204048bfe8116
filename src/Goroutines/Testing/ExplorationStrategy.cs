// Licensed under the MIT License.

namespace Goroutines.Testing;

/// <summary>How <see cref="Explorer"/> draws the scheduling choices of a run from its seed.</summary>
public enum ExplorationStrategy
{
    /// <summary>
    /// Probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010): random goroutine
    /// priorities, the highest runnable one runs, and <see cref="ExplorationOptions.PctDepth"/> − 1
    /// random points lower the running goroutine's priority. Finds a bug of depth d among n
    /// goroutines and k steps with probability at least 1/(n·k^(d−1)) per seed.
    /// </summary>
    Pct,

    /// <summary>A uniformly random runnable goroutine at every step, and a yield at a safe point one time in four.</summary>
    RandomWalk,
}
