// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Net;
using Goroutines.Sync;
using Goroutines.Time;
using Goroutines.Workloads.Support;

namespace Goroutines.Workloads.Workloads;

/// <summary>
/// W13 conns: one goroutine per network connection, many idle connections. A TCP server on
/// 127.0.0.1 with one goroutine per accepted connection, each blocked reading; in the same
/// process, G client goroutines open C connections between them (each its own share, one at a
/// time) and keep them open and idle. Figures: VmRSS growth per connection after a full
/// collection, from before the listener is created to when all C are established and every
/// server goroutine has entered its read; the time to establish all C; the time for one echo of
/// -size bytes on every connection (each client goroutine writes to all of its connections, then
/// reads all back); peak RSS. Then the server closes every connection, the clients close theirs,
/// and the listener closes. Flags: -conns, -per-addr, -clients, -window, -size, -bind-no-port,
/// -timeout, -warmup; and <c>--engine</c>, which picks the network engine on this runtime.
/// </summary>
/// <remarks>
/// <para>
/// As the Go reference: client sockets are bound to 127.0.0.2, 127.0.0.3, ... (-per-addr
/// connections each) to get past one address's ~28k ephemeral ports, with IP_BIND_ADDRESS_NO_PORT
/// set first (-bind-no-port) so that the port is picked at connect time. That matters more here
/// than in Go: .NET's <see cref="Socket.Bind"/> sets SO_REUSEADDR on Unix, and without the option
/// the kernel's search for a free port at bind took ~0.3-0.5 ms per bind at 10k bound ports. At
/// most -window connections are dialed but not yet accepted, so the listen queue never overflows
/// (an overflow costs a 1 s SYN retransmit). The server hangs up first, so TIME_WAIT lands on the
/// server's port, not on the source ports the next pass needs. TCP keep-alive is off: .NET's
/// default, which the Go reference asks for. TCP_NODELAY is set on both ends, as Go's net package
/// does on every connection. RLIMIT_NOFILE is raised when below 2*C plus the descriptors already
/// open, plus a few (which takes CAP_SYS_RESOURCE where the hard limit is lower). A watchdog ends
/// each pass with the Go reference's message once -timeout has passed.
/// </para>
/// <para>
/// On plain .NET: an accept loop in <see cref="Task.Run(Func{Task})"/>, a <c>Task.Run</c> per
/// accepted connection, a <c>Task.Run</c> per client, each awaiting
/// <see cref="Socket.ReceiveAsync(Memory{byte}, SocketFlags, CancellationToken)"/> and
/// <see cref="Socket.SendAsync(ReadOnlyMemory{byte}, SocketFlags, CancellationToken)"/>; a
/// <see cref="SemaphoreSlim"/> for the window, a <see cref="Countdown"/> for each WaitGroup and a
/// <see cref="TaskCompletionSource"/> for the gate.
/// </para>
/// <para>
/// On this runtime with <c>--engine dotnet-sockets</c>: the same program in goroutines
/// (<see cref="Go.Main"/>, <see cref="Go.Run(Func{Task}, string, string, int)"/>, <see cref="WaitGroup"/>,
/// a buffered <see cref="Chan{T}"/> for the window and a closed one as the gate), awaiting the same
/// <see cref="Socket"/> calls: .NET's socket engine completes each and posts the continuation back
/// to its goroutine.
/// </para>
/// <para>
/// On this runtime with the default engine, <c>runtime</c>: the Go program line for line over
/// <see cref="Network"/>: a <see cref="ListenConfig"/> and <see cref="Dialer"/>s with keep-alive
/// off, the dialer's <see cref="Dialer.Control"/> setting IP_BIND_ADDRESS_NO_PORT as Go's does,
/// and goroutines parked in the runtime's own netpoller.
/// </para>
/// <para>
/// The watchdog is a <see cref="System.Threading.Timer"/> on both runtimes, where Go uses
/// <c>time.AfterFunc</c>: it runs outside the runtime under test, so it also reports a scheduler
/// that stopped running goroutines.
/// </para>
/// </remarks>
internal static partial class ConnsWorkload
{
    // RLIMIT_NOFILE (Linux, <sys/resource.h>).
    private const int ResourceLimitOpenFiles = 7;

