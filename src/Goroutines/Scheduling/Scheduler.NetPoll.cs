// Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Threading;

using Goroutines.Net;

namespace Goroutines.Scheduling;

// The network poller on the scheduler (Net/NetPoller.cs is the epoll side): who polls,
// and where the goroutines a poll readies go.
//
// Polls, as Go's:
//   - FindRunnable, when the processor's queues and the global queue are empty and
//     before stealing, polls without waiting, if goroutines wait on I/O and no machine
//     blocks in epoll_wait (that one will see the edges at once);
//   - a machine that found nothing anywhere and gave its processor back blocks in
//     epoll_wait instead of parking, if goroutines wait on I/O and no other machine
//     blocks there; with a harvest, it takes an idle processor and runs it, or puts
//     it on the global queue when every processor is busy;
//   - the system monitor polls without waiting when nobody polled for 10 ms (every
//     processor busy with goroutines that keep their queues full).
//
// The harvest is injected in one go (Go: injectglist): while a machine delivers the
// poll's edges, Ready collects the goroutines into the machine's batch instead of
// queueing each (Scheduler.Ready). The first runs now on the polling machine; of the
// rest, as many as there are idle processors go to the global queue with a wakep (the
// spinning cascade brings those processors up), the others to the local ring.
//
// Invariants:
// - _netPoller is created once, by the first socket, and never replaced.
// - A machine's InjectBatch is set only while it runs NetPoller.Poll.
internal sealed partial class Scheduler
{
    // How long the system monitor lets pass without a poll before it polls (10 ms, as Go's sysmon).
    private static readonly long s_monitorPollTicks = Stopwatch.Frequency / 100;

    private readonly Lock _netPollerLock = new();
    private NetPoller? _netPoller;

    /// <summary>The network poller, created by the first socket of the polled engine (Linux; see NetSocket.UsesNetPoller).</summary>
    public NetPoller NetPoller => Volatile.Read(ref _netPoller) ?? CreateNetPoller();

    /// <summary>Goroutines parked waiting for a socket now: in the netpoller, or on .NET's socket engine.</summary>
    internal int IOWaiterCount => (Volatile.Read(ref _netPoller)?.WaiterCount ?? 0) + EngineSocket.WaiterCount;

    private NetPoller CreateNetPoller()
    {
        lock (_netPollerLock)
        {
            if (_netPoller is null)
            {
                Volatile.Write(ref _netPoller, NetPoller.Create());
            }

            return _netPoller;
        }
    }

    /// <summary>
    /// FindRunnable's poll before stealing: returns a goroutine to run now if a poll without
    /// waiting readied any, having queued the rest. The machine owns <paramref name="processor"/>.
    /// </summary>
    private Goroutine? PollNetworkWithoutWaiting(Machine machine, Processor processor)
    {
        NetPoller? poller = _netPoller;
        if (poller is null || poller.WaiterCount == 0 || poller.IsBlockingPollInProgress)
        {
            return null;
        }

        GoroutineBatch batch = Harvest(machine, poller, timeoutMilliseconds: 0);
        return batch.Count == 0 ? null : Inject(batch, processor);
    }

    /// <summary>
    /// Blocks a machine that found nothing and holds no processor in epoll_wait, if goroutines
    /// wait on I/O and no other machine does; returns false without waiting otherwise. After a
    /// harvest the machine holds an idle processor with the goroutines in its queue, or they went
    /// to the global queue.
    /// </summary>
    private bool TryBlockInNetworkPoll(Machine machine)
    {
        NetPoller? poller = _netPoller;
        if (poller is null || poller.WaiterCount == 0 || !poller.TryBeginBlockingPoll())
        {
            return false;
        }

        GoroutineBatch batch;
        try
        {
            batch = Harvest(machine, poller, timeoutMilliseconds: -1);
        }
        finally
        {
            poller.EndBlockingPoll();
        }

        if (batch.Count > 0)
        {
            if (TryAcquireIdleProcessor(machine))
            {
                Goroutine first = Inject(batch, machine.Processor!);
                machine.Processor!.RunQueue.Push(first, next: true, this);
            }
            else
            {
                PutGlobalRange(batch.Items, batch.Count);
                batch.Clear();
                Wakep();
            }
        }

        return true;
    }

    // Polls with the machine's batch collecting what the edges ready (Scheduler.Ready), and returns it.
    private static GoroutineBatch Harvest(Machine machine, NetPoller poller, int timeoutMilliseconds)
    {
        GoroutineBatch batch = machine.PollBatch;
        machine.InjectBatch = batch;
        try
        {
            poller.Poll(timeoutMilliseconds);
        }
        finally
        {
            machine.InjectBatch = null;
        }

        return batch;
    }

    /// <summary>The system monitor's poll, when nobody polled for 10 ms. Returns whether it readied anything.</summary>
    internal bool PollNetworkFromMonitor(long now)
    {
        NetPoller? poller = _netPoller;
        if (poller is null || poller.WaiterCount == 0 || poller.IsBlockingPollInProgress || now - poller.LastPoll < s_monitorPollTicks)
        {
            return false;
        }

        // Off the runtime, each readied goroutine goes to the global queue with a wakep (Scheduler.Ready).
        return poller.Poll(0) > 0;
    }

    /// <summary>
    /// Queues a poll's harvest but its first goroutine, which it returns for the caller to run:
    /// as many as there are idle processors to the global queue (with a wakep), the rest to
    /// <paramref name="processor"/>'s ring. Empties the batch. The owner of the processor only.
    /// </summary>
    /// <remarks>Go: injectglist.</remarks>
    private Goroutine Inject(GoroutineBatch batch, Processor processor)
    {
        Goroutine?[] items = batch.Items;
        int count = batch.Count;
        Goroutine first = items[0]!;
        int global = Math.Min(count - 1, Volatile.Read(ref _idleProcessorCount.Value));
        if (global > 0)
        {
            lock (_lock)
            {
                for (int i = 1; i <= global; i++)
                {
                    PutGlobalLocked(items[i]!);
                }
            }
        }

        for (int i = global + 1; i < count; i++)
        {
            processor.RunQueue.Push(items[i]!, next: false, this);
        }

        batch.Clear();
        if (global > 0)
        {
            Wakep();
        }

        return first;
    }
}
