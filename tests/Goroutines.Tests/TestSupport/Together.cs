// Licensed under the MIT License.

using System;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Sync;

namespace Goroutines.Tests.TestSupport;

/// <summary>
/// Races runtime operations against each other: each action runs in a goroutine of its own, all
/// released at the same moment (the close of one channel), and the call returns when all are done.
/// </summary>
public static class Together
{
    /// <summary>Runs <paramref name="actions"/> at once, each in its own goroutine, and waits for all of them.</summary>
    public static async Task RunAsync(params Action[] actions)
    {
        var start = new Chan<ValueTuple>();
        var group = new WaitGroup();
        foreach (Action action in actions)
        {
            group.Go(async () =>
            {
                await start.ReceiveAsync();
                action();
            });
        }

        start.Close();
        await group.WaitAsync();
    }
}
