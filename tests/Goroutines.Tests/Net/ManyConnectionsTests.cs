// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Net;
using Goroutines.Scheduling;
using Goroutines.Sync;
using Goroutines.Tests.TestSupport;
using Goroutines.Time;

using Xunit;

namespace Goroutines.Tests.Net;

/// <summary>
/// The job the netpoller exists for: ten thousand connections with one goroutine each, idle,
/// on a handful of threads. The clients live in a child process (both ends in one process would
/// need twice the descriptors, past the 20,000 a process may open on the machines we run on).
/// </summary>
public sealed class ManyConnectionsTests : RuntimeTest
{
    private const int Connections = 10_000;

    // Machine threads the runtime may add while serving them: one blocked in epoll_wait, one more
    // for a hand-off in flight (picked without data: the point is that it is not one per connection).
    private const int ExtraThreads = 2;

    private const string PortVariable = "GOROUTINES_TEST_ECHO_PORT";
    private const string CountVariable = "GOROUTINES_TEST_CONNECTIONS";

    [Fact]
    public async Task AcceptAsync_TenThousandIdleConnections_EachGoroutineParkedInTheNetpollerOnFewThreads()
    {
        DescriptorLimit.Ensure(Connections);
        int machinesBefore = Scheduler.Instance.MachineCount;
        using Listener listener = Network.Listen("tcp", "127.0.0.1:0");
        int port = ((IPEndPoint)listener.Addr).Port;

        var accepted = new Conn[Connections];
        var handlers = new WaitGroup();
        handlers.Add(Connections);
        long echoed = 0;
        Task acceptor = GoTest.Start(async () =>
        {
            for (int i = 0; i < Connections; i++)
            {
                Conn conn = await listener.AcceptAsync();
                accepted[i] = conn;
                Go.Run(async () =>
                {
                    await using (conn)
                    {
                        byte[] buffer = new byte[1];
                        if (await conn.ReadAsync(buffer) == 1 && buffer[0] == 'e')
                        {
                            Interlocked.Increment(ref echoed);
                        }

                        await conn.ReadAsync(buffer); // the client's end of stream
                    }

                    handlers.Done();
                });
            }
        });

        var environment = new Dictionary<string, string>
        {
            [PortVariable] = port.ToString(CultureInfo.InvariantCulture),
            [CountVariable] = Connections.ToString(CultureInfo.InvariantCulture),
        };
        Task<ScenarioOutcome> clients = ScenarioProcess.RunForOutcomeAsync(DialAndEchoOnce, environment, TimeSpan.FromMinutes(2));

        await acceptor.Within(TimeSpan.FromMinutes(1), "10,000 connections to be accepted");
        bool allParked = Poll.Until(() => Scheduler.Instance.IOWaiterCount >= Connections, TestTimeouts.Default);
        Assert.True(allParked, $"{Scheduler.Instance.IOWaiterCount} goroutines parked in the netpoller, not {Connections}");
        // Threads: sysmon and one machine per processor (or what earlier tests left, idle), plus the few extra.
        int machines = Scheduler.Instance.MachineCount;
        int allowed = Math.Max(machinesBefore, 1 + Go.MaxProcs) + ExtraThreads;
        Assert.True(
            machines <= allowed,
            $"serving {Connections} idle connections took the runtime from {machinesBefore} to {machines} threads (GOMAXPROCS {Go.MaxProcs}, at most {allowed} allowed)");

        // Wake every connection with one byte; each client echoes an 'e' and hangs up.
        await GoTest.RunAsync(async () =>
        {
            foreach (Conn conn in accepted)
            {
                await conn.WriteAsync("w"u8.ToArray());
            }

            await handlers.WaitAsync();
        }, TimeSpan.FromMinutes(1));

        ScenarioOutcome outcome = await clients;
        Assert.True(outcome.ExitCode == 0 && !outcome.TimedOut, $"the clients failed: {outcome}");
        Assert.Equal(Connections, Interlocked.Read(ref echoed));
    }

    /// <summary>
    /// The child process: dials the connections from 50 goroutines, then on each waits for the
    /// server's byte, answers 'e' and closes. Returns the failure, or an empty string.
    /// </summary>
    public static string DialAndEchoOnce()
    {
        int count = int.Parse(Environment.GetEnvironmentVariable(CountVariable)!, CultureInfo.InvariantCulture);
        string address = $"127.0.0.1:{Environment.GetEnvironmentVariable(PortVariable)}";
        DescriptorLimit.Ensure(count);
        const int dialers = 50;
        string failure = string.Empty;
        Go.Main(async () =>
        {
            DateTimeOffset deadline = Clock.Provider.GetUtcNow() + TimeSpan.FromMinutes(1);
            var conns = new Conn[count];
            var done = new WaitGroup();
            for (int d = 0; d < dialers; d++)
            {
                int first = d * count / dialers;
                int end = (d + 1) * count / dialers;
                done.Go(async () =>
                {
                    try
                    {
                        for (int i = first; i < end; i++)
                        {
                            conns[i] = await Network.DialAsync("tcp", address);
                            conns[i].SetDeadline(deadline);
                        }

                        byte[] buffer = new byte[1];
                        for (int i = first; i < end; i++)
                        {
                            if (await conns[i].ReadAsync(buffer) != 1)
                            {
                                throw new InvalidOperationException($"connection {i} ended before the server's byte");
                            }

                            await conns[i].WriteAsync("e"u8.ToArray());
                            conns[i].Close();
                        }
                    }
                    catch (Exception ex) when (ex is NetOperationException or InvalidOperationException)
                    {
                        Interlocked.CompareExchange(ref failure, ex.Message, string.Empty);
                    }
                });
            }

            await done.WaitAsync();
            foreach (Conn? conn in conns)
            {
                conn?.Close();
            }
        });
        return failure;
    }
}
