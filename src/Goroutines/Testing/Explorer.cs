// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;

using Goroutines.Scheduling;

namespace Goroutines.Testing;

/// <summary>
/// Seeded schedule exploration: runs a test body in a bubble (see <see cref="SyncTest"/>) whose
/// goroutines run one at a time, with every scheduling choice drawn from a seed, under many
/// seeds; on the first failure it stops with the seed, which <see cref="ReplayAsync"/> runs again
/// through exactly the same interleaving.
/// </summary>
/// <remarks>
/// <para>
/// The choices: which runnable goroutine runs next, whether a goroutine yields at a safe point
/// (a runtime operation that could complete at once), which ready case a select takes, and the
/// order of timers due at the same instant. A failure is an exception escaping any goroutine of
/// the bubble (a failed assertion included), a deadlock, goroutines left blocked when the body
/// returned, a run past <see cref="ExplorationOptions.MaxSteps"/> steps (a livelock) or past
/// <see cref="ExplorationOptions.RunTimeout"/> (a hang).
/// </para>
/// <para>
/// A seed and the program determine a run, as long as nothing outside the bubble steers it. The
/// one way in is a foreign await: a .NET task that completes on another thread readies its
/// goroutine whenever it completes. Such awaits are allowed, and counted; when a failure is
/// found, the explorer replays its seed once and reports whether the replay took the same
/// choices, naming the foreign readies as the likely cause when it did not.
/// </para>
/// </remarks>
public static class Explorer
{
    /// <summary>
    /// Runs <paramref name="body"/> under successive seeds until one fails or the options' budget
    /// is spent.
    /// </summary>
    /// <param name="body">The test body, run as the first goroutine of each run's bubble.</param>
    /// <param name="options">The seeds, strategy and limits (default: 1,000 seeds of PCT from seed 1).</param>
    /// <param name="member">The calling member, each bubble's creation site; filled in by the compiler.</param>
    /// <param name="file">The calling file; filled in by the compiler.</param>
    /// <param name="line">The calling line; filled in by the compiler.</param>
    /// <returns>What was tried, when no seed failed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="ExplorationFailedException">A seed failed: its seed, failure, dump and the replay's check.</exception>
    public static async Task<ExplorationSummary> ExploreAsync(
        Func<Task> body, ExplorationOptions? options = null, [CallerMemberName] string member = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(body);
        options ??= new ExplorationOptions();
        options.Validate();
        var clock = Stopwatch.StartNew();
        long steps = 0;
        int tried = 0;
        while (tried < options.Iterations && (tried == 0 || options.TimeBudget is not { } budget || clock.Elapsed < budget))
        {
            long seed = options.FirstSeed + tried;
            tried++;
            ExploredRun run = await RunAsync(body, seed, options, expected: null, member, file, line).ConfigureAwait(false);
            steps += run.Steps;
            if (run.Failure is not null)
            {
                ExploredRun replay = await RunAsync(body, seed, options, run.Record, member, file, line).ConfigureAwait(false);
                throw new ExplorationFailedException(seed, options.Strategy, tried, run.Failure, run.Dump, run.Record, run.ForeignReadies, replay.Divergence);
            }
        }

        return new ExplorationSummary(tried, steps, clock.Elapsed);
    }

    /// <summary>
    /// Runs <paramref name="body"/> once under <paramref name="seed"/>, through the same
    /// interleaving as the exploration that found it (given the same options).
    /// </summary>
    /// <param name="body">The test body.</param>
    /// <param name="seed">The seed, from <see cref="ExplorationFailedException.Seed"/>.</param>
    /// <param name="options">The options the seed was found with (default options if it was found with those).</param>
    /// <param name="member">The calling member, the bubble's creation site; filled in by the compiler.</param>
    /// <param name="file">The calling file; filled in by the compiler.</param>
    /// <param name="line">The calling line; filled in by the compiler.</param>
    /// <returns>A task that completes when the run ends without a failure.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="ExplorationFailedException">The run failed (as it did when the seed was found).</exception>
    public static async Task ReplayAsync(
        Func<Task> body, long seed, ExplorationOptions? options = null, [CallerMemberName] string member = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(body);
        options ??= new ExplorationOptions();
        options.Validate();
        ExploredRun run = await RunAsync(body, seed, options, expected: null, member, file, line).ConfigureAwait(false);
        if (run.Failure is not null)
        {
            throw new ExplorationFailedException(seed, options.Strategy, seedsTried: 1, run.Failure, run.Dump, run.Record, run.ForeignReadies, replayDivergence: null);
        }
    }

    private static async Task<ExploredRun> RunAsync(Func<Task> body, long seed, ExplorationOptions options, IReadOnlyList<ulong>? expected, string member, string file, int line)
    {
        var chooser = new ScheduleChooser(seed, options.Strategy, options.PctDepth, options.PctStepBound, expected);
        Bubble bubble = Bubble.Start(body, chooser, options.MaxSteps, member, file, line);
        Exception? failure = null;
        try
        {
            await bubble.Completion.WaitAsync(options.RunTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!bubble.Completion.IsCompleted)
        {
            failure = new TimeoutException(
                $"The explored run did not finish within {options.RunTimeout}: a goroutine of the bubble runs a step that never reaches an await, "
                + "or waits on something outside the bubble that never comes.");
            bubble.Fail(failure);
        }
#pragma warning disable CA1031 // Any failure of the run is the finding, reported with its seed.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            failure = ex;
        }

        string? dump = failure is null ? null : bubble.Dump().ToString();
        return new ExploredRun(failure, dump, [.. chooser.Record], chooser.Steps, bubble.ForeignReadies, chooser.Divergence);
    }

    private sealed record ExploredRun(Exception? Failure, string? Dump, IReadOnlyList<ulong> Record, long Steps, int ForeignReadies, int Divergence);
}
