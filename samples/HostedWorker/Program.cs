// Licensed under the MIT License.

// HostedWorker: the generic host running two goroutine services that share a channel
// through dependency injection. The producer makes a job every 200 ms and sends it; the
// consumer receives and logs them. Ctrl+C (or SIGTERM) stops the host: the services'
// context is cancelled, the producer closes the channel (the sender closes, as in Go),
// the consumer drains what is left and returns, and the host exits with code 0.
//
//   dotnet run --project samples/HostedWorker                # until Ctrl+C
//   dotnet run --project samples/HostedWorker -- --Jobs 5    # five jobs, then the host stops itself
//
// The runtime's settings come from appsettings.json's "Goroutines" section.

using System;

using Goroutines.Hosting;

using HostedWorker;

using Microsoft.Extensions.Hosting;

// appsettings.json is found beside the program, wherever it is started from.
HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Services
    .AddGoroutines(builder.Configuration.GetSection("Goroutines"))
    .AddChan<Job>(capacity: 4)
    .AddGoroutine<Producer>()
    .AddGoroutine<Consumer>();

using IHost host = builder.Build();
await host.RunAsync();
