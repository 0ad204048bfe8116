// Licensed under the MIT License.

// The showcase: a million goroutines, work stealing, a CPU hog that starves nobody, Go's
// channels and select, its timers and contexts, the leak detector with a goroutine dump, and a
// TCP server with a goroutine for each of thousands of connections.
// Run it with: dotnet run -c Release --project samples/Showcase

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

using Goroutines;
using Goroutines.Channels;
using Goroutines.Contexts;
using Goroutines.Diagnostics;
using Goroutines.Net;
using Goroutines.Sync;
using Goroutines.Time;

Go.Main(async () =>
{
    Console.WriteLine($"Goroutines for .NET: GOMAXPROCS={Go.MaxProcs}, NumCPU={Go.NumCPU}");
    Console.WriteLine();

    // 1. A million goroutines. Each one is an async function; most of them park once on a
    //    foreign task (a TaskCompletionSource) and resume on the scheduler when it completes.
    const int Count = 1_000_000;
    var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    int remaining = Count;
    long sum = 0;
    long start = Stopwatch.GetTimestamp();
    for (int i = 0; i < Count; i++)
    {
        int n = i;
        Go.Run(async () =>
        {
            if (n % 2 == 0)
            {
                await gate.Task; // half of them park until the gate opens
            }

            Interlocked.Add(ref sum, n);
            if (Interlocked.Decrement(ref remaining) == 0)
            {
                allDone.SetResult();
            }
        });
    }

    await Go.YieldAsync();
    Console.WriteLine($"1. Spawned {Count:N0} goroutines in {Stopwatch.GetElapsedTime(start).TotalMilliseconds:F0} ms; {Go.NumGoroutine:N0} alive, half of them parked on a gate.");
    gate.SetResult();
    await allDone.Task;
    Console.WriteLine($"   All done in {Stopwatch.GetElapsedTime(start).TotalMilliseconds:F0} ms; sum = {sum:N0} (expected {(long)Count * (Count - 1) / 2:N0}).");
    Console.WriteLine();

    // 2. Work stealing: one goroutine spawns CPU-bound work onto its own processor; idle
    //    processors steal half of its queue at a time, so the work spreads over every core.
    RuntimeStatistics before = Go.ReadStatistics();
    var threadsSeen = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
    var stolenDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    const int Jobs = 200; // fewer than a ring holds: other processors get them only by stealing
    int jobsLeft = Jobs;
    for (int i = 0; i < Jobs; i++)
    {
        Go.Run(() =>
        {
            threadsSeen.TryAdd(Environment.CurrentManagedThreadId, 0);
            double x = 0;
            for (int k = 0; k < 50_000; k++)
            {
                x += Math.Sqrt(k);
            }

            if (x > 0 && Interlocked.Decrement(ref jobsLeft) == 0)
            {
                stolenDone.SetResult();
            }
        });
    }

    await stolenDone.Task;
    RuntimeStatistics after = Go.ReadStatistics();
    Console.WriteLine($"2. {Jobs:N0} CPU-bound goroutines queued on one processor ran on {threadsSeen.Count} threads; {after.Steals - before.Steals} steal(s) spread them.");
    Console.WriteLine();

    // 3. A CPU hog: a goroutine spinning with no await can't be interrupted in .NET, so once
    //    work starves behind it for 10 ms, sysmon hands its processor to another thread and
    //    everyone else keeps running.
    int previous = Go.SetMaxProcs(1);
    await Go.YieldAsync(); // the second processor retires as this goroutine passes through the scheduler
    long handoffsBefore = Go.ReadStatistics().Handoffs;
    bool stop = false;
    var hogStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    Go.Run(() =>
    {
        hogStarted.SetResult();
        while (!Volatile.Read(ref stop))
        {
        }
    });
    await hogStarted.Task; // we are queued behind the hog on the only processor
    long hogStart = Stopwatch.GetTimestamp();
    var others = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    int othersLeft = 100;
    for (int i = 0; i < 100; i++)
    {
        Go.Run(async () =>
        {
            await Go.YieldAsync();
            if (Interlocked.Decrement(ref othersLeft) == 0)
            {
                others.SetResult();
            }
        });
    }

    await others.Task;
    long handoffs = Go.ReadStatistics().Handoffs - handoffsBefore;
    Console.WriteLine($"3. With GOMAXPROCS=1 and a goroutine spinning forever, this goroutine and 100 others still ran ({Stopwatch.GetElapsedTime(hogStart).TotalMilliseconds:F0} ms); {handoffs} processor hand-off(s) made it possible.");
    Volatile.Write(ref stop, true);
    Go.SetMaxProcs(previous);
    Console.WriteLine();

    // 4. Channels: Go's concurrent prime sieve, a chain of filter goroutines connected by
    //    unbuffered channels (each send is a rendezvous), then a select fanning in two producers
    //    until both have closed their channels.
    long sieveStart = Stopwatch.GetTimestamp();
    int prime = await SieveAsync(1_000);
    Console.WriteLine($"4. The concurrent prime sieve found the 1,000th prime, {prime:N0}, through 1,000 filter goroutines in {Stopwatch.GetElapsedTime(sieveStart).TotalMilliseconds:F0} ms.");

    var evens = new Chan<int>();
    var odds = new Chan<int>();
    Go.Run(ProduceAsync, evens.ToSendOnly(), 0, 1_000); // go produce(evens, 0, 1000); a method group takes no implicit conversion, so the send-only view
    Go.Run(ProduceAsync, odds.ToSendOnly(), 1, 1_000);
    var select = new Select(); // one per loop: its rounds allocate nothing
    int fromEvens = 0, fromOdds = 0;
    long total = 0;
    while (!evens.IsNil || !odds.IsNil)
    {
        int chosen = await select.Receive(evens).Receive(odds).WaitAsync();
        if (!select.ReceivedOk)
        {
            // Closed: its case would be ready forever, so drop it the Go way, by making it nil.
            if (chosen == 0)
            {
                evens = default;
            }
            else
            {
                odds = default;
            }

            continue;
        }

        total += select.Received<int>();
        _ = chosen == 0 ? fromEvens++ : fromOdds++;
    }

    Console.WriteLine($"   A select fanned in {fromEvens:N0} values from one producer and {fromOdds:N0} from the other (sum {total:N0}) until both closed.");
    Console.WriteLine();

    // 5. Timers and contexts. 100,000 goroutines sleep 1-100 ms on the processors' timer heaps
    //    (one heap entry each, no .NET timer each); then workers tick until a context's
    //    deadline cancels them all through a select on its Done channel.
    const int Sleepers = 100_000;
    var sleepers = new WaitGroup();
    var random = new Random(1);
    long sleepStart = Stopwatch.GetTimestamp();
    for (int i = 0; i < Sleepers; i++)
    {
        TimeSpan nap = TimeSpan.FromMilliseconds(random.Next(1, 101));
        sleepers.Go(async () => await Clock.SleepAsync(nap));
    }

    await sleepers.WaitAsync();
    Console.WriteLine($"5. {Sleepers:N0} goroutines slept 1-100 ms each; all were awake after {Stopwatch.GetElapsedTime(sleepStart).TotalMilliseconds:F0} ms (while section 3's spinner still holds a core).");

    var (deadline, cancel) = Context.WithTimeout(Context.Background, TimeSpan.FromMilliseconds(50));
    var (workers, workersContext) = ErrorGroup.WithContext(deadline);
    int ticks = 0;
    for (int w = 0; w < 4; w++)
    {
        workers.Go(async () =>
        {
            using var ticker = new Ticker(TimeSpan.FromMilliseconds(5));
            var wait = new Select();
            while (await wait.Receive(ticker.C).Receive(workersContext.Done).WaitAsync() == 0)
            {
                Interlocked.Increment(ref ticks);
            }
        });
    }

    await workers.WaitAsync();
    cancel();
    Console.WriteLine($"   4 workers counted {ticks} ticks of 5 ms until their context's deadline: \"{workersContext.Err?.Message}\".");
    Console.WriteLine();

    // 6. Diagnostics. The sieve of section 4 returned, but its generator and 1,000 filters are
    //    still parked, each sending into a channel that only the next one, also parked, could
    //    read. Nothing outside them can reach those channels any more, so the garbage collector
    //    can prove no code will ever wake them: the leak detector reports them, and a grouped
    //    dump (Go's pprof debug=1) shows 1,000 goroutines stuck at one line as one entry.
    //    Numbers may still be moving down the chain: a filter that is runnable during a pass
    //    is not leaked yet, and a later pass finds it once it has parked for good.
    var leaked = new List<GoroutineInfo>(GoroutineLeaks.FindLeaked());
    for (int pass = 2; pass <= 5; pass++)
    {
        IReadOnlyList<GoroutineInfo> more = GoroutineLeaks.FindLeaked();
        if (more.Count == 0)
        {
            break;
        }

        leaked.AddRange(more);
    }

    Console.WriteLine($"6. The leak detector found {leaked.Count:N0} goroutines no code can ever wake. The largest group of the dump:");
    var dump = new StringWriter();
    GoroutineDump.Capture().WriteTo(dump, GoroutineDumpFormat.Grouped);
    // The first group follows the profile's header (and, under Native AOT, the dump's note on
    // what it cannot show): a "count @ [state]" line and its frames, up to the blank line.
    foreach (string line in dump.ToString().Split('\n').SkipWhile(line => !line.Contains(" @ [", StringComparison.Ordinal)).TakeWhile(line => line.Length > 0))
    {
        Console.WriteLine($"   {line.Replace('\t', ' ')}");
    }

    Console.WriteLine();

    // 7. Networking: Go's net package on the runtime's own netpoller. A TCP server on loopback
    //    serves each connection in a goroutine of its own, written as plain sequential code. As
    //    many idle clients as the descriptor limit allows (both ends are in this process: two
    //    descriptors each) leave every server goroutine parked in its read, holding no thread;
    //    then one message on each connection wakes them all, and every echo comes back.
    using (Listener listener = Network.Listen("tcp", "127.0.0.1:0")) // the first socket raises the soft descriptor limit to the hard one, as Go does
    {
        int connections = ConnectionsThatFit();
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var served = new WaitGroup();
        var servers = new Conn[connections];
        var clients = new Conn[connections];
        served.Add(connections);
        Go.Run(async () =>
        {
            for (int i = 0; i < connections; i++)
            {
                Conn connection = await listener.AcceptAsync();
                servers[i] = connection;
                Go.Run(async () =>
                {
                    await using (connection)
                    {
                        byte[] buffer = new byte[64];
                        int n;
                        while ((n = await connection.ReadAsync(buffer)) > 0) // parks in the netpoller: IO wait
                        {
                            await connection.WriteAsync(buffer.AsMemory(0, n));
                        }
                    }

                    served.Done();
                });
            }
        });

        const int Dialers = 64;
        int Share(int d) => (int)((long)d * connections / Dialers);
        long dialStart = Stopwatch.GetTimestamp();
        var dialed = new WaitGroup();
        for (int d = 0; d < Dialers; d++)
        {
            int first = Share(d), end = Share(d + 1);
            dialed.Go(async () =>
            {
                for (int i = first; i < end; i++)
                {
                    clients[i] = await Network.DialAsync("tcp", listener.Addr.ToString()!);
                }
            });
        }

        await dialed.WaitAsync();
        while (Go.ReadStatistics().IOWaiting < connections)
        {
            await Clock.SleepAsync(TimeSpan.FromMilliseconds(1)); // the last server goroutines are on their way to their read
        }

        double establish = Stopwatch.GetElapsedTime(dialStart).TotalMilliseconds;
        long perConnection = (GC.GetTotalMemory(forceFullCollection: true) - heapBefore) / connections;
        RuntimeStatistics idle = Go.ReadStatistics();
        Console.WriteLine($"7. A TCP server with a goroutine per connection: {connections:N0} idle clients connected in {establish:F0} ms (as many as the descriptor limit allows, both ends here).");
        Console.WriteLine($"   {idle.IOWaiting:N0} goroutines parked in IO wait, {idle.Goroutines:N0} alive, on {idle.Threads} runtime threads; {perConnection:N0} managed bytes per connection (both sockets, the goroutine, its buffer).");
        Console.WriteLine($"   A thread per connection instead: {ThreadCost() / 1024.0:N0} KiB of resident memory each, measured here for a thread blocked on an event, and 8 MiB of stack reserved.");

        long wakeStart = Stopwatch.GetTimestamp();
        var echoes = new WaitGroup();
        for (int d = 0; d < Dialers; d++)
        {
            int first = Share(d), end = Share(d + 1);
            echoes.Go(async () =>
            {
                byte[] message = "hello, goroutine"u8.ToArray();
                byte[] echo = new byte[message.Length];
                for (int i = first; i < end; i++)
                {
                    await clients[i].WriteAsync(message);
                }

                for (int i = first; i < end; i++)
                {
                    await clients[i].ReadExactlyAsync(echo); // Go's io.ReadFull
                }
            });
        }

        await echoes.WaitAsync();
        Console.WriteLine($"   One message on each connection woke all {connections:N0} server goroutines; every echo was back in {Stopwatch.GetElapsedTime(wakeStart).TotalMilliseconds:F0} ms.");
        foreach (Conn client in clients)
        {
            client.Close(); // each server goroutine reads the end of its stream and returns
        }

        await served.WaitAsync();
    }

    Console.WriteLine();

    RuntimeStatistics stats = Go.ReadStatistics();
    Console.WriteLine("Runtime counters:");
    Console.WriteLine($"   goroutines {stats.Goroutines}, GOMAXPROCS {stats.MaxProcs}, idle processors {stats.IdleProcessors}");
    Console.WriteLine($"   threads {stats.Threads} (idle {stats.IdleThreads}, spinning {stats.SpinningThreads})");
    Console.WriteLine($"   run queues: global {stats.GlobalRunQueue}, local {stats.LocalRunQueues}");
    Console.WriteLine($"   steals {stats.Steals}, preemptions {stats.Preemptions}, hand-offs {stats.Handoffs}");
});

