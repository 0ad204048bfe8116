// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Globalization;

namespace Goroutines.Diagnostics;

/// <summary>One goroutine in a <see cref="GoroutineDump"/>: its id, state, frames and creation site.</summary>
public sealed class GoroutineInfo
{
    internal GoroutineInfo(long id, GoroutineState state, string? waitReason, TimeSpan waitDuration, IReadOnlyList<GoroutineFrame> frames, GoroutineFrame createdBy, long creatorId, bool isLeaked)
    {
        Id = id;
        State = state;
        WaitReason = waitReason;
        WaitDuration = waitDuration;
        Frames = frames;
        CreatedBy = createdBy;
        CreatorId = creatorId;
        IsLeaked = isLeaked;
    }

    /// <summary>The goroutine's id (Go's goid): unique for the process, never reused.</summary>
    public long Id { get; }

    /// <summary>What it was doing.</summary>
    public GoroutineState State { get; }

    /// <summary>
    /// Why it waits, as Go's dumps spell it (<c>chan receive</c>, <c>select</c>, <c>sync.Mutex.Lock</c>,
    /// <c>sleep</c>, and <c>await</c> for a .NET task the runtime does not own); null unless
    /// <see cref="State"/> is <see cref="GoroutineState.Waiting"/>.
    /// </summary>
    public string? WaitReason { get; }

    /// <summary>How long it has been waiting, in whole seconds; zero unless waiting.</summary>
    public TimeSpan WaitDuration { get; }

    /// <summary>
    /// Where it is, innermost first: the async methods it is suspended in, as far as the runtime
    /// could recover them, with the file and line of each await where the PDB gives them; the
    /// entry function if it has not started; the thread's frames for the goroutine taking the
    /// dump; empty for one running on another thread, whose stack cannot be read.
    /// </summary>
    public IReadOnlyList<GoroutineFrame> Frames { get; }

    /// <summary>The call that created it (Go's <c>created by</c>): the calling member, file and line.</summary>
    public GoroutineFrame CreatedBy { get; }

    /// <summary>The id of the goroutine that created it; 0 if it was created from a thread outside the runtime.</summary>
    public long CreatorId { get; }

    /// <summary>
    /// Whether the leak detector found it parked where nothing outside the runtime can reach it
    /// any more: no code can ever wake it (see <see cref="GoroutineLeaks"/>).
    /// </summary>
    public bool IsLeaked { get; }

    /// <summary>
    /// The text between the brackets of its dump header, as Go writes it: <c>running</c>,
    /// <c>runnable</c>, <c>syscall</c>, or the wait reason, with <c>, N minutes</c> past one minute.
    /// </summary>
    public string StateText
    {
        get
        {
            long minutes = (long)WaitDuration.TotalMinutes;
            return minutes >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{StateTextWithoutDuration}, {minutes} minutes") : StateTextWithoutDuration;
        }
    }

    /// <summary>
    /// <see cref="StateText"/> without the minutes: what grouped dumps and goroutine profiles group
    /// by, so that goroutines parked at one place for different times count together.
    /// </summary>
    public string StateTextWithoutDuration
    {
        get
        {
            string text = State switch
            {
                GoroutineState.Running => "running",
                GoroutineState.Runnable => "runnable",
                GoroutineState.BlockingCall => "syscall",
                _ => WaitReason ?? "waiting",
            };
            return IsLeaked ? text + " (leaked)" : text;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"goroutine {Id} [{StateText}]";
}
