// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;

using Goroutines.Scheduling;

namespace Goroutines.Diagnostics;

// GoroutineDump: a snapshot of every live goroutine, Go's goroutine profile.
//
// Capture reads the registry (Scheduling/GoroutineList.cs) shard by shard and
// describes each goroutine without stopping anything: its status and wait reason as
// its machine last wrote them, and the frames recovered from its suspended state
// machines (AsyncStackWalker.cs). A goroutine that changes state meanwhile is shown
// as it was a moment ago, which is what a dump of a running program can promise; Go
// stops the world for its dump, but a stackless goroutine's frames are heap objects
// that stay readable while it runs on. The text forms are in GoroutineDumpText.cs.
//
// Invariants:
// - A dump is immutable once captured; Goroutines is ordered by id.
// - Capturing never throws for what it finds in a goroutine: an unreadable chain of
//   frames is cut short, not fatal.
/// <summary>
/// A snapshot of every live goroutine (Go's goroutine profile): ids, states, wait reasons, the
/// async frames each one is suspended in, and where each was created. Write it as Go's text with
/// <see cref="WriteTo"/>, or read it as data through <see cref="Goroutines"/>.
/// </summary>
/// <example>
/// <code>
/// GoroutineDump.Capture().WriteTo(Console.Error);                           // like Go's SIGQUIT dump
/// GoroutineDump.Capture().WriteTo(Console.Out, GoroutineDumpFormat.Grouped); // pprof's debug=1
/// </code>
/// </example>
public sealed class GoroutineDump
{
    private GoroutineDump(IReadOnlyList<GoroutineInfo> goroutines) => Goroutines = goroutines;

    /// <summary>A dump of goroutines already described (a bubble's, say).</summary>
    internal static GoroutineDump Of(IReadOnlyList<GoroutineInfo> goroutines) => new(goroutines);

    /// <summary>The goroutines, by id.</summary>
    public IReadOnlyList<GoroutineInfo> Goroutines { get; }

    /// <summary>
    /// What dumps cannot show in this process, written at their top; null when nothing is missing.
    /// Under Native AOT the compiler's async state machines keep no metadata to read, so suspended
    /// goroutines are listed without their async frames (their states, wait reasons and creation
    /// sites are exact), and the running goroutine's frames are named without source lines.
    /// </summary>
    internal static string? AsyncFramesNote { get; } = RuntimeFeature.IsDynamicCodeSupported
        ? null
        : "# Native AOT: suspended goroutines are listed without their async frames (their state machines keep no metadata to read); states, wait reasons and creation sites are exact.\n\n";

    /// <summary>Takes a snapshot of every live goroutine. Any thread; nothing is stopped.</summary>
    /// <returns>The snapshot.</returns>
    /// <remarks>
    /// A goroutine running on another thread is listed without frames (its stack cannot be read
    /// from outside); the goroutine that calls this is listed with its thread's frames.
    /// </remarks>
    public static GoroutineDump Capture()
    {
        List<Goroutine> live = Scheduler.Instance.LiveGoroutines();
        return new GoroutineDump(DescribeAll(live, Goroutine.Running, LeakDetector.IsMarkedLeaked));
    }

    /// <summary>
    /// Describes each of <paramref name="goroutines"/> that has not exited, in order, marked leaked
    /// where <paramref name="isLeaked"/> says so. Any thread; <paramref name="current"/> is the
    /// goroutine running on the calling thread, if any.
    /// </summary>
    internal static List<GoroutineInfo> DescribeAll(IReadOnlyCollection<Goroutine> goroutines, Goroutine? current, Func<Goroutine, bool> isLeaked)
    {
        long nowSeconds = Environment.TickCount64 / 1000;
        var described = new List<GoroutineInfo>(goroutines.Count);
        foreach (Goroutine g in goroutines)
        {
            if (Describe(g, current, nowSeconds, isLeaked(g)) is { } info)
            {
                described.Add(info);
            }
        }

        return described;
    }

    /// <summary>Writes the dump as Go's text in <paramref name="format"/>.</summary>
    /// <param name="writer">Where the text goes.</param>
    /// <param name="format">Every goroutine on its own (the default, Go's <c>debug=2</c>), or grouped (<c>debug=1</c>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="writer"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="format"/> is not a defined value.</exception>
    public void WriteTo(TextWriter writer, GoroutineDumpFormat format = GoroutineDumpFormat.Full)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(AsyncFramesNote);
        switch (format)
        {
            case GoroutineDumpFormat.Full:
                GoroutineDumpText.WriteFull(writer, Goroutines);
                break;
            case GoroutineDumpFormat.Grouped:
                GoroutineDumpText.WriteGrouped(writer, Goroutines);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, "Use GoroutineDumpFormat.Full or GoroutineDumpFormat.Grouped.");
        }
    }

    /// <summary>
    /// The goroutines of this snapshot for which <paramref name="predicate"/> returns true, as a
    /// dump of their own (to write only those: the ones a host left behind, say).
    /// </summary>
    /// <param name="predicate">Called once per goroutine, in id order.</param>
    /// <returns>A dump of the chosen goroutines, in id order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="predicate"/> is null.</exception>
    public GoroutineDump Where(Func<GoroutineInfo, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var chosen = new List<GoroutineInfo>();
        foreach (GoroutineInfo g in Goroutines)
        {
            if (predicate(g))
            {
                chosen.Add(g);
            }
        }

        return new GoroutineDump(chosen);
    }

    /// <summary>The dump in the <see cref="GoroutineDumpFormat.Full"/> form.</summary>
    /// <returns>Go's text of every goroutine.</returns>
    public override string ToString() => AsyncFramesNote + GoroutineDumpText.Full(Goroutines);

    /// <summary>
    /// Describes one goroutine as it is now, or returns null if it has exited. Any thread;
    /// <paramref name="current"/> is the goroutine running on the calling thread, if any.
    /// </summary>
    internal static GoroutineInfo? Describe(Goroutine g, Goroutine? current, long nowSeconds, bool isLeaked)
    {
        GoroutineStatus status = g.Status;
        WaitReason reason = g.WaitReason;
        int waitSince = g.WaitSinceSeconds;
        var frames = new List<GoroutineFrame>();
        GoroutineState state;
        switch (status)
        {
            case GoroutineStatus.Dead:
                return null;
            case GoroutineStatus.Running or GoroutineStatus.Syscall:
                state = status == GoroutineStatus.Running ? GoroutineState.Running : GoroutineState.BlockingCall;
                if (g == current)
                {
                    AsyncStackWalker.AppendCurrentFrames(frames);
                }

                break;
            default:
                state = status == GoroutineStatus.Waiting ? GoroutineState.Waiting : GoroutineState.Runnable;
                if (g.Entry is { } entry)
                {
                    frames.Add(AsyncStackWalker.DescribeEntry(entry));
                }
                else if (g.RootTask is { } root)
                {
                    AsyncStackWalker.AppendSuspendedFrames(root, frames);
                }

                break;
        }

        bool waiting = state == GoroutineState.Waiting;
        return new GoroutineInfo(
            g.Id,
            state,
            waiting ? (reason == Scheduling.WaitReason.None ? "waiting" : reason.ToGoString()) : null,
            waiting ? TimeSpan.FromSeconds(Math.Max(0, nowSeconds - waitSince)) : TimeSpan.Zero,
            frames,
            CreationSites.Of(g),
            g.ParentId,
            isLeaked);
    }
}