    // IPPROTO_IP and IP_BIND_ADDRESS_NO_PORT (Linux, <linux/in.h>); .NET names neither.
    private const int ProtocolLevelIP = 0;
    private const int IPBindAddressNoPort = 24;

    // The option's value, an int 1 in the machine's byte order.
    private static readonly byte[] s_optionOn = BitConverter.GetBytes(1);

    public static void Run(WorkloadArguments args)
    {
        var settings = new Settings(
            Connections: args.Int("conns", 9_000),
            PerAddress: args.Int("per-addr", 20_000),
            Clients: args.Int("clients", 64),
            Window: args.Int("window", 128),
            Size: args.Int("size", 64),
            BindNoPort: args.Bool("bind-no-port", true),
            Timeout: args.Duration("timeout", TimeSpan.FromSeconds(120)));
        bool warmup = args.Bool("warmup", true);
        string engine = args.String("engine", "runtime");
        args.RejectUnknown();
        if (engine is not ("runtime" or "dotnet-sockets"))
        {
            throw new ArgumentException($"--engine must be 'runtime' or 'dotnet-sockets', not '{engine}'");
        }

        Action<Settings> pass = (args.Runtime, engine) switch
        {
            (RuntimeKind.DotNet, _) => OnDotNet,
            (RuntimeKind.Goroutines, "dotnet-sockets") => OnGoroutinesOverDotNetSockets,
            _ => OnGoroutines,
        };

        if (settings.Connections < 1 || settings.PerAddress < 1 || settings.Clients < 1 || settings.Window < 1 || settings.Size < 1)
        {
            Failure.Exit("conns: -conns, -per-addr, -clients, -window and -size must be positive");
        }

        if (2 + ((settings.Connections - 1) / settings.PerAddress) > 254)
        {
            Failure.Exit($"conns: {settings.Connections} connections at {settings.PerAddress} per address need more than 127.0.0.2-254");
        }

        RaiseOpenFileLimit(settings.Connections);
        Figures.Warmup(warmup, () => pass(settings with { Connections = Math.Max(settings.Connections / 100, 1) }));
        pass(settings);
    }

