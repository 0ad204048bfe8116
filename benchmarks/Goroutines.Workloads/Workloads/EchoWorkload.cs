// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Net;
using Goroutines.Sync;
using Goroutines.Time;
using Goroutines.Workloads.Support;

namespace Goroutines.Workloads.Workloads;

/// <summary>
/// W11 echo: a TCP echo server on 127.0.0.1 (one goroutine per connection) and, in the same
/// process, C client goroutines; each client connects, waits for all others to connect, then
/// sends M messages of S bytes and reads each echo before sending the next. Every socket has a
/// deadline, the end of the run (-timeout). Figure: messages per second. Flags: -conns, -msgs,
/// -size, -timeout, -warmup; and <c>--engine</c>, which picks the network engine on this runtime.
/// </summary>
/// <remarks>
/// <para>
/// On plain .NET: an accept loop in <see cref="Task.Run(Func{Task})"/>, a <c>Task.Run</c> per
/// accepted connection, a <c>Task.Run</c> per client, each awaiting
/// <see cref="Socket.ReceiveAsync(Memory{byte}, SocketFlags, CancellationToken)"/> and
/// <see cref="Socket.SendAsync(ReadOnlyMemory{byte}, SocketFlags, CancellationToken)"/>; a
/// <see cref="Countdown"/> for each WaitGroup and a <see cref="TaskCompletionSource"/> for the gate.
/// </para>
/// <para>
/// On this runtime with <c>--engine dotnet-sockets</c>: the same program in goroutines
/// (<see cref="Go.Main"/>, <see cref="Go.Run(Func{Task}, string, string, int)"/>, <see cref="WaitGroup"/>,
/// a closed <see cref="Chan{T}"/> as the gate), awaiting the same <see cref="Socket"/> calls: .NET's
/// socket engine completes each and posts the continuation back to its goroutine.
/// </para>
/// <para>
/// On this runtime with the default engine, <c>runtime</c>: the Go program line for line over
/// <see cref="Network"/> (<see cref="Listener.AcceptAsync"/>, <see cref="Network.DialAsync"/>,
/// <see cref="Conn.ReadAsync"/>, <see cref="Conn.WriteAsync"/>, <see cref="Conn.SetDeadline"/>),
/// parked in the runtime's own netpoller.
/// </para>
/// <para>
/// Go's deadline is a <see cref="CancellationTokenSource"/> that cancels at -timeout, its token
/// passed to every socket call; also to the connect, which Go leaves to the kernel's own timeout,
/// so that every wait of the run is bounded. A call cut short fails its client, and the run ends
/// with the Go reference's message. Go sets TCP_NODELAY on every connection, and so does this
/// program; Go's default keep-alive (on, 15 s) is not set: it cannot fire in a run this short,
/// and its syscalls happen before the clock starts.
/// </para>
/// </remarks>
internal static class EchoWorkload
{
    // The server's read buffer, as the Go reference.
    private const int ServerBufferSize = 4096;

    public static void Run(WorkloadArguments args)
    {
        int conns = args.Int("conns", 1000);
        int msgs = args.Int("msgs", 1000);
        int size = args.Int("size", 64);
        TimeSpan timeout = args.Duration("timeout", TimeSpan.FromSeconds(60));
        bool warmup = args.Bool("warmup", true);
        string engine = args.String("engine", "runtime");
        args.RejectUnknown();
        if (engine is not ("runtime" or "dotnet-sockets"))
        {
            throw new ArgumentException($"--engine must be 'runtime' or 'dotnet-sockets', not '{engine}'");
        }

        Action<int, int, int, TimeSpan> pass = (args.Runtime, engine) switch
        {
            (RuntimeKind.DotNet, _) => OnDotNet,
            (RuntimeKind.Goroutines, "dotnet-sockets") => OnGoroutinesOverDotNetSockets,
            _ => OnGoroutines,
        };
        Figures.Warmup(warmup, () => pass(Math.Max(conns / 100, 1), Math.Max(msgs / 10, 1), size, timeout));
        pass(conns, msgs, size, timeout);
    }

