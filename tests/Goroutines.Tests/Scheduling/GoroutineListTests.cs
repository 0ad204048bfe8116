// Licensed under the MIT License.

using System.Collections.Generic;
using System.Linq;

using Goroutines.Scheduling;

using Xunit;

namespace Goroutines.Tests.Scheduling;

// The registry shard on its own, with goroutine objects that are never scheduled: its owner
// is the test's thread.
public sealed class GoroutineListTests
{
    [Fact]
    public void Add_BeyondOneChunk_ListsEveryGoroutineInItsOwnSlot()
    {
        var list = new GoroutineList(shard: 3);
        List<Goroutine> added = Create(5_000);

        added.ForEach(list.Add);

        Assert.Equal(added.Select(g => g.Id).Order(), Live(list).Select(g => g.Id).Order());
        Assert.Equal(5_000, added.Select(g => g.RegistrySlot).Distinct().Count());
        Assert.All(added, g => Assert.Equal(3, g.RegistryShard));
    }

    [Fact]
    public void Remove_ThenAddMore_ReusesClearedSlotsAndListsOnlyTheLive()
    {
        var list = new GoroutineList(shard: 0);
        List<Goroutine> first = Create(4_096);
        first.ForEach(list.Add);
        List<Goroutine> removed = first.Where((_, i) => i % 2 == 0).ToList();
        removed.ForEach(list.Remove);

        List<Goroutine> second = Create(2_048, firstId: 10_000);
        second.ForEach(list.Add);

        List<Goroutine> expected = first.Except(removed).Concat(second).ToList();
        Assert.Equal(expected.Select(g => g.Id).Order(), Live(list).Select(g => g.Id).Order());
        Assert.Equal(expected.Count, expected.Select(g => g.RegistrySlot).Distinct().Count());
        Assert.True(second.Max(g => g.RegistrySlot) < 4_096, "the cleared slots were reused before the list grew");
    }

    [Fact]
    public void Release_ThenRestore_PutsBackOnlyThoseThatDidNotLeave()
    {
        var list = new GoroutineList(shard: 0);
        List<Goroutine> all = Create(10);
        all.ForEach(list.Add);

        List<(int Slot, Goroutine Goroutine)> released = list.Release(g => g.Id <= 5);
        Assert.Equal(5, released.Count);
        Assert.Equal(all.Skip(5).Select(g => g.Id), Live(list).Select(g => g.Id).Order());

        list.Remove(all[0]); // it exited during the pass: its slot is free, and stays so
        Goroutine reuser = Create(1, firstId: 99)[0];
        list.Add(reuser);
        foreach ((int slot, Goroutine g) in released)
        {
            list.Restore(slot, g);
        }

        Assert.Equal(all.Skip(1).Select(g => g.Id).Append(99).Order(), Live(list).Select(g => g.Id).Order());
    }

    private static List<Goroutine> Create(int count, long firstId = 1) =>
        Enumerable.Range(0, count)
            .Select(i => new Goroutine(firstId + i, static () => { }, 0, "Create", null, 0, exitSignal: null, executionContext: null))
            .ToList();

    private static List<Goroutine> Live(GoroutineList list)
    {
        var live = new List<Goroutine>();
        list.CopyLiveTo(live);
        return live;
    }
}
