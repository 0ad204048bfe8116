// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

using Goroutines.Channels;
using Goroutines.Scheduling;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Channels;

/// <summary>
/// Go's select: exactly one case commits, default only when nothing can proceed, uniform choice
/// among ready cases, close and nil cases, reuse of one object across rounds, and no
/// allocation in steady state.
/// </summary>
public sealed class SelectTests : RuntimeTest
{
    // ------------------------------------------------------------------ cases of several element types

    [Fact]
    public async Task WaitAsync_ReceiveCasesOfDifferentElementTypes_ChoosesTheReadyOneWithItsValue()
    {
        var strings = new Chan<string>(1);
        var ints = new Chan<int>(1);
        var doubles = new Chan<double>(1);
        var select = new Select();

        Assert.True(strings.TrySend("x"));
        Assert.Equal(0, await select.Receive(strings).Receive(ints).Receive(doubles).WaitAsync());
        Assert.Equal("x", select.Received<string>());
        Assert.True(select.ReceivedOk);

        Assert.True(doubles.TrySend(2.5));
        Assert.Equal(2, await select.Receive(strings).Receive(ints).Receive(doubles).WaitAsync());
        Assert.Equal(2.5, select.Received<double>());
        Assert.Equal(2, select.Chosen);

        Assert.True(ints.TrySend(7));
        Assert.Equal(1, await select.Receive(strings).Receive(ints).Receive(doubles).WaitAsync());
        Assert.Equal(7, select.Received<int>());
    }

    [Fact]
    public async Task WaitAsync_SendCaseThatCanProceed_SendsItsValue()
    {
        var ints = new Chan<int>();
        var strings = new Chan<string>(1);
        var select = new Select();

        Assert.Equal(1, await select.Receive(ints).Send(strings, "hello").WaitAsync());

        Assert.True(strings.TryReceive(out string? value));
        Assert.Equal("hello", value);
        Assert.Throws<InvalidOperationException>(() => select.ReceivedOk); // the chosen case is a send
        Assert.Throws<InvalidOperationException>(() => select.Received<string>());
    }

    [Fact]
    public async Task WaitAsync_ParkedOnCasesOfSeveralTypes_EachRoundWokenByTheCaseThatProceeds()
    {
        var strings = new Chan<string>();
        var longs = new Chan<long>();
        var ints = new Chan<int>();
        var select = new Select();

        Spawned<(int, string?)> round1 = await Spawned.ParkedAsync(
            async () => (await select.Receive(strings).Receive(longs).Send(ints, 5).WaitAsync(), (string?)null),
            WaitReason.Select);
        Assert.Equal(5, await ints.ReceiveAsync().AsTask().Within(what: "the receive from the send case"));
        Assert.Equal((2, null), await round1.Result.Within(what: "the first round"));

        Spawned<(int, string?)> round2 = await Spawned.ParkedAsync(
            async () => (await select.Receive(strings).Receive(longs).Send(ints, 6).WaitAsync(), (string?)select.Received<string>()),
            WaitReason.Select);
        Assert.True(strings.TrySend("s"));
        Assert.Equal((0, "s"), await round2.Result.Within(what: "the second round"));

        // The losing cases left no waiter behind: nothing receives or sends on their channels now.
        Assert.False(ints.TryReceive(out _));
        Assert.False(longs.TrySend(1));
        Assert.False(strings.TrySend("t"));
    }

    [Fact]
    public async Task WaitAsync_DirectionViews_ReceiveFromReceiveOnlyAndSendOnSendOnly()
    {
        var ch = new Chan<int>(1);
        ReceiveOnlyChan<int> receiveOnly = ch;
        SendOnlyChan<int> sendOnly = ch;
        var select = new Select();

        Assert.Equal(0, await select.Send(sendOnly, 3).Receive(receiveOnly).WaitAsync()); // empty: only the send can proceed
        Assert.Equal(1, await select.Send(sendOnly, 4).Receive(receiveOnly).WaitAsync()); // full: only the receive can
        Assert.Equal(3, select.Received<int>());
        Assert.Equal(0, ch.Count);
    }

