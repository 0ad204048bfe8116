// Licensed under the MIT License.

using System;
using System.IO;
using System.Net;
using System.Text;

namespace Goroutines.Net;

/// <summary>
/// A failed network operation, Go's <c>*net.OpError</c>: it names the operation, the network
/// and the addresses, and wraps the cause. Its message reads as Go's error, for example
/// <c>dial tcp 127.0.0.1:1: connect: connection refused</c> or
/// <c>read tcp 127.0.0.1:5000-&gt;127.0.0.1:61234: i/o timeout</c>.
/// </summary>
/// <remarks>
/// The cause (<see cref="Exception.InnerException"/>) is a <see cref="System.Net.Sockets.SocketException"/>
/// for an error of the system (its message names the call, as Go's <c>os.SyscallError</c>), a
/// <see cref="TimeoutException"/> when a deadline passed (<see cref="IsTimeout"/>, Go's
/// <c>os.ErrDeadlineExceeded</c>), or an <see cref="ObjectDisposedException"/> when the connection
/// or listener was closed (<see cref="IsClosed"/>, Go's <c>net.ErrClosed</c>). An
/// <see cref="IOException"/>, so code written against <see cref="Stream"/> handles it as it
/// handles any I/O failure.
/// </remarks>
public sealed class NetOperationException : IOException
{
    /// <summary>The message of a deadline's failure, as Go's.</summary>
    public const string TimeoutMessage = "i/o timeout";

    /// <summary>The message of a call on a closed connection or listener, as Go's <c>net.ErrClosed</c>.</summary>
    public const string ClosedMessage = "use of closed network connection";

    /// <summary>Creates the error of <paramref name="operation"/> on <paramref name="network"/> between the two addresses.</summary>
    /// <param name="operation">The operation: <c>dial</c>, <c>listen</c>, <c>accept</c>, <c>read</c>, <c>write</c>, <c>close</c>.</param>
    /// <param name="network">The network, as Go names it (<c>tcp</c>, <c>udp</c>, <c>unix</c>).</param>
    /// <param name="source">The local address, if known.</param>
    /// <param name="address">The remote address (the local one for <c>listen</c> and <c>accept</c>), if known.</param>
    /// <param name="cause">What went wrong.</param>
    public NetOperationException(string operation, string network, EndPoint? source, EndPoint? address, Exception cause)
        : base(Describe(operation, network, source, address, cause), cause)
    {
        Operation = operation;
        Network = network;
        SourceAddress = source;
        Address = address;
    }

    /// <summary>The operation that failed: <c>dial</c>, <c>listen</c>, <c>accept</c>, <c>read</c>, <c>write</c>, <c>close</c>.</summary>
    public string Operation { get; }

    /// <summary>The network, as Go names it.</summary>
    public string Network { get; }

    /// <summary>The local address, if known.</summary>
    public EndPoint? SourceAddress { get; }

    /// <summary>The remote address, or for a listener its own; null when unknown.</summary>
    public EndPoint? Address { get; }

    /// <summary>Whether a deadline passed (Go's <c>net.Error.Timeout()</c>).</summary>
    public bool IsTimeout => InnerException is TimeoutException;

    /// <summary>Whether the connection or listener was closed (Go's <c>errors.Is(err, net.ErrClosed)</c>).</summary>
    public bool IsClosed => InnerException is ObjectDisposedException;

    internal static NetOperationException Timeout(string operation, string network, EndPoint? source, EndPoint? address) =>
        new(operation, network, source, address, new TimeoutException(TimeoutMessage));

    internal static NetOperationException Closed(string operation, string network, EndPoint? source, EndPoint? address) =>
        new(operation, network, source, address, new ObjectDisposedException(null, ClosedMessage));

    private static string Describe(string operation, string network, EndPoint? source, EndPoint? address, Exception cause)
    {
        var text = new StringBuilder(operation);
        if (network.Length > 0)
        {
            text.Append(' ').Append(network);
        }

        if (source is not null)
        {
            text.Append(' ').Append(source);
        }

        if (address is not null)
        {
            text.Append(source is null ? " " : "->").Append(address);
        }

        return text.Append(": ").Append(cause.Message).ToString();
    }
}
