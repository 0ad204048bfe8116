// Licensed under the MIT License.

using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace Goroutines.Net;

/// <summary>
/// A <see cref="Stream"/> over a <see cref="Conn"/> (what <see cref="System.Net.Sockets.NetworkStream"/>
/// is to a socket): reads and writes go to the connection, so a goroutine awaiting them parks in
/// the netpoller. Not seekable; flushing does nothing (a write hands every byte to the kernel).
/// Disposing it closes the connection.
/// </summary>
/// <remarks>
/// A zero-length read waits until data came (or the stream ended) and consumes nothing, as
/// NetworkStream's does: SslStream and pipes make one before they take a buffer, so an idle
/// connection holds none. <see cref="Conn.ReadAsync"/> keeps Go's rule (it returns at once).
/// </remarks>
internal sealed class ConnStream(Conn connection) : Stream
{
    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException("A network stream has no length.");

    public override long Position
    {
        get => throw new NotSupportedException("A network stream has no position.");
        set => throw new NotSupportedException("A network stream has no position.");
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            connection.WaitReadable();
            return 0;
        }

        return connection.Read(buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        buffer.IsEmpty ? WaitReadableAsync(cancellationToken) : connection.ReadAsync(buffer, cancellationToken);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> WaitReadableAsync(CancellationToken cancellationToken)
    {
        await connection.WaitReadableAsync(cancellationToken).ConfigureAwait(true);
        return 0;
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        connection.Write(buffer.AsSpan(offset, count));
    }

    public override void Write(ReadOnlySpan<byte> buffer) => connection.Write(buffer);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return connection.WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        connection.WriteAsync(buffer, cancellationToken);

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A network stream cannot seek.");

    public override void SetLength(long value) => throw new NotSupportedException("A network stream has no length.");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            connection.Close();
        }

        base.Dispose(disposing);
    }
}