    // ------------------------------------------------------------------ default

    [Fact]
    public async Task Default_NothingReady_ChosenAndNoChannelTouched()
    {
        var empty = new Chan<int>(1);
        var full = new Chan<int>(1);
        var unbuffered = new Chan<string>();
        Assert.True(full.TrySend(1));
        var select = new Select();

        int chosen = await select.Receive(empty).Send(full, 2).Default().Send(unbuffered, "x").Receive(unbuffered).WaitAsync();

        Assert.Equal(2, chosen);
        Assert.Throws<InvalidOperationException>(() => select.ReceivedOk);
        Assert.Equal(0, empty.Count);
        Assert.True(full.TryReceive(out int value));
        Assert.Equal(1, value);
        Assert.False(full.TryReceive(out _));
        Assert.False(unbuffered.TrySend("y"));
    }

    [Fact]
    public async Task Default_SomeCaseReady_NeverChosen()
    {
        var ready = new Chan<int>(1);
        var never = new Chan<int>();
        var select = new Select();

        for (int i = 0; i < 1_000; i++)
        {
            Assert.True(ready.TrySend(i));
            int chosen = await select.Default().Receive(never).Receive(ready).WaitAsync();
            Assert.Equal(2, chosen);
            Assert.Equal(i, select.Received<int>());
        }
    }

    [Fact]
    public void Default_AddedTwiceInOneRound_ThrowsInvalidOperationException()
    {
        var select = new Select();
        select.Default();

        Assert.Throws<InvalidOperationException>(select.Default);
    }

    // ------------------------------------------------------------------ exactly one case commits

    [Fact]
    public async Task WaitAsync_TwoUnbufferedCasesBecomeReadyAtOnce_ExactlyOneCommitsAndTheOtherValueStaysReceivable()
    {
        var select = new Select();
        for (int round = 0; round < 100; round++)
        {
            var a = new Chan<int>();
            var b = new Chan<int>();
            Spawned<(int, int)> selecting = await Spawned.ParkedAsync(
                async () => (await select.Receive(a).Receive(b).WaitAsync(), select.Received<int>()),
                WaitReason.Select);

            bool go = false;
            Task sendA = GoTest.Start(async () =>
            {
                GoTest.SpinUntil(() => Volatile.Read(ref go), "the start signal");
                await a.SendAsync(1);
            });
            Task sendB = GoTest.Start(async () =>
            {
                GoTest.SpinUntil(() => Volatile.Read(ref go), "the start signal");
                await b.SendAsync(2);
            });
            Volatile.Write(ref go, true);

            (int chosen, int value) = await selecting.Result.Within(what: "the select");
            Assert.Equal(chosen == 0 ? 1 : 2, value);
            Chan<int> other = chosen == 0 ? b : a;
            Assert.Equal(chosen == 0 ? 2 : 1, await other.ReceiveAsync().AsTask().Within(what: "the value of the case that lost"));
            await Task.WhenAll(sendA, sendB).Within(what: "both senders");
            Assert.False(a.TryReceive(out _) || b.TryReceive(out _), "A value was delivered twice.");
        }
    }

