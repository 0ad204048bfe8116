// Licensed under the MIT License.

// A small service shape ported from Go line for line (docs/porting-from-go.md walks through
// it): a generator stage, a pool of four workers, and a fan-in that gives up when results stop
// coming, all under one deadline. The Go original is in the guide, beside this code.

using System;
using System.Threading.Tasks;

using Goroutines;
using Goroutines.Channels;
using Goroutines.Contexts;
using Goroutines.Sync;
using Goroutines.Time;

Go.Main(async () =>
{
    var (ctx, cancel) = Context.WithTimeout(Context.Background, TimeSpan.FromSeconds(2)); // ctx, cancel := context.WithTimeout(...)
    try                                                                                  // defer cancel()
    {
        var jobs = new Chan<int>();
        var results = new Chan<string>();

        // The generator: stops early if the deadline passes.
        Go.Run(async () =>
        {
            try
            {
                var send = new Select();
                for (int i = 1; i <= 20; i++)
                {
                    if (await send.Send(jobs, i).Receive(ctx.Done).WaitAsync() == 1)
                    {
                        return;
                    }
                }
            }
            finally
            {
                jobs.Close(); // defer close(jobs)
            }
        });

        // The worker pool: the worker's number is passed in, as Go's go func(w int){...}(w).
        var workers = new WaitGroup();
        for (int w = 1; w <= 4; w++)
        {
            workers.Add(1);
            Go.Run(
                async worker =>
                {
                    try
                    {
                        var deliver = new Select();
                        await foreach (int job in jobs) // for j := range jobs
                        {
                            await Clock.SleepAsync(TimeSpan.FromMilliseconds(10 * worker)); // the work
                            string result = $"worker {worker}: job {job} -> {job * job}";
                            if (await deliver.Send(results, result).Receive(ctx.Done).WaitAsync() == 1)
                            {
                                return;
                            }
                        }
                    }
                    finally
                    {
                        workers.Done(); // defer wg.Done()
                    }
                },
                w);
        }

        Go.Run(async () =>
        {
            await workers.WaitAsync();
            results.Close();
        });

        // The fan-in: print results until the workers are done, or none came for 500 ms.
        int received = 0;
        var select = new Select();
        while (true)
        {
            switch (await select.Receive(results).Receive(Clock.After(TimeSpan.FromMilliseconds(500))).WaitAsync())
            {
                case 0 when !select.ReceivedOk:
                    Console.WriteLine($"done: {received} results");
                    return;
                case 0:
                    received++;
                    Console.WriteLine(select.Received<string>());
                    break;
                default:
                    Console.WriteLine($"no result for 500 ms; stopping after {received}");
                    return;
            }
        }
    }
    finally
    {
        cancel();
    }
});