    private static void OnGoroutines(Settings settings) => Go.Main(async () =>
    {
        (int n, int perAddress, int clients, int window, int size, bool bindNoPort, TimeSpan timeout) = settings;
        using var watchdog = StartWatchdog(timeout);
        clients = Math.Min(clients, n);

        Figures.FullCollect();
        long rss0 = Figures.ProcStatusKiB("VmRSS");
       

        Listener listener = new ListenConfig { KeepAlive = TimeSpan.FromSeconds(-1) }.Listen("tcp", "127.0.0.1:0");
        string address = listener.Addr.ToString()!;

        var server = new Conn[n]; // the server's ends, so that it can hang up
        var client = new Conn[n];
        var inflight = new Chan<bool>(window);
        var reading = new WaitGroup();
        var exited = new WaitGroup();
        reading.Add(n);
        exited.Add(n);
        long accepted = 0;
        Go.Run(async () =>
        {
            while (true)
            {
                Conn connection;
                try
                {
                    connection = await listener.AcceptAsync();
                }
                catch (NetOperationException ex) when (ex.IsClosed)
                {
                    return;
                }
                catch (NetOperationException ex)
                {
                    Failure.Exit($"conns: accept: {ex.Message}");
                    throw;
                }

                long i = Interlocked.Increment(ref accepted) - 1;
                if (i >= n)
                {
                    Failure.Exit($"conns: more than {n} connections accepted");
                }

                server[i] = connection;
                await inflight.ReceiveAsync();
                Go.Run(
                    static async (connection, buffer, reading, exited) =>
                    {
                        try
                        {
                            reading.Done();
                            while (true)
                            {
                                await connection.ReadExactlyAsync(buffer);
                                await connection.WriteAsync(buffer);
                            }
                        }
                        catch (Exception ex) when (ex is NetOperationException or EndOfStreamException)
                        {
                            // As the Go reference's server goroutine, which returns on any error.
                        }
                        finally
                        {
                            connection.Close();
                            exited.Done();
                        }
                    },
                    connection,
                    new byte[size],
                    reading,
                    exited);
            }
        });

        // Client goroutine k owns connections [Low(k), Low(k + 1)).
        int Low(int k) => (int)((long)k * n / clients);
        var dialed = new WaitGroup();
        dialed.Add(clients);
        long start = Stopwatch.GetTimestamp();
        for (int k = 0; k < clients; k++)
        {
            int first = Low(k);
            int end = Low(k + 1);
            Go.Run(async () =>
            {
                for (int i = first; i < end; i++)
                {
                    IPAddress source = SourceAddress(i, perAddress);
                    var dialer = new Dialer { LocalAddr = new IPEndPoint(source, 0), KeepAlive = TimeSpan.FromSeconds(-1) };
                    if (bindNoPort)
                    {
                        dialer.Control = static (_, _, socket) => socket.SetOption(ProtocolLevelIP, IPBindAddressNoPort, 1);
                    }

                    await inflight.SendAsync(true);
                    try
                    {
                        client[i] = await dialer.DialAsync("tcp", address);
                    }
                    catch (NetOperationException ex)
                    {
                        Failure.Exit($"conns: dial from {source}: {ex.Message}");
                    }
                }

                dialed.Done();
            });
        }

        await dialed.WaitAsync();
        await reading.WaitAsync();
        TimeSpan establish = Stopwatch.GetElapsedTime(start);

        // The last few may have counted themselves but not blocked in the read yet.
        await Clock.SleepAsync(TimeSpan.FromMilliseconds(50));
        Figures.FullCollect();
        long rss1 = Figures.ProcStatusKiB("VmRSS");

        var gate = new Chan<bool>();
        var echoed = new WaitGroup();
        echoed.Add(clients);
        for (int k = 0; k < clients; k++)
        {
            int first = Low(k);
            int end = Low(k + 1);
            Go.Run(async () =>
            {
                byte[] output = NewMessage(size);
                byte[] input = new byte[size];
                await gate.ReceiveAsync();
                try
                {
                    for (int i = first; i < end; i++)
                    {
                        await client[i].WriteAsync(output);
                    }

                    for (int i = first; i < end; i++)
                    {
                        if (await client[i].ReadAtLeastAsync(input, input.Length, throwOnEndOfStream: false) < input.Length)
                        {
                            Failure.Exit("conns: client read: EOF");
                        }

                        if (input[^1] != output[^1])
                        {
                            Failure.Exit("conns: wrong echo");
                        }
                    }
                }
                catch (NetOperationException ex)
                {
                    Failure.Exit($"conns: client: {ex.Message}");
                }

                echoed.Done();
            });
        }

        start = Stopwatch.GetTimestamp();
        gate.Close();
        await echoed.WaitAsync();
        TimeSpan wake = Stopwatch.GetElapsedTime(start);

        // Clean close: the server hangs up first, then the clients, then the listener.
        foreach (Conn connection in server)
        {
            connection.Close();
        }

        await exited.WaitAsync();
        foreach (Conn connection in client)
        {
            connection.Close();
        }

        listener.Close();
        Report(n, rss0, rss1, establish, wake);
    });