    [Fact]
    public async Task WaitAsync_TwoBufferedCasesFilledAtOnce_ExactlyOneCommitsAndTheOtherValueStaysBuffered()
    {
        var select = new Select();
        for (int round = 0; round < 100; round++)
        {
            var a = new Chan<int>(1);
            var b = new Chan<int>(1);
            Spawned<(int, int)> selecting = await Spawned.ParkedAsync(
                async () => (await select.Receive(a).Receive(b).WaitAsync(), select.Received<int>()),
                WaitReason.Select);

            using var barrier = new Barrier(2);
            Task fillA = Task.Run(() =>
            {
                barrier.SignalAndWait(TestTimeouts.Default);
                Assert.True(a.TrySend(1));
            });
            Task fillB = Task.Run(() =>
            {
                barrier.SignalAndWait(TestTimeouts.Default);
                Assert.True(b.TrySend(2));
            });
            await Task.WhenAll(fillA, fillB).Within(what: "both sends");

            (int chosen, int value) = await selecting.Result.Within(what: "the select");
            Assert.Equal(chosen == 0 ? 1 : 2, value);
            Chan<int> other = chosen == 0 ? b : a;
            Assert.Equal(1, other.Count);
            Assert.True(other.TryReceive(out int left));
            Assert.Equal(chosen == 0 ? 2 : 1, left);
            Assert.Equal(0, a.Count + b.Count);
        }
    }

    [Fact]
    public async Task WaitAsync_SelectSendingToASelectReceiving_ExactlyOneExchangeOnBothSides()
    {
        // A parks on { c <- 1; v := <-d }; B then runs { v := <-c; d <- 2 }: both of B's cases can
        // proceed against A's, and whichever B picks, A must have committed the matching case.
        var parkedSelect = new Select();
        var arrivingSelect = new Select();
        for (int round = 0; round < 200; round++)
        {
            var c = new Chan<int>();
            var d = new Chan<int>();
            Spawned<(int, int)> parked = await Spawned.ParkedAsync(
                async () =>
                {
                    int chosen = await parkedSelect.Send(c, 1).Receive(d).WaitAsync();
                    return (chosen, chosen == 1 ? parkedSelect.Received<int>() : -1);
                },
                WaitReason.Select);

            (int arrivingChosen, int arrivingValue) = await GoTest.RunAsync(async () =>
            {
                int chosen = await arrivingSelect.Receive(c).Send(d, 2).WaitAsync();
                return (chosen, chosen == 0 ? arrivingSelect.Received<int>() : -1);
            });

            (int parkedChosen, int parkedValue) = await parked.Result.Within(what: "the parked select");
            if (arrivingChosen == 0)
            {
                Assert.Equal((1, 0, -1), (arrivingValue, parkedChosen, parkedValue));
            }
            else
            {
                Assert.Equal((-1, 1, 2), (arrivingValue, parkedChosen, parkedValue));
            }

            Assert.False(c.TryReceive(out _) || d.TrySend(3), "A case of the parked select was left in a queue.");
        }
    }

    [Fact]
    public async Task WaitAsync_SendAndReceiveCasesOnOneBufferedChannel_ChoosesWhicheverCanProceed()
    {
        var ch = new Chan<int>(1);
        var select = new Select();

        Assert.Equal(0, await select.Send(ch, 1).Receive(ch).WaitAsync());
        Assert.Equal(1, ch.Count);
        Assert.Equal(1, await select.Send(ch, 2).Receive(ch).WaitAsync());
        Assert.Equal(1, select.Received<int>());
        Assert.Equal(0, ch.Count);
    }

    // ------------------------------------------------------------------ close

    [Fact]
    public async Task WaitAsync_ReceiveCaseChannelClosedWhileParked_WakesWithOkFalse()
    {
        var a = new Chan<int>();
        var b = new Chan<int>();
        var select = new Select();
        Spawned<(int, int, bool)> selecting = await Spawned.ParkedAsync(
            async () => (await select.Receive(a).Receive(b).WaitAsync(), select.Received<int>(), select.ReceivedOk),
            WaitReason.Select);

        b.Close();

        Assert.Equal((1, 0, false), await selecting.Result.Within(what: "the select"));
        Assert.False(a.TrySend(1), "The losing case is still parked on its channel.");
    }

    [Fact]
    public async Task WaitAsync_ReceiveCaseOnClosedChannel_ChosenWithOkFalse()
    {
        var closed = new Chan<string>();
        closed.Close();
        var select = new Select();

        Assert.Equal(1, await select.Receive(new Chan<int>()).Receive(closed).WaitAsync());
        Assert.False(select.ReceivedOk);
        Assert.Null(select.Received<string>());
    }