    private static void OnGoroutines(int conns, int msgs, int size, TimeSpan timeout) => Go.Main(async () =>
    {
        DateTimeOffset deadline = Clock.Provider.GetUtcNow() + timeout;
        using Listener listener = Network.Listen("tcp", "127.0.0.1:0");
        Go.Run(async () =>
        {
            while (true)
            {
                Conn connection;
                try
                {
                    connection = await listener.AcceptAsync();
                }
                catch (NetOperationException)
                {
                    return;
                }

                Go.Run(async () =>
                {
                    await using (connection)
                    {
                        connection.SetDeadline(deadline);
                        byte[] buffer = new byte[ServerBufferSize];
                        try
                        {
                            int n;
                            while ((n = await connection.ReadAsync(buffer)) > 0)
                            {
                                await connection.WriteAsync(buffer.AsMemory(0, n));
                            }
                        }
                        catch (NetOperationException)
                        {
                            // The client hung up hard, or the deadline passed: the connection is done.
                        }
                    }
                });
            }
        });

        string address = listener.Addr.ToString()!;
        var gate = new Chan<bool>();
        var ready = new WaitGroup();
        var done = new WaitGroup();
        long failures = 0;
        ready.Add(conns);
        done.Add(conns);
        for (int i = 0; i < conns; i++)
        {
            Go.Run(async () =>
            {
                try
                {
                    Conn connection;
                    try
                    {
                        connection = await Network.DialAsync("tcp", address);
                    }
                    catch (NetOperationException)
                    {
                        ready.Done();
                        Interlocked.Increment(ref failures);
                        return;
                    }

                    ready.Done();
                    await using (connection)
                    {
                        connection.SetDeadline(deadline);
                        await gate.ReceiveAsync();
                        byte[] output = new byte[size];
                        byte[] input = new byte[size];
                        for (int j = 0; j < size; j++)
                        {
                            output[j] = (byte)j;
                        }

                        try
                        {
                            for (int m = 0; m < msgs; m++)
                            {
                                await connection.WriteAsync(output);
                                await connection.ReadExactlyAsync(input);
                            }
                        }
                        catch (Exception ex) when (ex is NetOperationException or EndOfStreamException)
                        {
                            Interlocked.Increment(ref failures);
                        }
                    }
                }
                finally
                {
                    done.Done();
                }
            });
        }

        await ready.WaitAsync();
        long start = Stopwatch.GetTimestamp();
        gate.Close();
        await done.WaitAsync();
        Report(Stopwatch.GetElapsedTime(start), Interlocked.Read(ref failures), conns, msgs, timeout);
    });

    private static void OnGoroutinesOverDotNetSockets(int conns, int msgs, int size, TimeSpan timeout) => Go.Main(async () =>
    {
        using var deadline = new CancellationTokenSource(timeout);
        CancellationToken token = deadline.Token;
        using Socket listener = LoopbackSockets.Listen("echo");
        Go.Run(async () =>
        {
            while (true)
            {
                Socket connection;
                try
                {
                    connection = await listener.AcceptAsync();
                }
                catch (Exception ex) when (LoopbackSockets.IsNetworkError(ex))
                {
                    return;
                }

                connection.NoDelay = true;
                Go.Run(() => ServeAsync(connection, token));
            }
        });

        var endpoint = (IPEndPoint)listener.LocalEndPoint!;
        var gate = new Chan<bool>();
        var ready = new WaitGroup();
        var done = new WaitGroup();
        long failures = 0;
        ready.Add(conns);
        done.Add(conns);
        for (int i = 0; i < conns; i++)
        {
            Go.Run(async () =>
            {
                try
                {
                    Socket? connection = await DialAsync(endpoint, token);
                    ready.Done();
                    if (connection is null)
                    {
                        Interlocked.Increment(ref failures);
                        return;
                    }

                    using (connection)
                    {
                        await gate.ReceiveAsync();
                        if (!await ExchangeAsync(connection, msgs, size, token))
                        {
                            Interlocked.Increment(ref failures);
                        }
                    }
                }
                finally
                {
                    done.Done();
                }
            });
        }

        await ready.WaitAsync();
        long start = Stopwatch.GetTimestamp();
        gate.Close();
        await done.WaitAsync();
        Report(Stopwatch.GetElapsedTime(start), Interlocked.Read(ref failures), conns, msgs, timeout);
    });

