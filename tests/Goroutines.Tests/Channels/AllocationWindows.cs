// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;

using Xunit;

namespace Goroutines.Tests.Channels;

/// <summary>
/// Allocation windows of a steady-state loop on one machine thread (GOMAXPROCS=1), as
/// WaiterTests measures its ping-pong: the thread's own allocation count over each window of
/// rounds, judged only when the measuring goroutine and its partner stayed on that thread
/// throughout. Windows go on until <see cref="JudgedWanted"/> were judged or
/// <see cref="MaxWindows"/> were measured, so a loaded machine that moves goroutines between
/// threads now and then does not leave the test without a verdict.
/// </summary>
internal sealed class AllocationWindows(int window)
{
    /// <summary>Judged windows after which the loop stops.</summary>
    public const int JudgedWanted = 3;

    /// <summary>Windows after which the loop stops regardless.</summary>
    public const int MaxWindows = 20;

    /// <summary>
    /// On the calling thread (one the runtime does not own, so nothing moves it): runs
    /// <paramref name="rounds"/> for a warm-up, then for three windows, and asserts each window
    /// allocated under one byte per round.
    /// </summary>
    public static void AssertSynchronousRoundsAllocateNothing(Action<int> rounds, int warmup, int window)
    {
        const int windows = 3;
        rounds(warmup);
        long[] bytes = new long[windows];
        for (int w = 0; w < windows; w++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            rounds(window);
            bytes[w] = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Assert.True(bytes.All(b => b < window), $"Bytes per window of {window} rounds: {string.Join(", ", bytes)}.");
    }

    private readonly List<long> _bytes = new(MaxWindows);
    private readonly List<bool> _judged = new(MaxWindows);
    private long _start;
    private int _windowThread;
    private bool _sameThread;

    /// <summary>
    /// Called by the measuring goroutine at the start of round <paramref name="round"/>, with the
    /// thread its partner last ran on. Closes a window every <c>window</c> rounds after
    /// <paramref name="warmup"/>; returns true when enough windows were measured (this round is the last).
    /// </summary>
    public bool AtRound(int round, int warmup, int partnerThread)
    {
        int thread = Environment.CurrentManagedThreadId;
        _sameThread &= thread == _windowThread && partnerThread == thread;
        if (round < warmup || (round - warmup) % window != 0)
        {
            return false;
        }

        long now = GC.GetAllocatedBytesForCurrentThread();
        if (round > warmup)
        {
            _bytes.Add(now - _start);
            _judged.Add(_sameThread);
            if (_judged.Count(j => j) >= JudgedWanted || _bytes.Count >= MaxWindows)
            {
                return true;
            }
        }

        _start = GC.GetAllocatedBytesForCurrentThread(); // after the bookkeeping above, which may allocate
        _windowThread = thread;
        _sameThread = true;
        return false;
    }

    /// <summary>Asserts that some window was judged and that every judged one allocated under a byte per round.</summary>
    public void AssertNothingAllocated(string rounds)
    {
        string figures = $"bytes per window of {window} {rounds} on the machine thread: {string.Join(", ", _bytes)}; judged: {string.Join(", ", _judged)}";
        Assert.True(_judged.Any(j => j), $"Every window had a goroutine move to another thread ({figures}).");
        for (int w = 0; w < _bytes.Count; w++)
        {
            Assert.True(!_judged[w] || _bytes[w] < window, figures);
        }
    }
}
