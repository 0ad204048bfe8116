// Licensed under the MIT License.

using System.Collections.Generic;
using System.Linq;

using Goroutines.Scheduling;
using Goroutines.Testing;

using Xunit;

namespace Goroutines.Tests.Testing;

public sealed class ScheduleChooserTests
{
    [Fact]
    public void SameSeed_DrawsTheSameChoices()
    {
        var first = new ScheduleChooser(42, ExplorationStrategy.RandomWalk, depth: 3, stepBound: 100, expected: null);
        var second = new ScheduleChooser(42, ExplorationStrategy.RandomWalk, depth: 3, stepBound: 100, expected: null);

        List<int> a = Draw(first), b = Draw(second);

        Assert.Equal(a, b);
        Assert.Equal(first.Record, second.Record);
    }

    [Fact]
    public void OtherSeed_DrawsOtherChoices()
    {
        Assert.NotEqual(
            Draw(new ScheduleChooser(1, ExplorationStrategy.RandomWalk, 3, 100, null)),
            Draw(new ScheduleChooser(2, ExplorationStrategy.RandomWalk, 3, 100, null)));
    }

    [Fact]
    public void Replay_TakingTheSameShapeOfChoices_DoesNotDiverge()
    {
        var run = new ScheduleChooser(7, ExplorationStrategy.Pct, 3, 100, null);
        Draw(run);
        var replay = new ScheduleChooser(7, ExplorationStrategy.Pct, 3, 100, run.Record.ToList());

        Draw(replay);

        Assert.Equal(-1, replay.Divergence);
    }

    [Fact]
    public void Replay_MeetingAChoiceOfAnotherShape_ReportsWhereItDiverged()
    {
        var run = new ScheduleChooser(7, ExplorationStrategy.Pct, 3, 100, null);
        run.NextSelectSeed();
        run.ShuffleTies(new List<int> { 1, 2, 3 });
        var replay = new ScheduleChooser(7, ExplorationStrategy.Pct, 3, 100, run.Record.ToList());

        replay.NextSelectSeed();
        replay.ShuffleTies(new List<int> { 1, 2 }); // a timer fewer came due at that instant: something outside steered the run

        Assert.Equal(1, replay.Divergence);
    }

    // A select seed and a shuffle of ten timers: choices that need no goroutines.
    private static List<int> Draw(ScheduleChooser chooser)
    {
        var order = Enumerable.Range(0, 10).ToList();
        uint seed = chooser.NextSelectSeed();
        chooser.ShuffleTies(order);
        order.Add((int)(seed % 1000));
        return order;
    }
}