// How many connections with both ends in this process fit under the descriptor limit (Linux's
// /proc/self/limits), keeping 256 descriptors spare; at most 20,000, so that the section stays short.
static int ConnectionsThatFit()
{
    string limitLine = File.ReadLines("/proc/self/limits").First(line => line.StartsWith("Max open files", StringComparison.Ordinal));
    string soft = limitLine["Max open files".Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
    long limit = soft == "unlimited" ? long.MaxValue : long.Parse(soft, System.Globalization.CultureInfo.InvariantCulture);
    long open = Directory.GetFiles("/proc/self/fd").Length;
    return (int)Math.Clamp((limit - open - 256) / 2, 1, 20_000);
}

// The process's resident memory (VmRSS), in bytes.
static long ResidentBytes()
{
    string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
    return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
}

// What one OS thread blocked waiting costs here: the resident growth of 200 of them, each (no
// collection in between: a thread allocates next to nothing on the managed heap).
static long ThreadCost()
{
    const int Threads = 200;
    using var release = new ManualResetEventSlim();
    using var started = new CountdownEvent(Threads);
    long before = ResidentBytes();
    var threads = new Thread[Threads];
    for (int i = 0; i < Threads; i++)
    {
        threads[i] = new Thread(() =>
        {
            started.Signal();
            release.Wait();
        });
        threads[i].Start();
    }

    started.Wait();
    long cost = (ResidentBytes() - before) / Threads;
    release.Set();
    foreach (Thread thread in threads)
    {
        thread.Join();
    }

    return cost;
}

// Go's concurrent prime sieve: returns the count-th prime. Like Go's, it leaves its generator
// and filters parked when it returns, sending into channels nobody reads (section 6 finds them).
static async Task<int> SieveAsync(int count)
{
    var numbers = new Chan<int>();
    Go.Run(async () =>
    {
        for (int i = 2; ; i++)
        {
            await numbers.SendAsync(i);
        }
    });
    ReceiveOnlyChan<int> candidates = numbers;
    int prime = 0;
    for (int i = 0; i < count; i++)
    {
        prime = await candidates.ReceiveAsync();
        var output = new Chan<int>();
        Go.Run(FilterAsync, candidates, output.ToSendOnly(), prime); // go filter(ch, ch1, prime): the arguments are this round's
        candidates = output;
    }

    return prime;
}

// A sieve filter: passes on the numbers its prime does not divide.
static async Task FilterAsync(ReceiveOnlyChan<int> input, SendOnlyChan<int> output, int prime)
{
    while (true)
    {
        int n = await input.ReceiveAsync();
        if (n % prime != 0)
        {
            await output.SendAsync(n);
        }
    }
}

// Sends count numbers of one parity, then closes its channel.
static async Task ProduceAsync(SendOnlyChan<int> output, int first, int count)
{
    for (int i = 0; i < count; i++)
    {
        await output.SendAsync(first + (2 * i));
    }

    output.Close();
}
