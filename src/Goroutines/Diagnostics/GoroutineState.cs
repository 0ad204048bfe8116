// Licensed under the MIT License.

namespace Goroutines.Diagnostics;

/// <summary>What a goroutine was doing when a dump was taken (Go's goroutine statuses).</summary>
public enum GoroutineState
{
    /// <summary>Ready to run, waiting in a run queue for a processor (Go's <c>runnable</c>).</summary>
    Runnable,

    /// <summary>Running on a thread (Go's <c>running</c>).</summary>
    Running,

    /// <summary>Parked: on a channel, a lock, a timer or an awaited task; see <see cref="GoroutineInfo.WaitReason"/> (Go's <c>waiting</c>).</summary>
    Waiting,

    /// <summary>In a blocking region: a call that blocks its thread (Go's <c>syscall</c>).</summary>
    BlockingCall,
}
