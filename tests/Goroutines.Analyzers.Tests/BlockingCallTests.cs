// Licensed under the MIT License.

using System.Threading.Tasks;

using Xunit;

using Verify = Goroutines.Analyzers.Tests.Verifier<Goroutines.Analyzers.BlockingCallAnalyzer, Goroutines.Analyzers.BlockingCallCodeFix>;

namespace Goroutines.Analyzers.Tests;

public sealed class BlockingCallTests
{
    [Fact]
    public async Task BlockingForms_InAsyncGoroutineBody_ReportedAndAwaitedInstead()
    {
        const string Source = """
            using Goroutines;
            using Goroutines.Channels;
            using Goroutines.Sync;
            using Goroutines.Time;

            class Program
            {
                static void Main() => Go.Main(async () =>
                {
                    var ch = new Chan<int>(1);
                    var mu = new Goroutines.Sync.Mutex();
                    var wg = new WaitGroup();
                    Task<int> task = Task.FromResult(1);
                    ch.{|GOR003:Send|}(1);
                    int v = ch.{|GOR003:Receive|}();
                    using (mu.{|GOR003:Lock|}())
                    {
                    }
                    wg.{|GOR003:Wait|}();
                    Clock.{|GOR003:Sleep|}(TimeSpan.FromMilliseconds(1));
                    Thread.{|GOR003:Sleep|}(1);
                    task.{|GOR003:Wait|}();
                    int r = task.{|GOR003:Result|} + task.GetAwaiter().{|GOR003:GetResult|}();
                    Console.WriteLine(v + r);
                });
            }
            """;
        const string Fixed = """
            using Goroutines;
            using Goroutines.Channels;
            using Goroutines.Sync;
            using Goroutines.Time;

            class Program
            {
                static void Main() => Go.Main(async () =>
                {
                    var ch = new Chan<int>(1);
                    var mu = new Goroutines.Sync.Mutex();
                    var wg = new WaitGroup();
                    Task<int> task = Task.FromResult(1);
                    await ch.SendAsync(1);
                    int v = await ch.ReceiveAsync();
                    using (await mu.LockAsync())
                    {
                    }
                    await wg.WaitAsync();
                    await Clock.SleepAsync(TimeSpan.FromMilliseconds(1));
                    await System.Threading.Tasks.Task.Delay(1);
                    await task;
                    int r = await task + await task;
                    Console.WriteLine(v + r);
                });
            }
            """;
        await Verify.VerifyCodeFixAsync(Source, [], Fixed);
    }

    [Fact]
    public async Task BlockingForms_OutsideAsyncGoroutineBodies_NotReported()
    {
        const string Source = """
            using Goroutines;
            using Goroutines.Channels;

            class Program
            {
                static void Main()
                {
                    var ch = new Chan<int>(1);
                    ch.Send(1);                                   // a plain thread may block
                    Go.Run(() => ch.Send(2));                      // a synchronous goroutine chose to
                    Go.Run(async () =>
                    {
                        await Task.Run(() => Thread.Sleep(1));    // the thread pool's lambda
                        ch.TrySend(3);                            // never blocks
                    });
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(Source);
    }
}