    [Fact]
    public async Task WaitAsync_SendCaseOnClosedChannel_ThrowsSendOnClosedChannelEvenWithDefault()
    {
        var closed = new Chan<int>(1);
        closed.Close();
        var select = new Select();

        var error = await Assert.ThrowsAnyAsync<ChannelClosedException>(async () => await select.Send(closed, 1).WaitAsync());
        var withDefault = await Assert.ThrowsAnyAsync<ChannelClosedException>(async () => await select.Send(closed, 1).Default().WaitAsync());
        var blocking = Assert.ThrowsAny<ChannelClosedException>(() => select.Send(closed, 1).Wait());

        Assert.Equal("send on closed channel", error.Message);
        Assert.Equal("send on closed channel", withDefault.Message);
        Assert.Equal("send on closed channel", blocking.Message);

        // The round that threw ended: the object takes new cases.
        Assert.Equal(0, await select.Default().WaitAsync());
    }

    [Fact]
    public async Task WaitAsync_SendCaseChannelClosedWhileParked_ThrowsSendOnClosedChannel()
    {
        var target = new Chan<int>();
        var other = new Chan<int>();
        var select = new Select();
        Spawned selecting = await Spawned.ParkedAsync(async () => await select.Send(target, 1).Receive(other).WaitAsync(), WaitReason.Select);

        target.Close();

        var error = await Assert.ThrowsAnyAsync<ChannelClosedException>(() => selecting.Completion.Within(what: "the select"));
        Assert.Equal("send on closed channel", error.Message);
        Assert.False(other.TrySend(1), "The losing receive case is still parked on its channel.");
        Assert.Equal(0, await select.Default().WaitAsync());
    }

    // ------------------------------------------------------------------ parked forever

    [Fact]
    public async Task WaitAsync_NoCases_ParksForeverWithSelectNoCases()
    {
        Spawned selecting = await Spawned.ParkedAsync(async () => await new Select().WaitAsync(), WaitReason.SelectNoCases);
        ExpectParkedForever(1);

        await RunOtherWorkAsync();

        Assert.True(selecting.IsParked(WaitReason.SelectNoCases), $"The empty select is no longer parked: {selecting.Describe()}.");
    }

    [Fact]
    public async Task WaitAsync_OnlyNilCases_ParksForeverWithSelect()
    {
        Spawned selecting = await Spawned.ParkedAsync(
            async () => await new Select().Receive(default(Chan<int>)).Send(default(Chan<string>), "x").WaitAsync(),
            WaitReason.Select);
        ExpectParkedForever(1);

        await RunOtherWorkAsync();

        Assert.True(selecting.IsParked(WaitReason.Select), $"The select over nil channels is no longer parked: {selecting.Describe()}.");
    }

    // ------------------------------------------------------------------ uniform choice

    [Fact]
    public void Wait_FourCasesAlwaysReady_ChoosesEachUniformly()
    {
        // 40,000 rounds over 4 ready cases: each count is Binomial(40,000, 1/4), mean 10,000 and
        // standard deviation 87; the bound of ±1,000 is 11.5 standard deviations (a false failure
        // has probability below 1e-29).
        const int rounds = 40_000;
        Chan<int>[] channels = [new(1), new(1), new(1), new(1)];
        foreach (Chan<int> ch in channels)
        {
            Assert.True(ch.TrySend(0));
        }

        int[] counts = new int[channels.Length];
        var select = new Select();
        for (int i = 0; i < rounds; i++)
        {
            int chosen = select.Receive(channels[0]).Receive(channels[1]).Receive(channels[2]).Receive(channels[3]).Wait();
            counts[chosen]++;
            Assert.True(channels[chosen].TrySend(0));
        }

        Assert.True(counts.All(c => Math.Abs(c - (rounds / 4)) <= rounds / 40), $"Counts per case: {string.Join(", ", counts)}.");
    }