    private static void OnGoroutinesOverDotNetSockets(Settings settings) => Go.Main(async () =>
    {
        (int n, int perAddress, int clients, int window, int size, bool bindNoPort, TimeSpan timeout) = settings;
        using var watchdog = StartWatchdog(timeout);
        clients = Math.Min(clients, n);

        Figures.FullCollect();
        long rss0 = Figures.ProcStatusKiB("VmRSS");

        Socket listener = LoopbackSockets.Listen("conns");
        var endpoint = (IPEndPoint)listener.LocalEndPoint!;

        var server = new Socket[n]; // the server's ends, so that it can hang up
        var client = new Socket[n];
        var inflight = new Chan<bool>(window);
        var reading = new WaitGroup();
        var exited = new WaitGroup();
        reading.Add(n);
        exited.Add(n);
        long accepted = 0;
        Go.Run(async () =>
        {
            while (true)
            {
                Socket connection;
                try
                {
                    connection = await listener.AcceptAsync();
                }
                catch (Exception ex) when (LoopbackSockets.IsListenerClosed(ex))
                {
                    return;
                }
                catch (SocketException ex)
                {
                    Failure.Exit($"conns: accept: {ex.Message}");
                    throw;
                }

                long i = Interlocked.Increment(ref accepted) - 1;
                if (i >= n)
                {
                    Failure.Exit($"conns: more than {n} connections accepted");
                }

                connection.NoDelay = true;
                server[i] = connection;
                await inflight.ReceiveAsync();
                Go.Run(async () =>
                {
                    try
                    {
                        byte[] buffer = new byte[size];
                        reading.Done();
                        while (await ReceiveFullAsync(connection, buffer))
                        {
                            await LoopbackSockets.SendAllAsync(connection, buffer);
                        }
                    }
                    catch (Exception ex) when (LoopbackSockets.IsNetworkError(ex))
                    {
                        // As the Go reference's server goroutine, which returns on any error.
                    }
                    finally
                    {
                        connection.Dispose();
                        exited.Done();
                    }
                });
            }
        });

        // Client goroutine k owns connections [Low(k), Low(k + 1)).
        int Low(int k) => (int)((long)k * n / clients);
        var dialed = new WaitGroup();
        dialed.Add(clients);
        long start = Stopwatch.GetTimestamp();
        for (int k = 0; k < clients; k++)
        {
            int first = Low(k);
            int end = Low(k + 1);
            Go.Run(async () =>
            {
                for (int i = first; i < end; i++)
                {
                    IPAddress source = SourceAddress(i, perAddress);
                    await inflight.SendAsync(true);
                    client[i] = await DialFromAsync(source, endpoint, bindNoPort);
                }

                dialed.Done();
            });
        }

        await dialed.WaitAsync();
        await reading.WaitAsync();
        TimeSpan establish = Stopwatch.GetElapsedTime(start);

        // The last few may have counted themselves but not blocked in the read yet.
        await Clock.SleepAsync(TimeSpan.FromMilliseconds(50));
        Figures.FullCollect();
        long rss1 = Figures.ProcStatusKiB("VmRSS");

        var gate = new Chan<bool>();
        var echoed = new WaitGroup();
        echoed.Add(clients);
        for (int k = 0; k < clients; k++)
        {
            int first = Low(k);
            int end = Low(k + 1);
            Go.Run(async () =>
            {
                byte[] output = NewMessage(size);
                byte[] input = new byte[size];
                await gate.ReceiveAsync();
                await EchoAllAsync(client, first, end, output, input);
                echoed.Done();
            });
        }

        start = Stopwatch.GetTimestamp();
        gate.Close();
        await echoed.WaitAsync();
        TimeSpan wake = Stopwatch.GetElapsedTime(start);

        // Clean close: the server hangs up first, then the clients, then the listener.
        foreach (Socket connection in server)
        {
            connection.Dispose();
        }

        await exited.WaitAsync();
        foreach (Socket connection in client)
        {
            connection.Dispose();
        }

        listener.Dispose();
        Report(n, rss0, rss1, establish, wake);
    });

    private static void OnDotNet(Settings settings) => OnDotNetAsync(settings).GetAwaiter().GetResult();

