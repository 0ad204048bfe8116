// Licensed under the MIT License.

// The execution trace: records a short workload (producers and consumers on channels, a
// select, a sleep, a blocking call and two CPU hogs whose processors sysmon hands off) and writes
// trace.json, for https://ui.perfetto.dev or chrome://tracing, and trace.svg, a timeline
// to look at without a browser.
// Run it with: dotnet run -c Release --project samples/TraceDemo [-- output-directory]

using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

using Goroutines;
using Goroutines.Channels;
using Goroutines.Diagnostics;
using Goroutines.Sync;
using Goroutines.Time;

using TraceDemo;

string outputDirectory = args.Length > 0 ? args[0] : ".";
Directory.CreateDirectory(outputDirectory);
Go.SetMaxProcs(2); // two processor tracks keep the picture readable

Go.Main(async () =>
{
    await RunWorkloadAsync(); // once untraced, so that the trace shows scheduling, not JIT compilation
    var trace = ExecutionTrace.Start();
    await RunWorkloadAsync();
    trace.Stop();

    string jsonPath = Path.Combine(outputDirectory, "trace.json");
    using (FileStream file = File.Create(jsonPath))
    {
        trace.WriteTo(file);
    }

    string svgPath = Path.Combine(outputDirectory, "trace.svg");
    File.WriteAllText(svgPath, TraceTimeline.Render(File.ReadAllBytes(jsonPath)));

    Console.WriteLine($"Recorded {trace.EventCount:N0} events ({trace.DroppedEvents:N0} dropped).");
    Console.WriteLine($"Wrote {Path.GetFullPath(jsonPath)}: open it in https://ui.perfetto.dev (Open trace file) or chrome://tracing (Load).");
    Console.WriteLine($"Wrote {Path.GetFullPath(svgPath)}: the same steps as a timeline, one row per processor and per thread.");
}, "main");

static async Task RunWorkloadAsync()
{
    var jobs = new Chan<int>(4);
    var results = new Chan<int>();
    var done = new Chan<bool>();
    var producers = new WaitGroup();
    var consumers = new WaitGroup();

    for (int p = 0; p < 3; p++)
    {
        int first = p * 100;
        producers.Go(() => ProduceAsync(jobs, first), nameof(ProduceAsync));
    }

    for (int c = 0; c < 2; c++)
    {
        consumers.Go(() => ConsumeAsync(jobs, results, done), nameof(ConsumeAsync));
    }

    // Two CPU hogs, 20 ms each without an await, hold both processors. Sysmon asks them to
    // yield, then hands their processors to other threads, so the channel traffic goes on.
    var hogDone = new WaitGroup();
    hogDone.Go(Hog, nameof(Hog));
    hogDone.Go(Hog, nameof(Hog));

    long sum = 0;
    Go.Run(async () =>
    {
        await producers.WaitAsync();
        done.Close();
        await consumers.WaitAsync();
        results.Close();
    }, "CloseWhenDone");

    await foreach (int result in results)
    {
        sum += result;
    }

    await hogDone.WaitAsync();
    Console.WriteLine($"The workload summed {sum:N0}.");
}

static async Task ProduceAsync(Chan<int> jobs, int first)
{
    for (int i = first; i < first + 40; i++)
    {
        await jobs.SendAsync(i);
        if (i % 10 == 9)
        {
            await Clock.SleepAsync(TimeSpan.FromMilliseconds(2));
        }
    }
}

static async Task ConsumeAsync(Chan<int> jobs, Chan<int> results, Chan<bool> done)
{
    var select = new Select();
    while (true)
    {
        int chosen = await select.Receive(jobs).Receive(done).WaitAsync();
        if (chosen == 1)
        {
            // Producers finished: drain what is left, then stop.
            while (jobs.TryReceive(out int rest))
            {
                await results.SendAsync(rest * 2);
            }

            return;
        }

        int job = select.Received<int>();
        if (job % 25 == 0)
        {
            // A blocking call, marked so that the processor can be handed off meanwhile.
            using (Go.EnterBlockingRegion())
            {
                Thread.Sleep(1);
            }
        }

        await results.SendAsync(job * 2);
    }
}

static void Hog()
{
    long until = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 20 / 1000);
    while (Stopwatch.GetTimestamp() < until)
    {
        Thread.SpinWait(100);
    }
}
