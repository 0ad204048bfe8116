// Licensed under the MIT License.

using System.Threading.Tasks;

using Goroutines;
using Goroutines.Contexts;
using Goroutines.Hosting;

using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HostedWorker;

/// <summary>Receives jobs until the channel is closed; stops the host if the producer finished on its own.</summary>
internal sealed class Consumer(SharedChan<Job> jobs, IHostApplicationLifetime lifetime, ILogger<Consumer> logger) : IGoroutineService
{
    public async Task RunAsync(Context context)
    {
        int received = 0;
        await foreach (Job job in jobs.Chan)
        {
            received++;
            Log.JobReceived(logger, job.Number, job.MadeAt, Go.CurrentGoroutineId);
        }

        Log.ConsumerDone(logger, received);
        if (context.Err is null)
        {
            // The producer sent all it was asked to: nothing is left to do.
            lifetime.StopApplication();
        }
    }
}
