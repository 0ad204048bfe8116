// Licensed under the MIT License.

using System.Threading.Tasks;

using Xunit;

using Verify = Goroutines.Analyzers.Tests.Verifier<Goroutines.Analyzers.SelectCaseAnalyzer, Microsoft.CodeAnalysis.Testing.EmptyCodeFixProvider>;

namespace Goroutines.Analyzers.Tests;

public sealed class SelectCaseTests
{
    [Fact]
    public async Task SwitchNotMatchingTheCases_CaseNumberAndReceivedTypeReported()
    {
        const string Source = """
            using Goroutines;
            using Goroutines.Channels;

            class Program
            {
                static void Main() => Go.Main(async () =>
                {
                    var numbers = new Chan<int>(1);
                    var names = new Chan<string>(1);
                    var sel = new Select();
                    switch (await sel.Receive(numbers).Send(names, "x").WaitAsync())
                    {
                        case 0:
                            Console.WriteLine(sel.{|GOR005:Received|}<string>());
                            break;
                        case 1:
                            Console.WriteLine(sel.{|GOR005:Received|}<string>());
                            break;
                        case {|GOR005:2|}:
                            break;
                    }
                });
            }
            """;
        await Verify.VerifyAnalyzerAsync(Source);
    }

    [Fact]
    public async Task SwitchMatchingTheCases_NotReported()
    {
        const string Source = """
            using Goroutines;
            using Goroutines.Channels;

            class Program
            {
                static void Main() => Go.Main(async () =>
                {
                    var jobs = new Chan<int>(16);
                    var results = new Chan<int>();
                    var select = new Select();
                    switch (await select.Receive(results).Send(jobs, 7).Default().WaitAsync())
                    {
                        case 0: Console.WriteLine(select.Received<int>()); break;
                        case 1: Console.WriteLine("sent 7"); break;
                        case 2: Console.WriteLine("nothing ready"); break;
                    }
                });
            }
            """;
        await Verify.VerifyAnalyzerAsync(Source);
    }
}
