// Licensed under the MIT License.

using System;
using System.IO;
using System.Net;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Net;
using Goroutines.Scheduling;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Net;

/// <summary>
/// <see cref="Conn.ReadAtLeastAsync"/> and <see cref="Conn.ReadExactlyAsync"/> (Go's
/// <c>io.ReadAtLeast</c> and <c>io.ReadFull</c>, with <see cref="Stream"/>'s contract): bytes that
/// arrive in pieces fill the buffer in order, the end of the stream returns what came or throws
/// <see cref="EndOfStreamException"/>, and deadlines, cancellation and datagrams behave as a plain
/// read's do.
/// </summary>
public sealed class ReadAtLeastTests : RuntimeTest
{
    [Fact]
    public async Task ReadExactlyAsync_BytesArriveInPiecesWhileParked_FillsTheBufferInOrder()
    {
        using TcpPair pair = await TcpPair.OpenAsync();
        byte[] buffer = new byte[12];
        Spawned reader = await Spawned.ParkedAsync(async () => await pair.Server.ReadExactlyAsync(buffer), WaitReason.IOWait);

        await GoTest.RunAsync(async () =>
        {
            await pair.Client.WriteAsync("hello"u8.ToArray());
            await pair.Client.WriteAsync(" "u8.ToArray());
            await pair.Client.WriteAsync("world!"u8.ToArray());
        });

        await reader.Completion.Within(what: "the reader");
        Assert.Equal("hello world!"u8.ToArray(), buffer);
    }

    [Fact]
    public async Task ReadAtLeastAsync_MoreQueuedThanTheMinimum_TakesWhatFitsInTheBuffer()
    {
        using TcpPair pair = await TcpPair.OpenAsync();
        await GoTest.RunAsync(async () =>
        {
            await pair.Client.WriteAsync("0123456789"u8.ToArray());
            byte[] buffer = new byte[10];

            // The first call may see only part of the bytes; the result is at least 4, and what
            // came is in order at the buffer's start.
            int got = await pair.Server.ReadAtLeastAsync(buffer, minimumBytes: 4);
            Assert.InRange(got, 4, 10);
            Assert.Equal("0123456789"u8.ToArray()[..got], buffer[..got]);
            Assert.Equal("0123456789"u8.ToArray()[got..], await pair.Server.ReadBytesAsync(10 - got));
        });
    }