    private static async Task OnDotNetAsync(Settings settings)
    {
        (int n, int perAddress, int clients, int window, int size, bool bindNoPort, TimeSpan timeout) = settings;
        using var watchdog = StartWatchdog(timeout);
        clients = Math.Min(clients, n);

        Figures.FullCollect();
        long rss0 = Figures.ProcStatusKiB("VmRSS");

        Socket listener = LoopbackSockets.Listen("conns");
        var endpoint = (IPEndPoint)listener.LocalEndPoint!;

        var server = new Socket[n]; // the server's ends, so that it can hang up
        var client = new Socket[n];
        using var inflight = new SemaphoreSlim(window, window);
        var reading = new Countdown(n);
        var exited = new Countdown(n);
        long accepted = 0;
        _ = Task.Run(async () =>
        {
            while (true)
            {
                Socket connection;
                try
                {
                    connection = await listener.AcceptAsync();
                }
                catch (Exception ex) when (LoopbackSockets.IsListenerClosed(ex))
                {
                    return;
                }
                catch (SocketException ex)
                {
                    Failure.Exit($"conns: accept: {ex.Message}");
                    throw;
                }

                long i = Interlocked.Increment(ref accepted) - 1;
                if (i >= n)
                {
                    Failure.Exit($"conns: more than {n} connections accepted");
                }

                connection.NoDelay = true;
                server[i] = connection;
                inflight.Release();
                _ = Task.Run(async () =>
                {
                    try
                    {
                        byte[] buffer = new byte[size];
                        reading.Signal();
                        while (await ReceiveFullAsync(connection, buffer))
                        {
                            await LoopbackSockets.SendAllAsync(connection, buffer);
                        }
                    }
                    catch (Exception ex) when (LoopbackSockets.IsNetworkError(ex))
                    {
                        // As the Go reference's server goroutine, which returns on any error.
                    }
                    finally
                    {
                        connection.Dispose();
                        exited.Signal();
                    }
                });
            }
        });

        // Client task k owns connections [Low(k), Low(k + 1)).
        int Low(int k) => (int)((long)k * n / clients);
        var dialed = new Countdown(clients);
        long start = Stopwatch.GetTimestamp();
        for (int k = 0; k < clients; k++)
        {
            int first = Low(k);
            int end = Low(k + 1);
            _ = Task.Run(async () =>
            {
                for (int i = first; i < end; i++)
                {
                    IPAddress source = SourceAddress(i, perAddress);
                    await inflight.WaitAsync();
                    client[i] = await DialFromAsync(source, endpoint, bindNoPort);
                }

                dialed.Signal();
            });
        }

        await dialed.Task;
        await reading.Task;
        TimeSpan establish = Stopwatch.GetElapsedTime(start);

        // The last few may have counted themselves but not blocked in the read yet.
        await Task.Delay(TimeSpan.FromMilliseconds(50));
        Figures.FullCollect();
        long rss1 = Figures.ProcStatusKiB("VmRSS");

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var echoed = new Countdown(clients);
        for (int k = 0; k < clients; k++)
        {
            int first = Low(k);
            int end = Low(k + 1);
            _ = Task.Run(async () =>
            {
                byte[] output = NewMessage(size);
                byte[] input = new byte[size];
                await gate.Task;
                await EchoAllAsync(client, first, end, output, input);
                echoed.Signal();
            });
        }

        start = Stopwatch.GetTimestamp();
        gate.SetResult();
        await echoed.Task;
        TimeSpan wake = Stopwatch.GetElapsedTime(start);

        // Clean close: the server hangs up first, then the clients, then the listener.
        foreach (Socket connection in server)
        {
            connection.Dispose();
        }

        await exited.Task;
        foreach (Socket connection in client)
        {
            connection.Dispose();
        }

        listener.Dispose();
        Report(n, rss0, rss1, establish, wake);
    }

    /// <summary>The watchdog of one pass (Go's <c>time.AfterFunc(timeout, fail)</c>); dispose it to stop it.</summary>
    private static System.Threading.Timer StartWatchdog(TimeSpan timeout) =>
        new(_ => Failure.Exit($"conns: not done within {timeout.TotalSeconds}s"), null, timeout, Timeout.InfiniteTimeSpan);

    /// <summary>Connection <paramref name="i"/>'s source address: 127.0.0.2 for the first -per-addr, then .3, ...</summary>
    private static IPAddress SourceAddress(int i, int perAddress) => new([127, 0, 0, (byte)(2 + (i / perAddress))]);

    /// <summary>
    /// A connection from <paramref name="source"/> (any port) to the server, as the Go reference's
    /// <c>net.Dialer</c> with a local address and, with <paramref name="bindNoPort"/>, its Control
    /// hook; on failure, ends the run with the Go reference's message.
    /// </summary>
    private static async ValueTask<Socket> DialFromAsync(IPAddress source, IPEndPoint server, bool bindNoPort)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (bindNoPort)
            {
                socket.SetRawSocketOption(ProtocolLevelIP, IPBindAddressNoPort, s_optionOn);
            }

