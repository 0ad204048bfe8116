// Licensed under the MIT License.

using System;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Contexts;
using Goroutines.Hosting;
using Goroutines.Time;

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace HostedWorker;

/// <summary>Sends a job every 200 ms until the host stops (or <c>--Jobs</c> were sent), then closes the channel.</summary>
internal sealed class Producer(SharedChan<Job> jobs, IConfiguration configuration, ILogger<Producer> logger) : IGoroutineService
{
    public async Task RunAsync(Context context)
    {
        int limit = configuration.GetValue("Jobs", int.MaxValue);
        using var ticker = new Ticker(TimeSpan.FromMilliseconds(200));
        int sent = 0;
        try
        {
            while (sent < limit)
            {
                // The next tick or the host's stop, whichever comes first.
                var tick = new Select().Receive(ticker.C).Receive(context.Done);
                if (await tick.WaitAsync() == 1)
                {
                    return;
                }

                // Send, unless the host stops while the consumer is slow to take it.
                var send = new Select().Send(jobs.Chan, new Job(sent + 1, tick.Received<DateTimeOffset>())).Receive(context.Done);
                if (await send.WaitAsync() == 1)
                {
                    return;
                }

                sent++;
            }
        }
        finally
        {
            jobs.Chan.Close();
            Log.ProducerDone(logger, sent);
        }
    }
}