    private static void OnDotNet(int conns, int msgs, int size, TimeSpan timeout) =>
        OnDotNetAsync(conns, msgs, size, timeout).GetAwaiter().GetResult();

    private static async Task OnDotNetAsync(int conns, int msgs, int size, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        CancellationToken token = deadline.Token;
        using Socket listener = LoopbackSockets.Listen("echo");
        _ = Task.Run(async () =>
        {
            while (true)
            {
                Socket connection;
                try
                {
                    connection = await listener.AcceptAsync();
                }
                catch (Exception ex) when (LoopbackSockets.IsNetworkError(ex))
                {
                    return;
                }

                connection.NoDelay = true;
                _ = Task.Run(() => ServeAsync(connection, token));
            }
        });

        var endpoint = (IPEndPoint)listener.LocalEndPoint!;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ready = new Countdown(conns);
        var done = new Countdown(conns);
        long failures = 0;
        for (int i = 0; i < conns; i++)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    Socket? connection = await DialAsync(endpoint, token);
                    ready.Signal();
                    if (connection is null)
                    {
                        Interlocked.Increment(ref failures);
                        return;
                    }

                    using (connection)
                    {
                        await gate.Task;
                        if (!await ExchangeAsync(connection, msgs, size, token))
                        {
                            Interlocked.Increment(ref failures);
                        }
                    }
                }
                finally
                {
                    done.Signal();
                }
            });
        }

        await ready.Task;
        long start = Stopwatch.GetTimestamp();
        gate.SetResult();
        await done.Task;
        Report(Stopwatch.GetElapsedTime(start), Interlocked.Read(ref failures), conns, msgs, timeout);
    }

    /// <summary>The server's side of one connection: echoes what it reads until EOF, an error or the deadline.</summary>
    private static async Task ServeAsync(Socket connection, CancellationToken deadline)
    {
        using (connection)
        {
            byte[] buffer = new byte[ServerBufferSize];
            try
            {
                while (true)
                {
                    int n = await connection.ReceiveAsync(buffer, SocketFlags.None, deadline);
                    if (n == 0)
                    {
                        return;
                    }

                    await LoopbackSockets.SendAllAsync(connection, buffer.AsMemory(0, n), deadline);
                }
            }
            catch (Exception ex) when (LoopbackSockets.IsNetworkError(ex))
            {
                // As the Go reference's server goroutine, which returns on any error.
            }
        }
    }

    /// <summary>A connection to the server, or null if it failed (Go's <c>net.Dial</c> error).</summary>
    private static async Task<Socket?> DialAsync(IPEndPoint endpoint, CancellationToken deadline)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endpoint, deadline);
            socket.NoDelay = true;
            return socket;
        }
        catch (Exception ex) when (LoopbackSockets.IsNetworkError(ex))
        {
            socket.Dispose();
            return null;
        }
    }

    /// <summary>
    /// One client's measured part: <paramref name="msgs"/> times, send <paramref name="size"/> bytes
    /// and read as many back (Go's <c>io.ReadFull</c>). False on any error, an early EOF or the deadline.
    /// </summary>
    private static async Task<bool> ExchangeAsync(Socket connection, int msgs, int size, CancellationToken deadline)
    {
        byte[] output = new byte[size];
        byte[] input = new byte[size];
        for (int j = 0; j < output.Length; j++)
        {
            output[j] = (byte)j;
        }

        try
        {
            for (int m = 0; m < msgs; m++)
            {
                await LoopbackSockets.SendAllAsync(connection, output, deadline);
                for (int got = 0; got < size;)
                {
                    int n = await connection.ReceiveAsync(input.AsMemory(got), SocketFlags.None, deadline);
                    if (n == 0)
                    {
                        return false;
                    }

                    got += n;
                }
            }

            return true;
        }
        catch (Exception ex) when (LoopbackSockets.IsNetworkError(ex))
        {
            return false;
        }
    }

    private static void Report(TimeSpan elapsed, long failures, int conns, int msgs, TimeSpan timeout)
    {
        if (failures > 0)
        {
            Failure.Exit($"echo: {failures} of {conns} clients failed (timeout {timeout.TotalSeconds}s?)");
        }

        long total = (long)conns * msgs;
        Figures.Emit("echo.msgs_per_sec", total / elapsed.TotalSeconds, "msg/s");
    }
}
