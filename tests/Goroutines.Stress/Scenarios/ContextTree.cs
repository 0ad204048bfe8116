// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Contexts;
using Goroutines.Sync;

namespace Goroutines.Stress.Scenarios;

/// <summary>
/// A random tree of contexts (cancelable, with a deadline, with values, with an AfterFunc), with
/// goroutines waiting on the Done channels of its leaves, and inner contexts canceled from several
/// goroutines at once while the root is canceled. When the root's cancel returns, every context of
/// the tree must be done (Go's guarantee); every waiter must wake; every AfterFunc must have run
/// exactly once.
/// </summary>
internal static class ContextTree
{
    public static Task<long> RunAsync(Random random) => Repeated.RunAsync(random, 5, 40, TreeAsync);

    private static async Task<long> TreeAsync(Random random)
    {
        var (root, cancelRoot) = Context.WithCancel(Context.Background);
        var nodes = new List<Context> { root };
        var cancels = new List<CancelFunc>();
        int afterFuncs = 0;
        int afterFuncRuns = 0;
        int size = random.Next(50, 3_000);
        for (int i = 1; i < size; i++)
        {
            Context parent = nodes[random.Next(nodes.Count)];
            switch (random.Next(5))
            {
                case 0:
                    nodes.Add(Context.WithValue(parent, "node", i));
                    break;
                case 1:
                    (Context timed, CancelFunc cancelTimed) = Context.WithTimeout(parent, TimeSpan.FromMilliseconds(random.Next(1, 50)));
                    nodes.Add(timed);
                    cancels.Add(cancelTimed);
                    break;
                case 2:
                    Context.AfterFunc(parent, () => Interlocked.Increment(ref afterFuncRuns));
                    afterFuncs++;
                    nodes.Add(parent);
                    break;
                default:
                    (Context child, CancelFunc cancelChild) = Context.WithCancel(parent);
                    nodes.Add(child);
                    cancels.Add(cancelChild);
                    break;
            }
        }

        var waiting = new WaitGroup();
        int waiters = random.Next(1, 64);
        for (int w = 0; w < waiters; w++)
        {
            Context watched = nodes[random.Next(nodes.Count)];
            waiting.Go(async () => await watched.Done.ReceiveAsync());
        }

        int notDone = -1;
        var cancelers = new WaitGroup();
        int inner = Math.Min(cancels.Count, random.Next(0, 8));
        for (int c = 0; c < inner; c++)
        {
            CancelFunc cancel = cancels[random.Next(cancels.Count)];
            cancelers.Go(() => cancel());
        }

        cancelers.Go(() =>
        {
            cancelRoot();
            int count = 0;
            foreach (Context node in nodes)
            {
                count += node.Err is null ? 1 : 0;
            }

            notDone = count;
        });

        await cancelers.WaitAsync();
        await waiting.WaitAsync();
        foreach (CancelFunc cancel in cancels)
        {
            cancel(); // idempotent: releases the timers of the deadlines
        }

        // The AfterFunc goroutines start as their contexts are canceled and run when scheduled:
        // wait for them (for 10 s at most, then the check below says how many ran).
        for (int waited = 0; Volatile.Read(ref afterFuncRuns) < afterFuncs && waited < 10_000; waited++)
        {
            await Time.Clock.SleepAsync(TimeSpan.FromMilliseconds(1));
        }

        StressFailure.Check(notDone == 0, $"{notDone} of {nodes.Count} contexts were not done when the root's cancel returned");
        StressFailure.Check(afterFuncRuns == afterFuncs, $"{afterFuncRuns} AfterFunc runs for {afterFuncs} registrations");
        return nodes.Count;
    }
}
