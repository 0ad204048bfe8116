// Licensed under the MIT License.

using System.Collections.Generic;
using System.Linq;
using System.Threading;

using Goroutines.Diagnostics;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Diagnostics;

public sealed class TraceRingTests
{
    [Fact]
    public void CopyTo_FewerEventsThanTheRingHolds_CopiesAllAndLostNothing()
    {
        var ring = new TraceRing(chunks: 2);
        for (int i = 0; i < 600; i++)
        {
            ring.Add(Numbered(i));
        }

        var copy = new List<TraceEvent>();
        Assert.False(ring.CopyTo(copy));

        Assert.Equal(Enumerable.Range(0, 600).Select(i => (long)i), copy.Select(e => e.Timestamp).Order());
        Assert.Equal(0, ring.Overwritten);
    }

    [Fact]
    public void CopyTo_MoreEventsThanTheRingHolds_KeepsTheLatestChunks()
    {
        var ring = new TraceRing(chunks: 2);
        Assert.Equal(2 * TraceRing.ChunkEvents, ring.Capacity);

        // 1,500 events: the third chunk's worth reused the first chunk, overwriting events 0-511.
        for (int i = 0; i < 1500; i++)
        {
            ring.Add(Numbered(i));
        }

        var copy = new List<TraceEvent>();
        Assert.True(ring.CopyTo(copy));

        Assert.Equal(Enumerable.Range(TraceRing.ChunkEvents, 1500 - TraceRing.ChunkEvents).Select(i => (long)i), copy.Select(e => e.Timestamp).Order());
        Assert.Equal(TraceRing.ChunkEvents, ring.Overwritten);
    }

    [Fact]
    public void CopyTo_WhileTheWriterWraps_NeverCopiesATornEvent()
    {
        // The writer stores events whose fields all carry the same number, as fast as it can, until
        // the reader has copied the ring 2,000 times; a copy that caught a slot being overwritten
        // would mix two numbers.
        const int Copies = 2_000;
        var ring = new TraceRing(chunks: 4);
        bool stop = false;
        int written = 0;
        var writer = new Thread(() =>
        {
            int i = 0;
            for (; !Volatile.Read(ref stop); i++)
            {
                ring.Add(Numbered(i));
            }

            written = i;
        });
        writer.Start();

        var copy = new List<TraceEvent>(ring.Capacity);
        int torn = 0;
        for (int copies = 0; copies < Copies; copies++)
        {
            copy.Clear();
            ring.CopyTo(copy);
            torn += copy.Count(e => !IsWhole(e));
            Assert.True(copy.Count <= ring.Capacity);
        }

        Volatile.Write(ref stop, true);
        Assert.True(writer.Join(TestTimeouts.Default), "the writer did not stop");
        Assert.Equal(0, torn);

        // At rest the ring holds its last chunks whole: the full ones and the current one.
        copy.Clear();
        ring.CopyTo(copy);
        int held = ring.Capacity - TraceRing.ChunkEvents + (written % TraceRing.ChunkEvents == 0 && written > 0 ? TraceRing.ChunkEvents : written % TraceRing.ChunkEvents);
        Assert.Equal(Enumerable.Range(written - held, held).Select(i => (long)i), copy.Select(e => e.Timestamp).Order());
        Assert.Equal(written - held, ring.Overwritten);
    }

    private static TraceEvent Numbered(int i) =>
        new(TraceEventKind.Ready, i, i, i, i, i, i, i, null);

    private static bool IsWhole(TraceEvent e) =>
        e.EndTimestamp == e.Timestamp && e.Processor == e.Timestamp && e.Machine == e.Timestamp
        && e.Goroutine == e.Timestamp && e.Argument == e.Timestamp && e.SecondArgument == e.Timestamp;
}
