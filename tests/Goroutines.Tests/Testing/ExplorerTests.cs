// Licensed under the MIT License.

using System;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Diagnostics;
using Goroutines.Testing;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Testing;

public sealed class ExplorerTests : RuntimeTest
{
    private const int SeedBudget = 10_000;

    public static TheoryData<string> Bugs => [.. BugCatalogue.All.Select(b => b.Name)];

    [Theory]
    [MemberData(nameof(Bugs))]
    public async Task ExploreAsync_BuggyProgram_FindsTheBugAndReplayTakesTheSameInterleaving(string name)
    {
        CataloguedBug bug = BugCatalogue.Named(name);
        var options = new ExplorationOptions { Iterations = SeedBudget };

        ExplorationFailedException found = await Assert.ThrowsAsync<ExplorationFailedException>(() => Explorer.ExploreAsync(bug.Buggy, options));

        Assert.False(found.ReplayDiverged, found.Message);
        for (int i = 0; i < 3; i++)
        {
            ExplorationFailedException replayed = await Assert.ThrowsAsync<ExplorationFailedException>(() => Explorer.ReplayAsync(bug.Buggy, found.Seed, options));
            Assert.Equal(found.ScheduleFingerprint, replayed.ScheduleFingerprint);
            Assert.Equal(found.Choices, replayed.Choices);
            Assert.Equal(found.InnerException!.GetType(), replayed.InnerException!.GetType());
            Assert.Equal(WithoutNumbers(found.InnerException.Message), WithoutNumbers(replayed.InnerException.Message));
        }

        ExpectParkedBy(found, runs: 5); // the finding run, the explorer's replay of it, and three replays here
    }

    [Theory]
    [MemberData(nameof(Bugs))]
    public async Task ExploreAsync_FixedProgram_PassesEverySeed(string name)
    {
        CataloguedBug bug = BugCatalogue.Named(name);

        ExplorationSummary summary = await Explorer.ExploreAsync(bug.Fixed, new ExplorationOptions { Iterations = SeedBudget });

        Assert.Equal(SeedBudget, summary.SeedsTried);
    }

    [Theory]
    [MemberData(nameof(Bugs))]
    public async Task ExploreAsync_RandomWalk_FindsTheBugToo(string name)
    {
        CataloguedBug bug = BugCatalogue.Named(name);
        var options = new ExplorationOptions { Iterations = SeedBudget, Strategy = ExplorationStrategy.RandomWalk };

        ExplorationFailedException found = await Assert.ThrowsAsync<ExplorationFailedException>(() => Explorer.ExploreAsync(bug.Buggy, options));

        Assert.Equal(ExplorationStrategy.RandomWalk, found.Strategy);
        ExpectParkedBy(found, runs: 2);
    }