    [Fact]
    public void Wait_ReadySendAndReceiveCasesMixed_ChoosesEachUniformly()
    {
        // As above with two receive cases and two send cases, all always able to proceed.
        const int rounds = 40_000;
        var in0 = new Chan<int>(1);
        var in1 = new Chan<int>(1);
        var out0 = new Chan<int>(1);
        var out1 = new Chan<int>(1);
        Assert.True(in0.TrySend(0) && in1.TrySend(0));
        int[] counts = new int[4];
        var select = new Select();
        for (int i = 0; i < rounds; i++)
        {
            int chosen = select.Receive(in0).Send(out0, i).Receive(in1).Send(out1, i).Wait();
            counts[chosen]++;
            Assert.True(chosen switch
            {
                0 => in0.TrySend(0),
                1 => out0.TryReceive(out _),
                2 => in1.TrySend(0),
                _ => out1.TryReceive(out _),
            });
        }

        Assert.True(counts.All(c => Math.Abs(c - (rounds / 4)) <= rounds / 40), $"Counts per case: {string.Join(", ", counts)}.");
    }

    [Fact]
    public async Task WaitAsync_ParkedWithTwoSendCasesOnOneChannel_PartnerTakesEitherUniformly_AsGoSortsPollOrderIntoLockOrder()
    {
        // Go: select { case c <- 0: case c <- 1: } parked, then a receiver comes. Each round the
        // receiver succeeds only once the select has parked (an unbuffered channel has no value
        // otherwise). Counts are Binomial(4,000, 1/2): mean 2,000, standard deviation 32; the bound
        // of ±10% (200) is 6.3 standard deviations.
        const int rounds = 4_000;
        var channel = new Chan<int>();
        Task selector = GoTest.Start(async () =>
        {
            var select = new Select();
            for (int i = 0; i < rounds; i++)
            {
                await select.Send(channel, 0).Send(channel, 1).WaitAsync();
            }
        });

        int[] counts = new int[2];
        for (int i = 0; i < rounds; i++)
        {
            int value = -1;
            Assert.True(Poll.Until(() => channel.TryReceive(out value), TestTimeouts.Default), $"Round {i}: the select did not park.");
            counts[value]++;
        }

        await selector.Within(what: "the selecting goroutine");
        AssertWithinTenPercentOfUniform(counts, rounds);
    }

    [Fact]
    public async Task WaitAsync_ParkedWithTwoReceiveCasesOnOneChannel_SenderFillsEitherUniformly_AsGoSortsPollOrderIntoLockOrder()
    {
        // As above for select { case <-c: case <-c: }: the sender succeeds only once the select parked.
        const int rounds = 4_000;
        var channel = new Chan<int>();
        Task<int[]> selector = GoTest.Start(async () =>
        {
            int[] chosen = new int[2];
            var select = new Select();
            for (int i = 0; i < rounds; i++)
            {
                chosen[await select.Receive(channel).Receive(channel).WaitAsync()]++;
            }

            return chosen;
        });

        for (int i = 0; i < rounds; i++)
        {
            Assert.True(Poll.Until(() => channel.TrySend(i), TestTimeouts.Default), $"Round {i}: the select did not park.");
        }

        AssertWithinTenPercentOfUniform(await selector.Within(what: "the selecting goroutine"), rounds);
    }

    // ------------------------------------------------------------------ reuse and misuse

