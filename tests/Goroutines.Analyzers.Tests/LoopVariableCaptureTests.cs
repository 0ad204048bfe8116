// Licensed under the MIT License.

using System.Threading.Tasks;

using Xunit;

using Verify = Goroutines.Analyzers.Tests.Verifier<Goroutines.Analyzers.LoopVariableCaptureAnalyzer, Goroutines.Analyzers.LoopVariableCaptureCodeFix>;

namespace Goroutines.Analyzers.Tests;

public sealed class LoopVariableCaptureTests
{
    [Fact]
    public async Task ForLoopVariable_CapturedByGoroutine_ReportedAndCopied()
    {
        const string Source = """
            using Goroutines;

            class Program
            {
                static void Main()
                {
                    for (int w = 1; w <= 3; w++)
                    {
                        Go.Run(() => Console.WriteLine($"worker {{|GOR001:w|}}"));
                    }
                }
            }
            """;
        const string Fixed = """
            using Goroutines;

            class Program
            {
                static void Main()
                {
                    for (int w = 1; w <= 3; w++)
                    {
                        var wCopy = w;
                        Go.Run(() => Console.WriteLine($"worker {wCopy}"));
                    }
                }
            }
            """;
        await Verify.VerifyCodeFixAsync(Source, [], Fixed);
    }

    [Fact]
    public async Task LocalTheLoopAssignsAfterTheCall_CapturedByGoroutine_ReportedAndCopied()
    {
        const string Source = """
            using Goroutines;

            class Program
            {
                static void Main()
                {
                    string line;
                    var reader = new StringReader("a\nb");
                    while ((line = reader.ReadLine()!) is not null)
                    {
                        Go.Run(async () => { await Task.Yield(); Console.WriteLine({|GOR001:line|}); });
                    }
                }
            }
            """;
        const string Fixed = """
            using Goroutines;

            class Program
            {
                static void Main()
                {
                    string line;
                    var reader = new StringReader("a\nb");
                    while ((line = reader.ReadLine()!) is not null)
                    {
                        var lineCopy = line;
                        Go.Run(async () => { await Task.Yield(); Console.WriteLine(lineCopy); });
                    }
                }
            }
            """;
        await Verify.VerifyCodeFixAsync(Source, [], Fixed);
    }

    [Fact]
    public async Task ValuesThatDoNotChange_NotReported()
    {
        const string Source = """
            using Goroutines;

            class Program
            {
                static void Main()
                {
                    foreach (int job in new[] { 1, 2, 3 })
                    {
                        Go.Run(() => Console.WriteLine(job));           // foreach: one variable per iteration
                    }

                    bool stop = false;
                    int started = 0;
                    Go.Run(() => { while (!Volatile.Read(ref stop)) { } });   // a flag set later to stop it: shared on purpose
                    stop = true;

                    for (int i = 0; i < 3; i++)
                    {
                        Go.Run(() => Console.WriteLine(started));       // written through ref only
                        Interlocked.Increment(ref started);
                        int copy = i;
                        Go.Run(() => Console.WriteLine(copy));          // copied first
                        Go.Run(n => Console.WriteLine(n), i);            // passed as an argument
                        Task.Run(() => Console.WriteLine(i));            // not a goroutine (not this rule's business)
                    }
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(Source);
    }
}
