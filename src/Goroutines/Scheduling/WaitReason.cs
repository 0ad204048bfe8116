// Licensed under the MIT License.

namespace Goroutines.Scheduling;

/// <summary>
/// Why a goroutine is parked: the text a goroutine dump shows between brackets,
/// as in Go's <c>waitReason</c>. Every park site names its own reason.
/// </summary>
internal enum WaitReason : byte
{
    /// <summary>Not waiting.</summary>
    None,

    /// <summary>Awaiting a .NET task or awaitable that the runtime does not own (a socket, a file, <c>Task.Delay</c>).</summary>
    ForeignAwait,

    /// <summary>Receiving from a channel.</summary>
    ChanReceive,

    /// <summary>Sending on a channel.</summary>
    ChanSend,

    /// <summary>Receiving from a nil channel: blocked forever.</summary>
    ChanReceiveNilChan,

    /// <summary>Sending on a nil channel: blocked forever.</summary>
    ChanSendNilChan,

    /// <summary>Blocked in a select.</summary>
    Select,

    /// <summary>Blocked in a select with no cases: forever.</summary>
    SelectNoCases,

    /// <summary>Sleeping.</summary>
    Sleep,

    /// <summary>Waiting for a mutex.</summary>
    SyncMutexLock,

    /// <summary>Waiting for a read lock.</summary>
    SyncRWMutexRLock,

    /// <summary>Waiting for a write lock.</summary>
    SyncRWMutexLock,

    /// <summary>Waiting on a wait group.</summary>
    SyncWaitGroupWait,

    /// <summary>Waiting on a condition variable.</summary>
    SyncCondWait,

    /// <summary>Waiting to acquire weight of a semaphore.</summary>
    SyncSemaphoreAcquire,

    /// <summary>Waiting for network or file I/O.</summary>
    IOWait,

    /// <summary>Parked by the runtime's own park primitive for a reason not listed here.</summary>
    Parked,

    /// <summary>In a bubble's Wait, until every other goroutine of the bubble is durably blocked.</summary>
    SyncTestWait,
}

/// <summary>Go's spelling of each <see cref="WaitReason"/>, as goroutine dumps print it, and its class.</summary>
internal static class WaitReasonExtensions
{
    /// <summary>Whether the reason is a wait on a channel operation or a select (the parks the metrics count).</summary>
    /// <param name="reason">The wait reason.</param>
    /// <returns>True for the channel and select reasons, nil channels and <c>select {}</c> included.</returns>
    public static bool IsChannelWait(this WaitReason reason) =>
        reason is WaitReason.ChanReceive or WaitReason.ChanSend or WaitReason.ChanReceiveNilChan
            or WaitReason.ChanSendNilChan or WaitReason.Select or WaitReason.SelectNoCases;

    /// <summary>Returns the reason as Go prints it, for example <c>chan receive</c>.</summary>
    /// <param name="reason">The wait reason.</param>
    /// <returns>The text Go's goroutine dump shows for the reason.</returns>
    public static string ToGoString(this WaitReason reason) => reason switch
    {
        WaitReason.None => "running",
        WaitReason.ForeignAwait => "await",
        WaitReason.ChanReceive => "chan receive",
        WaitReason.ChanSend => "chan send",
        WaitReason.ChanReceiveNilChan => "chan receive (nil chan)",
        WaitReason.ChanSendNilChan => "chan send (nil chan)",
        WaitReason.Select => "select",
        WaitReason.SelectNoCases => "select (no cases)",
        WaitReason.Sleep => "sleep",
        WaitReason.SyncMutexLock => "sync.Mutex.Lock",
        WaitReason.SyncRWMutexRLock => "sync.RWMutex.RLock",
        WaitReason.SyncRWMutexLock => "sync.RWMutex.Lock",
        WaitReason.SyncWaitGroupWait => "sync.WaitGroup.Wait",
        WaitReason.SyncCondWait => "sync.Cond.Wait",
        WaitReason.SyncSemaphoreAcquire => "semacquire",
        WaitReason.IOWait => "IO wait",
        WaitReason.Parked => "park",
        WaitReason.SyncTestWait => "synctest.Wait",
        _ => reason.ToString(),
    };
}
