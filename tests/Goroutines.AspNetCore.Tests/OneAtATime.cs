// Licensed under the MIT License.

using Xunit;

namespace Goroutines.AspNetCore.Tests;

/// <summary>
/// The tests that count goroutines parked in one function or start an execution trace, which is
/// one per process: they run one at a time.
/// </summary>
[CollectionDefinition(nameof(OneAtATime), DisableParallelization = true)]
public sealed class OneAtATime;
