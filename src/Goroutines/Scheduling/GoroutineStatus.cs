// Licensed under the MIT License.

namespace Goroutines.Scheduling;

/// <summary>
/// The life cycle of a goroutine, as in Go's <c>_Gidle</c> ... <c>_Gdead</c>.
/// </summary>
/// <remarks>
/// <code>
///   Idle ──spawn──▶ Runnable ──schedule──▶ Running ──return──▶ Dead ──reuse──▶ Idle
///                      ▲                    │  │  │
///                      └───────ready────── Waiting  │
///                      └──exit region─── Syscall ◀──┘ (blocking region)
/// </code>
/// The status is informational (dumps, counters): it is written by the thread that
/// makes the transition and read without synchronisation. The scheduling decisions
/// themselves rest on <see cref="Goroutine"/>'s scheduled flag, not on this value.
/// </remarks>
internal enum GoroutineStatus : byte
{
    /// <summary>Allocated and not yet started.</summary>
    Idle,

    /// <summary>On a run queue, waiting for a machine to run it.</summary>
    Runnable,

    /// <summary>A machine is executing it.</summary>
    Running,

    /// <summary>Parked at an await, with a <see cref="WaitReason"/>.</summary>
    Waiting,

    /// <summary>Inside a blocking region (Go's syscall state): its processor may be handed off.</summary>
    Syscall,

    /// <summary>Returned or panicked; its object is garbage once nothing refers to it.</summary>
    Dead,
}
