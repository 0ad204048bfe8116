// Licensed under the MIT License.

using System.Collections.Generic;

using Goroutines.Testing;

namespace Goroutines.Scheduling;

// ScheduleChooser: every scheduling choice of an explored bubble, drawn from one seeded
// generator, and the record of the choices made (for the replay's divergence check).
//
// The choices: which runnable goroutine runs the next step; whether the running one
// yields at a safe point (a runtime operation that could complete at once); the seed
// of each select created in the bubble (its case order, so which ready case it takes);
// the order of timers that come due at the same instant. Nothing else may steer the
// bubble: with one goroutine of it running at a time, these choices and the program
// determine the run.
//
// Strategies:
// - PCT (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010): each goroutine gets
//   a random priority when it is created, above d; d-1 change points are drawn among the
//   first k scheduling steps; the runnable goroutine of highest priority always runs, and
//   at the i-th change point the goroutine that holds the bubble drops to priority i.
//   A bug of depth d among n goroutines and k steps is found with probability at least
//   1/(n·k^(d-1)) per run.
// - Random walk: a uniform pick at every step, and a yield at a safe point with
//   probability 1/4.
//
// The generator is SplitMix64 (Steele, Lea, Flood, OOPSLA 2014), written out here rather
// than System.Random: a seed must name the same schedule on every .NET version, and
// Random's seeded sequence is documented as free to change between versions.
//
// Invariants (under the bubble's lock, which every call holds):
// - Choices are recorded in the order they are made; with an expected record, the first
//   choice whose kind or number of options differs is the divergence.
internal sealed class ScheduleChooser
{
    private readonly ExplorationStrategy _strategy;
    private readonly long[] _changePoints;
    private readonly int _depth;
    private readonly List<ulong> _record = [];
    private readonly IReadOnlyList<ulong>? _expected;
    private ulong _state;
    private long _step;
    private int _nextChangePoint;

    /// <summary>Creates the chooser of one run.</summary>
    /// <param name="seed">The run's seed.</param>
    /// <param name="strategy">How choices are drawn.</param>
    /// <param name="depth">PCT's d: the bug depth it guarantees a probability for.</param>
    /// <param name="stepBound">PCT's k: how many steps the change points are drawn among.</param>
    /// <param name="expected">The record of a run to compare with (a replay), or null.</param>
    public ScheduleChooser(long seed, ExplorationStrategy strategy, int depth, int stepBound, IReadOnlyList<ulong>? expected)
    {
        _state = (ulong)seed;
        _strategy = strategy;
        _depth = depth;
        _expected = expected;
        _changePoints = new long[strategy == ExplorationStrategy.Pct ? depth - 1 : 0];
        for (int i = 0; i < _changePoints.Length; i++)
        {
            _changePoints[i] = 1 + Next(stepBound);
        }

        System.Array.Sort(_changePoints);
    }

    private enum Kind : byte
    {
        Run = 1,
        Preempt = 2,
        SelectSeed = 3,
        TimerOrder = 4,
    }

    /// <summary>The choices made so far, each as kind, number of options and the option taken.</summary>
    public IReadOnlyList<ulong> Record => _record;

    /// <summary>The index of the first choice that differs from the expected record, or -1.</summary>
    public int Divergence { get; private set; } = -1;

    /// <summary>Scheduling steps taken (dispatches and safe points).</summary>
    public long Steps => _step;

    /// <summary>Gives a goroutine that joins the bubble its PCT priority.</summary>
    public void NoteNew(BubbleMember member) => member.Priority = _depth + 1 + (long)(NextRaw() >> 2);

    /// <summary>Picks the goroutine that runs the next step; <paramref name="previous"/> held the bubble last.</summary>
    public int PickNext(List<BubbleMember> runnable, BubbleMember? previous)
    {
        TakeStep(previous);
        int pick;
        if (_strategy == ExplorationStrategy.Pct)
        {
            pick = 0;
            for (int i = 1; i < runnable.Count; i++)
            {
                if (Outranks(runnable[i], runnable[pick]))
                {
                    pick = i;
                }
            }
        }
        else
        {
            pick = runnable.Count == 1 ? 0 : Next(runnable.Count);
        }

        Note(Kind.Run, runnable.Count, pick);
        return pick;
    }

    /// <summary>Whether <paramref name="running"/> yields at the safe point it reached.</summary>
    public bool ShouldPreempt(BubbleMember running, List<BubbleMember> runnable)
    {
        TakeStep(running);
        bool preempt;
        if (_strategy == ExplorationStrategy.Pct)
        {
            preempt = false;
            foreach (BubbleMember other in runnable)
            {
                preempt |= Outranks(other, running);
            }
        }
        else
        {
            preempt = Next(4) == 0;
        }

        Note(Kind.Preempt, 2, preempt ? 1 : 0);
        return preempt;
    }

    /// <summary>The seed of a select created in the bubble.</summary>
    public uint NextSelectSeed()
    {
        uint seed = (uint)NextRaw() | 1;
        Note(Kind.SelectSeed, 0, 0);
        return seed;
    }

    /// <summary>Shuffles timers that came due at the same instant into the order they fire in.</summary>
    public void ShuffleTies<T>(List<T> due)
    {
        for (int i = due.Count - 1; i > 0; i--)
        {
            int j = Next(i + 1);
            (due[i], due[j]) = (due[j], due[i]);
        }

        Note(Kind.TimerOrder, due.Count, 0);
    }

    private static bool Outranks(BubbleMember a, BubbleMember b) =>
        a.Priority > b.Priority || (a.Priority == b.Priority && a.Goroutine.Id < b.Goroutine.Id);

    private void TakeStep(BubbleMember? current)
    {
        _step++;
        while (_nextChangePoint < _changePoints.Length && _changePoints[_nextChangePoint] <= _step)
        {
            _nextChangePoint++;
            if (current is not null)
            {
                current.Priority = _nextChangePoint; // below every initial priority (> depth)
            }
        }
    }

    private void Note(Kind kind, int options, int chosen)
    {
        ulong entry = ((ulong)kind << 56) | ((ulong)(uint)options << 24) | (uint)chosen;
        if (Divergence < 0 && _expected is not null)
        {
            int index = _record.Count;
            const ulong shapeMask = ~0xFFFFFFUL;
            if (index >= _expected.Count || (_expected[index] & shapeMask) != (entry & shapeMask))
            {
                Divergence = index;
            }
        }

        _record.Add(entry);
    }

    // A uniform integer in [0, n).
    private int Next(int n) => (int)(((NextRaw() >> 32) * (ulong)n) >> 32);

    private ulong NextRaw()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