    [Fact]
    public async Task Select_ReusedAcrossRounds_CasesRenumberedAndSlotsChangeElementType()
    {
        var ints = new Chan<int>(1);
        var strings = new Chan<string>(1);
        var select = new Select();
        Assert.Equal(-1, select.Chosen);

        Assert.True(ints.TrySend(1));
        Assert.Equal(0, await select.Receive(ints).WaitAsync());
        Assert.Equal(1, select.Received<int>());

        // Slot 0 now holds a string case, slot 1 the int case.
        Assert.True(ints.TrySend(2));
        Assert.Equal(1, await select.Receive(strings).Receive(ints).WaitAsync());
        Assert.Equal(2, select.Received<int>());
        Assert.Throws<InvalidOperationException>(() => select.Received<string>());

        Assert.True(strings.TrySend("three"));
        Assert.Equal(0, await select.Receive(strings).Receive(ints).WaitAsync());
        Assert.Equal("three", select.Received<string>());

        // Slot 0 back to int, as a send; slot 1 a receive of string.
        Assert.Equal(0, await select.Send(ints, 4).Receive(strings).WaitAsync());
        Assert.True(ints.TryReceive(out int sent));
        Assert.Equal(4, sent);

        Assert.Equal(0, await select.Default().WaitAsync());
        Assert.Equal(0, select.Chosen);
    }

    [Fact]
    public async Task WaitAsync_WhileARoundOfTheSameSelectWaits_ThrowsInvalidOperationException()
    {
        var ch = new Chan<int>();
        var select = new Select();
        Spawned<int> first = await Spawned.ParkedAsync(
            async () =>
            {
                await select.Receive(ch).WaitAsync();
                return select.Received<int>();
            },
            WaitReason.Select);

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await select.WaitAsync());
        Assert.Throws<InvalidOperationException>(() => select.Wait());
        Assert.Throws<InvalidOperationException>(() => select.Receive(ch));
        Assert.Throws<InvalidOperationException>(() => select.Send(ch, 1));
        Assert.Throws<InvalidOperationException>(select.Default);

