// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Contexts;

namespace Goroutines.Net;

/// <summary>
/// Options for connecting, Go's <c>net.Dialer</c>. A goroutine blocked in a dial is parked in the
/// netpoller until the connection is made or fails.
/// </summary>
/// <remarks>
/// A host name is resolved by the system's resolver (<see cref="Dns"/>), and its addresses are
/// tried in the order it returns them until one connects; the error of the first is thrown if
/// none does. The timeout and the deadline bound the whole dial, resolution excepted.
/// </remarks>
public sealed class Dialer
{
    /// <summary>The longest a dial may take; zero (the default) for no limit beyond the system's.</summary>
    public TimeSpan Timeout { get; set; }

    /// <summary>When a dial fails if it is not done; <c>default</c> for none.</summary>
    public DateTimeOffset Deadline { get; set; }

    /// <summary>The local address to dial from (Go's <c>LocalAddr</c>); null for one the system picks.</summary>
    public EndPoint? LocalAddr { get; set; }

    /// <summary>Keep-alive period of the connection: zero for Go's 15 seconds, negative for off.</summary>
    public TimeSpan KeepAlive { get; set; }

    /// <summary>
    /// Called with the network, the address and a view of the new socket before it binds or
    /// connects (Go's <c>Control</c>), to set options the dialer does not name.
    /// </summary>
    public Action<string, string, RawSocket>? Control { get; set; }

    /// <summary>
    /// Connects to <paramref name="address"/> on <paramref name="network"/> (Go's <c>Dial</c>):
    /// <c>tcp</c>, <c>tcp4</c>, <c>tcp6</c>, <c>udp</c>, <c>udp4</c>, <c>udp6</c> with
    /// <c>host:port</c>, or <c>unix</c>, <c>unixgram</c> with a path.
    /// </summary>
    /// <param name="network">The network.</param>
    /// <param name="address">Where to connect.</param>
    /// <param name="cancellationToken">Cancels the dial (then <see cref="OperationCanceledException"/>).</param>
    /// <returns>The connection.</returns>
    /// <exception cref="ArgumentException">An unknown network or a malformed address.</exception>
    /// <exception cref="NetOperationException">The connection failed (refused, unreachable), or the timeout or deadline passed (<see cref="NetOperationException.IsTimeout"/>).</exception>
    public ValueTask<Conn> DialAsync(string network, string address, CancellationToken cancellationToken = default) =>
        DialCoreAsync(network, address, synchronously: false, cancellationToken);

    /// <summary>
    /// <see cref="DialAsync(string, string, CancellationToken)"/> under <paramref name="context"/>
    /// (Go's <c>DialContext</c>): its deadline bounds the dial too, and its end cancels it.
    /// </summary>
    /// <param name="context">The context of the dial.</param>
    /// <param name="network">The network.</param>
    /// <param name="address">Where to connect.</param>
    /// <returns>The connection.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="context"/> is null.</exception>
    /// <exception cref="ContextCanceledException">The context ended first (<see cref="DeadlineExceededException"/> past its deadline).</exception>
    /// <exception cref="NetOperationException">The connection failed.</exception>
    public async ValueTask<Conn> DialAsync(Context context, string network, string address)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.ThrowIfDone();
        try
        {
            return await DialAsync(network, address, context.CancellationToken).ConfigureAwait(true);
        }
        catch (OperationCanceledException) when (context.Err is not null)
        {
            context.ThrowIfDone();
            throw;
        }
    }

    /// <summary>
    /// The blocking form of <see cref="DialAsync(string, string, CancellationToken)"/>: on a
    /// goroutine's thread, its processor is handed to another thread while it waits.
    /// </summary>
    /// <param name="network">The network.</param>
    /// <param name="address">Where to connect.</param>
    /// <returns>The connection.</returns>
    /// <exception cref="ArgumentException">An unknown network or a malformed address.</exception>
    /// <exception cref="NetOperationException">The connection failed, or the timeout or deadline passed.</exception>
    public Conn Dial(string network, string address)
    {
        ValueTask<Conn> dial = DialCoreAsync(network, address, synchronously: true, CancellationToken.None);
        Debug.Assert(dial.IsCompleted, "a synchronous dial completes before it returns");
        return dial.GetAwaiter().GetResult();
    }

    // Both forms of the dial: synchronously, the resolution and the connect block the thread,
    // and the returned awaitable is complete. Each address in turn until one connects; the first
    // failure is thrown if none does, and a timeout ends the attempts (the deadline is the dial's).
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Conn> DialCoreAsync(string network, string address, bool synchronously, CancellationToken cancellationToken)
    {
        NetworkKind kind = NetworkKinds.Parse(network, "dial");
        long? deadline = DialDeadline();
        EndPoint[] targets = synchronously
            ? AddressResolver.Resolve(kind, address, "dial", listening: false)
            : await AddressResolver.ResolveAsync(kind, address, "dial", listening: false, cancellationToken).ConfigureAwait(true);
        NetOperationException? first = null;
        foreach (EndPoint target in targets)
        {
            NetSocket socket = Open(kind, target, network, address, deadline);
            try
            {
                if (synchronously)
                {
                    socket.Connect(target);
                }
                else
                {
                    await socket.ConnectAsync(target, cancellationToken).ConfigureAwait(true);
                }

                socket.SetDeadline(PollMode.Write, null); // the dial's deadline is not the connection's
                return new Conn(socket);
            }
            catch (NetOperationException e)
            {
                socket.Close();
                first ??= e;
                if (e.IsTimeout)
                {
                    break;
                }
            }
            catch
            {
                socket.Close();
                throw;
            }
        }

        throw first!;
    }

    // The earliest of the timeout and the deadline, on the runtime's clock; null for none.
    private long? DialDeadline()
    {
        long? byTimeout = Timeout > TimeSpan.Zero ? Scheduling.Scheduler.Instance.DeadlineAfter(Timeout) : null;
        return Deadlines.Earlier(byTimeout, Deadlines.ToClock(Deadline));
    }

    private NetSocket Open(NetworkKind kind, EndPoint target, string network, string address, long? deadline)
    {
        NetSocket socket = NetSocket.Create(kind, target.AddressFamily, "dial", target);
        try
        {
            socket.NoteTarget(target);
            if (kind.IsTcp())
            {
                socket.ConfigureTcp(KeepAlive, "dial");
            }

            Control?.Invoke(network, address, new RawSocket(socket));
            if (LocalAddr is not null)
            {
                socket.Bind(LocalAddr, "dial");
            }

            socket.SetDeadline(PollMode.Write, deadline);
            return socket;
        }
        catch
        {
            socket.Close();
            throw;
        }
    }
}