    [Fact]
    public async Task ReadAtLeastAsync_StreamEndsFirstWithoutThrow_ReturnsTheBytesThatCame()
    {
        using TcpPair pair = await TcpPair.OpenAsync();
        await GoTest.RunAsync(async () =>
        {
            await pair.Client.WriteAsync("abcd"u8.ToArray());
            pair.Client.CloseWrite();
            byte[] buffer = new byte[10];

            Assert.Equal(4, await pair.Server.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false));
            Assert.Equal("abcd"u8.ToArray(), buffer[..4]);
            Assert.Equal(0, await pair.Server.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false));
        });
    }

    [Fact]
    public async Task ReadExactlyAsync_StreamEndsFirst_ThrowsEndOfStream()
    {
        using TcpPair pair = await TcpPair.OpenAsync();
        byte[] buffer = new byte[10];
        Spawned reader = await Spawned.ParkedAsync(async () => await pair.Server.ReadExactlyAsync(buffer), WaitReason.IOWait);
        await GoTest.RunAsync(async () => await pair.Client.WriteAsync("abcd"u8.ToArray()));
        pair.Client.CloseWrite();

        await Assert.ThrowsAsync<EndOfStreamException>(() => reader.Completion.Within(what: "the reader"));
        Assert.Equal("abcd"u8.ToArray(), buffer[..4]);
        await Assert.ThrowsAsync<EndOfStreamException>(() => GoTest.RunAsync(async () => await pair.Server.ReadAtLeastAsync(buffer, 1)));
    }

    [Fact]
    public async Task ReadAtLeastAsync_MinimumOutOfRange_ThrowsArgumentOutOfRange()
    {
        using TcpPair pair = await TcpPair.OpenAsync();
        byte[] buffer = new byte[4];

        var negative = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await pair.Server.ReadAtLeastAsync(buffer, -1));
        Assert.Equal("minimumBytes", negative.ParamName);
        var tooMany = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await pair.Server.ReadAtLeastAsync(buffer, 5));
        Assert.Equal("minimumBytes", tooMany.ParamName);
    }

    [Fact]
    public async Task ReadAtLeastAsync_ZeroMinimumOrEmptyBuffer_CompletesAtOnceWithoutConsuming()
    {
        using TcpPair pair = await TcpPair.OpenAsync();
        await GoTest.RunAsync(async () =>
        {
            ValueTask<int> zero = pair.Server.ReadAtLeastAsync(new byte[4], 0);
            Assert.True(zero.IsCompletedSuccessfully, "a read of at least 0 bytes waited");
            Assert.Equal(0, await zero);
            ValueTask empty = pair.Server.ReadExactlyAsync(Memory<byte>.Empty);
            Assert.True(empty.IsCompletedSuccessfully, "a read of no bytes waited");

            await pair.Client.WriteAsync("x"u8.ToArray());
            Assert.Equal("x"u8.ToArray(), await pair.Server.ReadBytesAsync(1));
        });
    }

    [Fact]
    public async Task ReadExactlyAsync_CancelableToken_FillsTheBufferThenCancelsAParkedRead()
    {
        using TcpPair pair = await TcpPair.OpenAsync();
        using var cancellation = new CancellationTokenSource();
        byte[] buffer = new byte[8];
        Spawned filled = await Spawned.ParkedAsync(async () => await pair.Server.ReadExactlyAsync(buffer, cancellation.Token), WaitReason.IOWait);
        await GoTest.RunAsync(async () =>
        {
            await pair.Client.WriteAsync("1234"u8.ToArray());
            await pair.Client.WriteAsync("5678"u8.ToArray());
        });
        await filled.Completion.Within(what: "the first reader");
        Assert.Equal("12345678"u8.ToArray(), buffer);

        Spawned canceled = await Spawned.ParkedAsync(async () => await pair.Server.ReadExactlyAsync(buffer, cancellation.Token), WaitReason.IOWait);
        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canceled.Completion.Within(what: "the canceled reader"));
    }

    [Fact]
    public async Task ReadExactlyAsync_ReadDeadlinePassesAfterPartCame_FailsWithTimeout()
    {
        using FakeRuntimeClock clock = FakeRuntimeClock.Install();
        using TcpPair pair = await TcpPair.OpenAsync();
        pair.Server.SetReadDeadline(clock.GetUtcNow() + TimeSpan.FromSeconds(1));
        byte[] buffer = new byte[8];
        Spawned reader = await Spawned.ParkedAsync(async () => await pair.Server.ReadExactlyAsync(buffer), WaitReason.IOWait);
        await GoTest.RunAsync(async () => await pair.Client.WriteAsync("half"u8.ToArray()));

        clock.Advance(TimeSpan.FromSeconds(1));

        NetOperationException error = await Assert.ThrowsAsync<NetOperationException>(() => reader.Completion.Within(what: "the reader"));
        Assert.True(error.IsTimeout, error.Message);
        Assert.Equal($"read tcp {pair.Server.LocalAddr}->{pair.Server.RemoteAddr}: i/o timeout", error.Message);
    }

    [Fact]
    public async Task ReadAtLeastAsync_DatagramsQueued_TakesOneAfterAnotherUntilTheMinimum()
    {
        await GoTest.RunAsync(async () =>
        {
            using PacketConn server = Network.ListenPacket("udp", "127.0.0.1:0");
            await using Conn reader = await Network.DialAsync("udp", server.LocalAddr!.ToString()!);
            EndPoint readerAddress = reader.LocalAddr!;

            // Both datagrams are in the reader's queue once the sends return (loopback).
            await server.WriteToAsync("abcd"u8.ToArray(), readerAddress);
            await server.WriteToAsync("efgh"u8.ToArray(), readerAddress);
            byte[] buffer = new byte[8];

            Assert.Equal(8, await reader.ReadAtLeastAsync(buffer, 8).AsTask().Within(what: "the read"));
            Assert.Equal("abcdefgh"u8.ToArray(), buffer);
        });
    }
}
