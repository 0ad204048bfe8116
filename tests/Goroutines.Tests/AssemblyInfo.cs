// Licensed under the MIT License.

using Xunit;

// The scheduler is a process-wide singleton: tests that change GOMAXPROCS, the thread
// limit or the panic handler must not overlap, and timing-sensitive tests (sysmon's
// hand-offs) must not compete with a neighbour for the machine's two cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
