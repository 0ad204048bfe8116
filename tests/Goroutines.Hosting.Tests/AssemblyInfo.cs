// Licensed under the MIT License.

using Xunit;

// The runtime is a process-wide singleton and every test here starts a host that sets its
// GOMAXPROCS, thread limit and panic handler: tests must not overlap.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