        Assert.True(ch.TrySend(8));
        Assert.Equal(8, await first.Result.Within(what: "the first round"));
        Assert.Equal(0, await select.Default().WaitAsync()); // usable again once the round ended
    }

    [Fact]
    public async Task Wait_TwoGoroutinesUseOneSelectAtOnce_TheSecondFailsAtOnceAndNeitherSpins()
    {
        // Neither round parks (a default case), so the parked-round check cannot see the other:
        // before rounds were claimed, the two ran over the same case arrays, locked one channel
        // twice and spun both threads forever.
        const int iterations = 2_000;
        Settings.SetMaxProcs(Math.Max(2, Go.MaxProcs));
        var select = new Select();
        var ch = new Chan<int>();
        var outcomes = new System.Collections.Concurrent.ConcurrentBag<string>();
        await GoTest.RunAsync(async () =>
        {
            for (int i = 0; i < iterations; i++)
            {
                Action round = () =>
                {
                    try
                    {
                        outcomes.Add(select.Receive(ch).Default().Wait() == 1 ? "default" : "received");
                    }
                    catch (InvalidOperationException e)
                    {
                        outcomes.Add(e.Message);
                    }
                };
                await Together.RunAsync(round, round);
            }
        });

        Assert.Equal(2 * iterations, outcomes.Count);
        Assert.All(outcomes, o => Assert.True(o == "default" || o.StartsWith("This select's round is being built or run by another flow", StringComparison.Ordinal), o));
        Assert.Contains("default", outcomes);
        Assert.Equal(1, await select.Receive(ch).Default().WaitAsync()); // still usable
    }

    [Fact]
    public async Task Default_AddedTwice_DropsTheRoundAndLeavesTheSelectFreeForAnyFlow()
    {
        var select = new Select();
        var ch = new Chan<int>(1);
        select.Receive(ch).Default();

        Assert.Throws<InvalidOperationException>(select.Default);

        Assert.True(ch.TrySend(3));
        int chosen = await GoTest.RunAsync(async () => await select.Receive(ch).WaitAsync()); // another flow, a fresh round
        Assert.Equal(0, chosen);
        Assert.Equal(3, select.Received<int>());
    }

    [Fact]
    public async Task Received_WrongElementTypeOrNoReceiveChosen_ThrowsInvalidOperationException()
    {
        var ints = new Chan<int>(1);
        var select = new Select();
        Assert.Throws<InvalidOperationException>(() => select.Received<int>()); // no round yet
        Assert.Throws<InvalidOperationException>(() => select.ReceivedOk);

        Assert.True(ints.TrySend(1));
        Assert.Equal(0, await select.Receive(ints).WaitAsync());

        Assert.Throws<InvalidOperationException>(() => select.Received<string>());
        Assert.Throws<InvalidOperationException>(() => select.Received<long>());
        Assert.Throws<InvalidOperationException>(() => select.Received<object>());
        Assert.Equal(1, select.Received<int>());

        Assert.Equal(1, await select.Receive(ints).Default().WaitAsync());
        Assert.Throws<InvalidOperationException>(() => select.Received<int>()); // default chosen
    }

    // ------------------------------------------------------------------ blocking form

    [Fact]
    public async Task Wait_FromPlainThread_BlocksUntilACaseCanProceed()
    {
        var a = new Chan<int>();
        var b = new Chan<string>();
        var select = new Select();
        (int Chosen, string? Value) outcome = (-1, null);
        var waiting = PlainThread.Start(() =>
        {
            int chosen = select.Receive(a).Receive(b).Wait();
            outcome = (chosen, select.Received<string>());
        });
        waiting.WaitUntilBlocked("Select.Wait");

        await GoTest.RunAsync(async () => await b.SendAsync("woken"));

        await waiting.Completion.Within(what: "the blocked select");
        Assert.Equal((1, "woken"), outcome);
        Assert.False(a.TrySend(1), "The losing case is still parked on its channel.");
    }

    [Fact]
    public void Wait_CaseReadyOrDefault_ReturnsWithoutBlocking()
    {
        var ready = new Chan<int>(1);
        Assert.True(ready.TrySend(3));
        var select = new Select();

        Assert.Equal(0, select.Receive(ready).Wait());
        Assert.Equal(3, select.Received<int>());
        Assert.Equal(1, select.Receive(ready).Default().Wait());
    }

    // ------------------------------------------------------------------ allocations

    [Fact]
    public void WaitAsync_ReadyCasesInALoop_AllocatesNothingInSteadyState()
    {
        // On a thread the runtime does not own: every round finds a case ready (a receive, or a
        // send with room) and completes synchronously.
        var ints = new Chan<int>(1);
        var strings = new Chan<string>(1);
        var empty = new Chan<long>();
        var select = new Select();
        Assert.True(ints.TrySend(0));
        AllocationWindows.AssertSynchronousRoundsAllocateNothing(rounds => RunReadyRounds(select, ints, strings, empty, rounds), warmup: 2_000, window: 10_000);
    }

    [Fact]
    public async Task WaitAsync_ParkingInALoopOnOneProcessor_AllocatesNothingPerRound()
    {
        // Each round a select receives from ping and a select sends on pong, each with a second
        // case that never proceeds, against a partner using plain operations: one of the two
        // selects finds its partner not there yet and parks (which one depends on the phase of
        // the pair, which a preemption can flip), the other finds it parked and completes at
        // once. Measured on the machine thread, as the ping-pong of the channel contract.
        const int warmup = 1_000;
        const int window = 10_000;
        Settings.SetMaxProcs(1);
        var ping = new Chan<int>();
        var pong = new Chan<int>();
        var idle = new Chan<string>();
        int partnerThread = 0;
        int parks = 0;
        int rounds = 0;

        Task<AllocationWindows> selecting = GoTest.Start(async () =>
        {
            var select = new Select();
            var windows = new AllocationWindows(window);
            for (int i = 0; ; i++)
            {
                bool last = windows.AtRound(i, warmup, Volatile.Read(ref partnerThread));
                ValueTask<int> receive = select.Receive(ping).Receive(idle).WaitAsync();
                parks += receive.IsCompleted ? 0 : 1;
                if (await receive != 0 || select.Received<int>() != i)
                {
                    throw new InvalidOperationException($"Round {i} received from the wrong case or the wrong value.");
                }

                ValueTask<int> send = select.Send(pong, last ? -1 : i).Receive(idle).WaitAsync();
                parks += send.IsCompleted ? 0 : 1;
                if (await send != 0)
                {
                    throw new InvalidOperationException($"Round {i} answered through the wrong case.");
                }

                if (last)
                {
                    rounds = i + 1;
                    return windows;
                }
            }
        });
        Task partner = GoTest.Start(async () =>
        {
            for (int i = 0; ; i++)
            {
                Volatile.Write(ref partnerThread, Environment.CurrentManagedThreadId);
                await ping.SendAsync(i);
                if (await pong.ReceiveAsync() < 0)
                {
                    return;
                }
            }
        });

        AllocationWindows measured = await selecting.Within(what: "the select loop");
        await partner.Within(what: "its partner");
        Assert.True(parks > rounds / 2, $"The selects parked {parks} times in {rounds} rounds, not in most rounds.");
        measured.AssertNothingAllocated("rounds");
    }

    // ------------------------------------------------------------------ helpers

    private static void AssertWithinTenPercentOfUniform(int[] counts, int rounds)
    {
        int expected = rounds / counts.Length;
        Assert.True(counts.All(c => Math.Abs(c - expected) <= expected / 10), $"Counts per case: {string.Join(", ", counts)}.");
    }

    private static void RunReadyRounds(Select select, Chan<int> ints, Chan<string> strings, Chan<long> empty, int rounds)
    {
        for (int i = 0; i < rounds; i++)
        {
            // ints holds one value and strings has room: both cases ready; the chosen one's
            // channel is put back the way it was.
            if (!Synchronously.Completed(select.Receive(ints).Send(strings, "s").Receive(empty).WaitAsync(), out int chosen))
            {
                throw new InvalidOperationException("A select with ready cases did not complete at once.");
            }

            bool restored = chosen switch
            {
                0 => select.Received<int>() == 0 && ints.TrySend(0),
                1 => strings.TryReceive(out _),
                _ => false,
            };
            if (!restored)
            {
                throw new InvalidOperationException($"Round {i} chose case {chosen}.");
            }
        }
    }

    // Traffic on other channels between goroutines: the runtime goes on around the parked one.
    private static async Task RunOtherWorkAsync()
    {
        const int values = 1_000;
        var ch = new Chan<int>();
        Task producer = GoTest.Start(async () =>
        {
            for (int i = 0; i < values; i++)
            {
                await ch.SendAsync(i);
            }

            ch.Close();
        });

        List<int> received = await GoTest.RunAsync(async () =>
        {
            var list = new List<int>();
            var select = new Select();
            while (await select.Receive(ch).WaitAsync() == 0 && select.ReceivedOk)
            {
                list.Add(select.Received<int>());
            }

            return list;
        });

        await producer.Within(what: "the other producer");
        Assert.Equal(Enumerable.Range(0, values), received);
    }

    [Fact]
    public async Task TwoSelectsAndAClose_Race_OutcomesAreConsistent()
    {
        Settings.SetMaxProcs(Math.Max(2, Go.MaxProcs));
        for (int i = 0; i < 2000; i++)
        {
            var a = new Chan<int>();
            var b = new Chan<int>();
            Task<(int, int, bool)> first = GoTest.Start(async () =>
            {
                var s = new Select();
                int c = await s.Receive(a).Receive(b).WaitAsync();
                return (c, c == 0 ? s.Received<int>() : s.Received<int>(), s.ReceivedOk);
            });
            Task<int> second = GoTest.Start(async () =>
            {
                var s = new Select();
                return await s.Receive(b).Send(a, 7).WaitAsync();
            });
            b.Close();
            (int c1, int v1, bool ok1) = await first.Within(what: "first");
            int c2 = await second.Within(what: "second");
            if (c1 == 0)
            {
                Assert.Equal((7, true, 1), (v1, ok1, c2));
            }
            else
            {
                Assert.Equal((0, false, 0), (v1, ok1, c2));
            }
        }
    }
}
