// Licensed under the MIT License.

using System;
using System.Threading.Tasks;

using Goroutines.Contexts;
using Goroutines.Hosting.Tests.TestSupport;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

using Xunit;

namespace Goroutines.Hosting.Tests;

public sealed class SharedChanTests : HostingTest
{
    [Fact]
    public async Task AddChan_ProducerAndConsumerServices_ShareOneChannel()
    {
        var total = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        using IHost host = BuildHost((services, _) => services
            .AddChan<int>(capacity: 4)
            .AddSingleton(total)
            .AddGoroutine<Producer>()
            .AddGoroutine<Consumer>());

        await host.StartAsync();
        int sum = await total.Task.WaitAsync(TestTimeouts.Default);
        await host.StopAsync();

        Assert.Equal(55, sum);
        Assert.Same(host.Services.GetRequiredService<SharedChan<int>>(), host.Services.GetRequiredService<SharedChan<int>>());
        Assert.Equal(4, host.Services.GetRequiredService<SharedChan<int>>().Chan.Capacity);
    }

    [Fact]
    public async Task AddKeyedChan_TwoKeys_TwoChannelsEachSharedUnderItsKey()
    {
        var echoed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using IHost host = BuildHost((services, _) => services
            .AddKeyedChan<string>("requests")
            .AddKeyedChan<string>("replies", capacity: 1)
            .AddGoroutine(async (ctx, sp) =>
            {
                var requests = sp.GetRequiredKeyedService<SharedChan<string>>("requests").Chan;
                var replies = sp.GetRequiredKeyedService<SharedChan<string>>("replies").Chan;
                await foreach (string request in requests)
                {
                    await replies.SendAsync(request.ToUpperInvariant());
                }
            })
            .AddGoroutine(async (ctx, sp) =>
            {
                var requests = sp.GetRequiredKeyedService<SharedChan<string>>("requests").Chan;
                var replies = sp.GetRequiredKeyedService<SharedChan<string>>("replies").Chan;
                await requests.SendAsync("ping");
                echoed.TrySetResult(await replies.ReceiveAsync());
                requests.Close();
            }));

        await host.StartAsync();
        Assert.Equal("PING", await echoed.Task.WaitAsync(TestTimeouts.Default));
        await host.StopAsync();

        Assert.NotSame(
            host.Services.GetRequiredKeyedService<SharedChan<string>>("requests"),
            host.Services.GetRequiredKeyedService<SharedChan<string>>("replies"));
        Assert.Null(host.Services.GetService<SharedChan<string>>());
    }

    [Fact]
    public void AddChan_SameElementTypeTwice_ThrowsPointingToKeyedChannels()
    {
        var services = new ServiceCollection().AddChan<int>();

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => services.AddChan<int>());

        Assert.Contains("AddKeyedChan<Int32>", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => services.AddKeyedChan<int>("a").AddKeyedChan<int>("a"));
    }

    [Fact]
    public void AddChan_BadArguments_Throw()
    {
        var services = new ServiceCollection();
        Assert.Throws<ArgumentOutOfRangeException>(() => services.AddChan<int>(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => services.AddKeyedChan<int>("k", -1));
        Assert.Throws<ArgumentNullException>(() => services.AddKeyedChan<int>(null!));
    }

    /// <summary>Sends 1 to 10, then closes the channel: the sender closes, as in Go.</summary>
    private sealed class Producer(SharedChan<int> numbers) : IGoroutineService
    {
        public async Task RunAsync(Context context)
        {
            try
            {
                for (int i = 1; i <= 10; i++)
                {
                    await numbers.Chan.SendAsync(i);
                }
            }
            finally
            {
                numbers.Chan.Close();
            }
        }
    }

    private sealed class Consumer(SharedChan<int> numbers, TaskCompletionSource<int> total) : IGoroutineService
    {
        public async Task RunAsync(Context context)
        {
            int sum = 0;
            await foreach (int n in numbers.Chan)
            {
                sum += n;
            }

            total.TrySetResult(sum);
        }
    }
}
