// Licensed under the MIT License.

using System.Threading.Tasks;

using Xunit;

using Verify = Goroutines.Analyzers.Tests.Verifier<Goroutines.Analyzers.ConfigureAwaitFalseAnalyzer, Goroutines.Analyzers.ConfigureAwaitFalseCodeFix>;

namespace Goroutines.Analyzers.Tests;

public sealed class ConfigureAwaitFalseTests
{
    [Fact]
    public async Task ConfigureAwaitFalse_InGoroutineBody_ReportedAndRemoved()
    {
        const string Source = """
            using Goroutines;

            class Program
            {
                static void Main() => Go.Main(async () =>
                {
                    await Task.Delay(1).{|GOR002:ConfigureAwait|}(false);
                });
            }
            """;
        const string Fixed = """
            using Goroutines;

            class Program
            {
                static void Main() => Go.Main(async () =>
                {
                    await Task.Delay(1);
                });
            }
            """;
        await Verify.VerifyCodeFixAsync(Source, [], Fixed);
    }

    [Fact]
    public async Task ConfigureAwait_OutsideGoroutinesOrTrue_NotReported()
    {
        const string Source = """
            using Goroutines;

            class Program
            {
                static async Task Main()
                {
                    await Task.Delay(1).ConfigureAwait(false);                          // no goroutine
                    await Task.Run(async () => await Task.Delay(1).ConfigureAwait(false)); // the thread pool's
                    Go.Run(async () => await Task.Delay(1).ConfigureAwait(true));
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(Source);
    }
}
