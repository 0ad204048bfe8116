// Licensed under the MIT License.

using System.Threading.Tasks;

using Xunit;

using Verify = Goroutines.Analyzers.Tests.Verifier<Goroutines.Analyzers.UnawaitedOperationAnalyzer, Goroutines.Analyzers.UnawaitedOperationCodeFix>;

namespace Goroutines.Analyzers.Tests;

public sealed class UnawaitedOperationTests
{
    [Fact]
    public async Task DroppedOperations_InAsyncCode_ReportedAndAwaited()
    {
        const string Source = """
            using Goroutines;
            using Goroutines.Channels;
            using Goroutines.Time;

            class Program
            {
                static void Main() => Go.Main(async () =>
                {
                    var ch = new Chan<int>(1);
                    ch.{|GOR004:SendAsync|}(1);
                    Clock.{|GOR004:SleepAsync|}(TimeSpan.FromMilliseconds(1));
                    Console.WriteLine(await ch.ReceiveAsync());
                });
            }
            """;
        const string Fixed = """
            using Goroutines;
            using Goroutines.Channels;
            using Goroutines.Time;

            class Program
            {
                static void Main() => Go.Main(async () =>
                {
                    var ch = new Chan<int>(1);
                    await ch.SendAsync(1);
                    await Clock.SleepAsync(TimeSpan.FromMilliseconds(1));
                    Console.WriteLine(await ch.ReceiveAsync());
                });
            }
            """;
        await Verify.VerifyCodeFixAsync(Source, [], Fixed);
    }

    [Fact]
    public async Task AwaitedKeptOrOtherLibraries_NotReported()
    {
        const string Source = """
            using Goroutines;
            using Goroutines.Channels;

            class Program
            {
                static async Task Main()
                {
                    var ch = new Chan<int>(1);
                    await ch.SendAsync(1);
                    ValueTask<int> pending = ch.ReceiveAsync();   // kept to await later
                    Console.WriteLine(await pending);
                    Task.Delay(1);                                // not this library's (CA2012 and others cover it)
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(Source);
    }
}
