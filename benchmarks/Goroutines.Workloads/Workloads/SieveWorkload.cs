// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Threading.Channels;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Workloads.Support;

namespace Goroutines.Workloads.Workloads;

/// <summary>
/// W7 sieve: the concurrent prime sieve; a generator and a chain of filter goroutines connected
/// by unbuffered channels; find the first N primes. Figures: ms, and the last prime (checked
/// against a sequential computation after the timed region; 104729 for N = 10,000). Flags: -n,
/// -warmup.
/// </summary>
/// <remarks>
/// <para>
/// On this runtime, the generator and the filters are goroutines awaiting
/// <see cref="Chan{T}.SendAsync(T)"/> and <see cref="Chan{T}.ReceiveAsync()"/> on unbuffered
/// <see cref="Chan{T}"/>s; the main goroutine receives each prime and starts its filter, as the
/// Go reference. When it is done, the generator and every filter stay parked forever, as in the
/// classic program.
/// </para>
/// <para>
/// On plain .NET, the generator and the filters are <see cref="Task.Run(Func{Task})"/> async
/// lambdas awaiting <see cref="ChannelWriter{T}.WriteAsync"/> and
/// <see cref="ChannelReader{T}.ReadAsync"/> on rendezvous channels (<c>Channel.CreateBounded(0)</c>,
/// Go's unbuffered channel); they too are left pending at the end.
/// </para>
/// <para>
/// The Go reference does not check the last prime; this runner does, outside the timed region,
/// and fails if it is wrong.
/// </para>
/// </remarks>
internal static class SieveWorkload
{
    public static void Run(WorkloadArguments args)
    {
        int n = args.Int("n", 10_000);
        bool warmup = args.Bool("warmup", true);
        args.RejectUnknown();
        if (n < 1)
        {
            throw new ArgumentException("-n must be at least 1");
        }

        Action<int> pass = args.Runtime == RuntimeKind.Goroutines ? OnGoroutines : OnDotNet;
        Figures.Warmup(warmup, () => pass(Math.Max(n / 100, 1)));
        pass(n);
    }

    private static void OnGoroutines(int n) => Go.Main(async () =>
    {
        long start = Stopwatch.GetTimestamp();
        var ch = new Chan<int>();
        Chan<int> generated = ch;
        Go.Run(() => GenerateAsync(generated));
        int prime = 0;
        for (int i = 0; i < n; i++)
        {
            prime = await ch.ReceiveAsync();
            var ch1 = new Chan<int>();
            Chan<int> input = ch;
            int divisor = prime;
            Go.Run(() => FilterAsync(input, ch1, divisor));
            ch = ch1;
        }

        Report(Stopwatch.GetElapsedTime(start), n, prime);
    });

    private static async Task GenerateAsync(SendOnlyChan<int> ch)
    {
        for (int i = 2; ; i++)
        {
            await ch.SendAsync(i);
        }
    }

    private static async Task FilterAsync(ReceiveOnlyChan<int> input, SendOnlyChan<int> output, int prime)
    {
        while (true)
        {
            int i = await input.ReceiveAsync();
            if (i % prime != 0)
            {
                await output.SendAsync(i);
            }
        }
    }

    private static void OnDotNet(int n) => SieveAsync(n).GetAwaiter().GetResult();

    private static async Task SieveAsync(int n)
    {
        long start = Stopwatch.GetTimestamp();
        var ch = Channel.CreateBounded<int>(0);
        ChannelWriter<int> generated = ch.Writer;
        _ = Task.Run(() => GenerateAsync(generated));
        int prime = 0;
        for (int i = 0; i < n; i++)
        {
            prime = await ch.Reader.ReadAsync();
            var ch1 = Channel.CreateBounded<int>(0);
            ChannelReader<int> input = ch.Reader;
            int divisor = prime;
            _ = Task.Run(() => FilterAsync(input, ch1.Writer, divisor));
            ch = ch1;
        }

        Report(Stopwatch.GetElapsedTime(start), n, prime);
    }

    private static async Task GenerateAsync(ChannelWriter<int> ch)
    {
        for (int i = 2; ; i++)
        {
            await ch.WriteAsync(i);
        }
    }

    private static async Task FilterAsync(ChannelReader<int> input, ChannelWriter<int> output, int prime)
    {
        while (true)
        {
            int i = await input.ReadAsync();
            if (i % prime != 0)
            {
                await output.WriteAsync(i);
            }
        }
    }

    private static void Report(TimeSpan elapsed, int n, int prime)
    {
        int want = NthPrime(n);
        if (prime != want)
        {
            throw new InvalidOperationException($"sieve: last prime {prime} want {want}");
        }

        Figures.Emit("sieve.ms", elapsed.TotalMilliseconds, "ms");
        Figures.EmitInt("sieve.last_prime", prime, "-");
    }

    // The n-th prime by trial division: the reference the concurrent sieve must agree with.
    private static int NthPrime(int n)
    {
        int found = 0;
        for (int candidate = 2; ; candidate++)
        {
            bool isPrime = true;
            for (int d = 2; d * d <= candidate; d++)
            {
                if (candidate % d == 0)
                {
                    isPrime = false;
                    break;
                }
            }

            if (isPrime && ++found == n)
            {
                return candidate;
            }
        }
    }
}
