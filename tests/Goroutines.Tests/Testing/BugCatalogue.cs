// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Sync;

namespace Goroutines.Tests.Testing;

/// <summary>One concurrency bug of the catalogue: a program with it, and the same program fixed.</summary>
/// <param name="Name">A short name.</param>
/// <param name="Buggy">The program with the bug; each call is a fresh run.</param>
/// <param name="Fixed">The program with the bug fixed.</param>
public sealed record CataloguedBug(string Name, Func<Task> Buggy, Func<Task> Fixed)
{
    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>
/// Small programs with the concurrency bugs that ordinary test runs miss most of the time,
/// each beside its fix. Every program runs in a bubble (plain or explored) and fails by an
/// exception, a deadlock or a leaked goroutine. Shared by the explorer's tests and the
/// workload runner's <c>explore</c> mode, which measures how often each is caught.
/// </summary>
public static class BugCatalogue
{
    /// <summary>Every bug of the catalogue.</summary>
    public static IReadOnlyList<CataloguedBug> All { get; } =
    [
        new("lost-update", () => LostUpdateAsync(fixedVersion: false), () => LostUpdateAsync(fixedVersion: true)),
        new("check-then-act", () => CheckThenActAsync(fixedVersion: false), () => CheckThenActAsync(fixedVersion: true)),
        new("missing-add", () => MissingAddAsync(fixedVersion: false), () => MissingAddAsync(fixedVersion: true)),
        new("double-close", () => DoubleCloseAsync(fixedVersion: false), () => DoubleCloseAsync(fixedVersion: true)),
        new("handoff-order", () => HandoffOrderAsync(fixedVersion: false), () => HandoffOrderAsync(fixedVersion: true)),
        new("select-order", () => SelectOrderAsync(fixedVersion: false), () => SelectOrderAsync(fixedVersion: true)),
        new("early-return-leak", () => EarlyReturnLeakAsync(fixedVersion: false), () => EarlyReturnLeakAsync(fixedVersion: true)),
    ];

    /// <summary>The bug called <paramref name="name"/>.</summary>
    public static CataloguedBug Named(string name) =>
        All.FirstOrDefault(b => b.Name == name) ?? throw new ArgumentException($"No bug called {name}.", nameof(name));

    // Two goroutines increment a counter, logging the old value between the read and the write:
    // the log's send can let the other goroutine in. Fixed: the read-modify-write under a mutex.
    private static async Task LostUpdateAsync(bool fixedVersion)
    {
        int counter = 0;
        var log = new Chan<int>(16);
        var mu = new Mutex();
        var wg = new WaitGroup();
        wg.Add(2);
        for (int i = 0; i < 2; i++)
        {
            Go.Run(async () =>
            {
                MutexScope? locked = fixedVersion ? await mu.LockAsync() : null;
                int read = counter;
                await log.SendAsync(read);
                counter = read + 1;
                locked?.Dispose();
                wg.Done();
            });
        }

        await wg.WaitAsync();
        Expect(counter == 2, $"lost update: the counter is {counter} after two increments");
    }

    // Two producers send only when the buffer has room, checked with Count first: both can see
    // room for one, and the second send blocks forever. Fixed: TrySend, one atomic check-and-send.
    private static async Task CheckThenActAsync(bool fixedVersion)
    {
        var slot = new Chan<int>(1);
        var wg = new WaitGroup();
        wg.Add(2);
        for (int i = 0; i < 2; i++)
        {
            int value = i;
            Go.Run(async () =>
            {
                if (fixedVersion)
                {
                    slot.TrySend(value);
                }
                else if (slot.Count < slot.Capacity)
                {
                    await slot.SendAsync(value);
                }

                wg.Done();
            });
        }

        await wg.WaitAsync();
    }

    // The workers call Add themselves, so Wait can run before a worker has started and return
    // early. Fixed: Add before starting them.
    private static async Task MissingAddAsync(bool fixedVersion)
    {
        var wg = new WaitGroup();
        int done = 0;
        if (fixedVersion)
        {
            wg.Add(3);
        }

        for (int i = 0; i < 3; i++)
        {
            Go.Run(() =>
            {
                if (!fixedVersion)
                {
                    wg.Add(1);
                }

                done++;
                wg.Done();
            });
        }

        await Go.YieldAsync();
        await wg.WaitAsync();
        Expect(done == 3, $"Wait returned with {done} of 3 workers done");
    }

    // Two goroutines close a channel once, guarded by a flag that is checked before a log send
    // and set after the close: both can pass the check. Fixed: Once.
    private static async Task DoubleCloseAsync(bool fixedVersion)
    {
        var finished = new Chan<int>();
        var log = new Chan<string>(4);
        var once = new Once();
        bool closed = false;
        var wg = new WaitGroup();
        wg.Add(2);
        for (int i = 0; i < 2; i++)
        {
            Go.Run(async () =>
            {
                if (fixedVersion)
                {
                    await once.DoAsync(finished.Close);
                }
                else if (!closed)
                {
                    await log.SendAsync("closing");
                    finished.Close();
                    closed = true;
                }

                wg.Done();
            });
        }

        await wg.WaitAsync();
    }

    // The sender writes a result after the hand-off and the receiver reads it, assuming the
    // sender runs on first. Fixed: write before the send, which happens before the receive.
    private static async Task HandoffOrderAsync(bool fixedVersion)
    {
        int result = 0;
        var handoff = new Chan<int>();
        Go.Run(async () =>
        {
            if (fixedVersion)
            {
                result = 42;
            }

            await handoff.SendAsync(1);
            if (!fixedVersion)
            {
                result = 42;
            }
        });

        await handoff.ReceiveAsync();
        Expect(result == 42, $"the receiver read {result} before the sender wrote it");
    }

    // A consumer selects over data and a quit channel the producer closes after its last send:
    // with both ready, select may take quit first and drop the value. Fixed: drain data on quit.
    private static async Task SelectOrderAsync(bool fixedVersion)
    {
        var data = new Chan<int>(1);
        var quit = new Chan<int>();
        Go.Run(async () =>
        {
            await data.SendAsync(7);
            quit.Close();
        });

        int received = 0;
        while (true)
        {
            int chosen = await new Select().Receive(data).Receive(quit).WaitAsync();
            if (chosen == 0)
            {
                received++;
                continue;
            }

            while (fixedVersion && data.TryReceive(out _))
            {
                received++;
            }

            break;
        }

        Expect(received == 1, $"received {received} of 1 values before quit");
    }

    // The caller returns on the first error, and the goroutine that has not reported yet blocks
    // forever on its unbuffered send. Fixed: a buffer with room for every report.
    private static async Task EarlyReturnLeakAsync(bool fixedVersion)
    {
        var reports = new Chan<string?>(fixedVersion ? 2 : 0);
        bool loaded = false;
        Go.Run(async () => await reports.SendAsync(loaded ? null : "config not loaded yet")); // validator
        Go.Run(async () =>
        {
            loaded = true;
            await reports.SendAsync(null); // loader
        });

        for (int i = 0; i < 2; i++)
        {
            if (await reports.ReceiveAsync() is not null)
            {
                return; // the error is handled by the caller; the other report is never received
            }
        }
    }

    private static void Expect(bool condition, string failure)
    {
        if (!condition)
        {
            throw new InvalidOperationException(failure);
        }
    }
}