    [Fact]
    public async Task ExploreAsync_Livelock_FailsPastTheStepBudget()
    {
        var options = new ExplorationOptions { Iterations = 1, MaxSteps = 1_000 };

        ExplorationFailedException found = await Assert.ThrowsAsync<ExplorationFailedException>(() => Explorer.ExploreAsync(
            async () =>
            {
                while (true)
                {
                    await Go.YieldAsync();
                }
            },
            options));

        var budget = Assert.IsType<TimeoutException>(found.InnerException);
        Assert.Contains("1000 scheduling steps", budget.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExploreAsync_Deadlock_ReportsItWithTheSeedAndTheDump()
    {
        ExplorationFailedException found = await Assert.ThrowsAsync<ExplorationFailedException>(
            () => Explorer.ExploreAsync(async () => await new Chan<int>().ReceiveAsync(), new ExplorationOptions { Iterations = 5, FirstSeed = 77 }));

        Assert.IsType<DeadlockException>(found.InnerException);
        Assert.Equal(77, found.Seed);
        Assert.Equal(1, found.SeedsTried);
        Assert.Contains("[chan receive]", found.Dump, StringComparison.Ordinal);
        Assert.Contains("Explorer.ReplayAsync(body, 77, options)", found.Message, StringComparison.Ordinal);
        ExpectParkedForever(2); // the run and the explorer's replay of it
    }

    [Fact]
    public async Task ExploreAsync_ForeignAwait_IsCountedAndNamedInTheReport()
    {
        ExplorationFailedException found = await Assert.ThrowsAsync<ExplorationFailedException>(() => Explorer.ExploreAsync(
            async () =>
            {
                // A task another thread completes once this goroutine is parked on it: the ready
                // comes from outside the bubble (a timer's task could be done before the await).
                var foreign = new TaskCompletionSource();
                long awaiting = Go.CurrentGoroutineId;
                var completer = new Thread(() =>
                {
                    Poll.Until(
                        () => GoroutineDump.Capture().Goroutines.Any(g => g.Id == awaiting && g.WaitReason == "await"),
                        TestTimeouts.Default);
                    foreign.SetResult();
                }) { IsBackground = true };
                completer.Start();
                await foreign.Task;
                throw new InvalidOperationException("after a foreign await");
            },
            new ExplorationOptions { Iterations = 1 }));

        Assert.True(found.ForeignReadies >= 1, found.Message);
        Assert.Contains("outside the bubble", found.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExploreAsync_SameSeeds_TakeTheSameInterleavings()
    {
        CataloguedBug bug = BugCatalogue.Named("double-close");
        var options = new ExplorationOptions { Iterations = SeedBudget, FirstSeed = 1_000 };

        ExplorationFailedException first = await Assert.ThrowsAsync<ExplorationFailedException>(() => Explorer.ExploreAsync(bug.Buggy, options));
        ExplorationFailedException second = await Assert.ThrowsAsync<ExplorationFailedException>(() => Explorer.ExploreAsync(bug.Buggy, options));

        Assert.Equal(first.Seed, second.Seed);
        Assert.Equal(first.SeedsTried, second.SeedsTried);
        Assert.Equal(first.ScheduleFingerprint, second.ScheduleFingerprint);
        ExpectParkedBy(first, runs: 4);
    }

    // Goroutine ids and the like differ from run to run; the rest of a failure's message must not.
    private static string WithoutNumbers(string message) => Regex.Replace(message, "[0-9]+", "#");

    // Each failing run of a program leaves parked for good the goroutines its dump lists.
    private void ExpectParkedBy(ExplorationFailedException found, int runs)
    {
        // A goroutine that failed the run is listed running or runnable: it ends, and is not counted.
        int parked = found.Dump.Split('\n').Count(line => line.StartsWith("goroutine ", StringComparison.Ordinal)
            && !line.Contains("[running", StringComparison.Ordinal) && !line.Contains("[runnable", StringComparison.Ordinal));
        if (parked > 0)
        {
            ExpectParkedForever(parked * runs);
        }
    }

    [Fact]
    public async Task ExploreAsync_SelectMadeOutsideTheBubble_SameSeedMakesTheSameChoices()
    {
        // One Select, made outside, used by two explorations of the same seed: its random choices
        // among ready cases must come from the explored bubble, not from its own generator.
        var select = new Select();
        async Task<string> ChoicesAsync()
        {
            string choices = string.Empty;
            await Explorer.ExploreAsync(
                async () =>
                {
                    var left = new Chan<int>(40);
                    var right = new Chan<int>(40);
                    for (int i = 0; i < 40; i++)
                    {
                        left.TrySend(i);
                        right.TrySend(i);
                    }

                    for (int i = 0; i < 40; i++)
                    {
                        choices += await select.Receive(left).Receive(right).WaitAsync();
                    }
                },
                new ExplorationOptions { Iterations = 1, FirstSeed = 7 });
            return choices;
        }

        string first = await ChoicesAsync();
        string second = await ChoicesAsync();

        Assert.Equal(first, second);
        Assert.Contains("0", first, StringComparison.Ordinal);
        Assert.Contains("1", first, StringComparison.Ordinal);
    }
}