            socket.Bind(new IPEndPoint(source, 0));
            await socket.ConnectAsync(server);
            socket.NoDelay = true;
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            Failure.Exit($"conns: dial from {source}: {ex.Message}");
            throw;
        }
    }

    /// <summary>Reads until <paramref name="buffer"/> is full (Go's <c>io.ReadFull</c>); false at EOF.</summary>
    private static async ValueTask<bool> ReceiveFullAsync(Socket connection, Memory<byte> buffer)
    {
        for (int got = 0; got < buffer.Length;)
        {
            int n = await connection.ReceiveAsync(buffer[got..], SocketFlags.None);
            if (n == 0)
            {
                return false;
            }

            got += n;
        }

        return true;
    }

    /// <summary>A message of <paramref name="size"/> bytes 0, 1, 2, ..., as the Go reference's.</summary>
    private static byte[] NewMessage(int size)
    {
        byte[] message = new byte[size];
        for (int j = 0; j < message.Length; j++)
        {
            message[j] = (byte)j;
        }

        return message;
    }

    /// <summary>
    /// One client's measured part: writes <paramref name="output"/> to each of its connections
    /// [<paramref name="first"/>, <paramref name="end"/>), then reads every echo back and checks
    /// its last byte; any failure ends the run with the Go reference's message.
    /// </summary>
    private static async Task EchoAllAsync(Socket[] connections, int first, int end, byte[] output, byte[] input)
    {
        for (int i = first; i < end; i++)
        {
            try
            {
                await LoopbackSockets.SendAllAsync(connections[i], output);
            }
            catch (Exception ex) when (LoopbackSockets.IsNetworkError(ex))
            {
                Failure.Exit($"conns: client write: {ex.Message}");
            }
        }

        for (int i = first; i < end; i++)
        {
            bool full;
            try
            {
                full = await ReceiveFullAsync(connections[i], input);
            }
            catch (Exception ex) when (LoopbackSockets.IsNetworkError(ex))
            {
                Failure.Exit($"conns: client read: {ex.Message}");
                throw;
            }

            if (!full)
            {
                Failure.Exit("conns: client read: EOF");
            }

            if (input[^1] != output[^1])
            {
                Failure.Exit("conns: wrong echo");
            }
        }
    }

    private static void Report(int n, long rss0KiB, long rss1KiB, TimeSpan establish, TimeSpan wake)
    {
        Figures.Emit("conns.bytes_per_conn", (rss1KiB - rss0KiB) * 1024.0 / n, "B");
        Figures.Emit("conns.ms_to_establish", establish.TotalMilliseconds, "ms");
        Figures.Emit("conns.ms_wake_all", wake.TotalMilliseconds, "ms");
        Figures.Emit("conns.peak_rss", Figures.ProcStatusKiB("VmHWM") / 1024.0, "MiB");
    }

    /// <summary>
    /// Makes room for <paramref name="connections"/> connections with both ends in this process: 2
    /// descriptors each besides those already open, plus a few. Raises the soft RLIMIT_NOFILE, and
    /// the hard one if needed (that takes CAP_SYS_RESOURCE); where it cannot, ends the run saying
    /// how many connections fit.
    /// </summary>
    /// <remarks>Go: raiseNofile in w13_conns.go.</remarks>
    private static void RaiseOpenFileLimit(int connections)
    {
        ulong open = 0;
        try
        {
            open = (ulong)Directory.GetFileSystemEntries("/proc/self/fd").Length;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Failure.Exit($"conns: read /proc/self/fd: {ex.Message}");
        }

        ulong need = (2 * (ulong)connections) + open + 32;
        if (GetResourceLimit(ResourceLimitOpenFiles, out ResourceLimit limit) != 0)
        {
            Failure.Exit($"conns: getrlimit: {Marshal.GetLastPInvokeErrorMessage()}");
        }

        if (limit.Current >= need)
        {
            return;
        }

        var want = new ResourceLimit { Current = need, Maximum = Math.Max(limit.Maximum, need) };
        if (SetResourceLimit(ResourceLimitOpenFiles, in want) != 0)
        {
            string error = Marshal.GetLastPInvokeErrorMessage();
            ulong fit = limit.Maximum > open + 32 ? (limit.Maximum - open - 32) / 2 : 0;
            Failure.Exit(
                $"conns: {connections} connections need {need} descriptors (2 per connection, both ends in this process; {open} open already); "
                + $"RLIMIT_NOFILE is {limit.Current} soft / {limit.Maximum} hard and cannot be raised here ({error}): at most {fit} connections fit");
        }
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetResourceLimit(int resource, out ResourceLimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetResourceLimit(int resource, in ResourceLimit limit);

    /// <summary>One pass's flags.</summary>
    private readonly record struct Settings(int Connections, int PerAddress, int Clients, int Window, int Size, bool BindNoPort, TimeSpan Timeout);

    /// <summary>C's <c>struct rlimit</c>: two <c>rlim_t</c>, 64-bit on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct ResourceLimit
    {
        public ulong Current;
        public ulong Maximum;
    }
}
