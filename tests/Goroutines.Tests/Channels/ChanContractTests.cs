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
/// The rules every channel obeys, buffered or not (Go's spec and chan.go): FIFO delivery,
/// parking when nothing can proceed, the non-blocking forms, close, range, direction views,
/// the blocking forms, the System.Threading.Channels adapters, races and allocations. Each
/// concrete class supplies the channel under test; the assertions are written for any capacity
/// (an unbuffered channel is the capacity-0 case: "fill the buffer" does nothing).
/// </summary>
public abstract class ChanContractTests : RuntimeTest
{
    /// <summary>Makes a fresh, open channel of the kind under test.</summary>
    private protected abstract Chan<int> Make();

    /// <summary>The capacity <see cref="Make"/> gives.</summary>
    private protected abstract int MadeCapacity { get; }

    // ------------------------------------------------------------------ basics

#pragma warning disable CA2012 // These two misuse a ValueTask on purpose: registered twice, its result read in the continuation.
    [Fact]
    public async Task ReceiveAsync_PendingReceiveRegisteredTwice_SecondRegistrationThrowsAndTheFirstGetsTheValue()
    {
        // As ManualResetValueTaskSourceCore, in Release builds: a second await of one pending
        // operation fails at once instead of taking the first one's value or continuation.
        Chan<int> ch = Make();
        ValueTask<int> pending = ch.ReceiveAsync(); // off the runtime: parks a waiter
        Assert.False(pending.IsCompleted);
        var first = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        ValueTask<int> copy = pending;
        pending.GetAwaiter().UnsafeOnCompleted(() => first.SetResult(copy.GetAwaiter().GetResult()));

        var error = Assert.Throws<InvalidOperationException>(() => pending.GetAwaiter().UnsafeOnCompleted(() => { }));

        Assert.Contains("awaited twice", error.Message, StringComparison.Ordinal);
        Assert.True(Poll.Until(() => ch.TrySend(42), TestTimeouts.Default));
        Assert.Equal(42, await first.Task.Within(what: "the first await"));
    }

    [Fact]
    public async Task ReceiveAsync_CompletedBeforeEitherRegistered_OnlyTheFirstRegistrationResumes()
    {
        Chan<int> ch = Make();
        ValueTask<int> pending = ch.ReceiveAsync();
        Assert.True(Poll.Until(() => ch.TrySend(7), TestTimeouts.Default)); // readied before any await registered
        var first = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        ValueTask<int> copy = pending;
        pending.GetAwaiter().UnsafeOnCompleted(() => first.SetResult(copy.GetAwaiter().GetResult()));

        Assert.Equal(7, await first.Task.Within(what: "the first await"));
        Assert.Throws<InvalidOperationException>(() => pending.GetAwaiter().UnsafeOnCompleted(() => { })); // a completed rental: used after it completed
    }
#pragma warning restore CA2012

    [Fact]
    public void Capacity_NewChannel_IsTheMadeCapacityAndCountIsZero()
    {
        Chan<int> ch = Make();

        Assert.False(ch.IsNil);
        Assert.Equal(MadeCapacity, ch.Capacity);
        Assert.Equal(0, ch.Count);
    }

    [Fact]
    public async Task ReceiveAsync_ValuesSentByOneGoroutine_ArriveInSendOrder()
    {
        const int values = 200;
        Chan<int> ch = Make();
        Task producer = GoTest.Start(async () =>
        {
            for (int i = 0; i < values; i++)
            {
                await ch.SendAsync(i);
            }
        });

        List<int> received = await GoTest.RunAsync(async () =>
        {
            var list = new List<int>();
            for (int i = 0; i < values; i++)
            {
                list.Add(await ch.ReceiveAsync());
            }

            return list;
        });

        await producer.Within(what: "the producer");
        Assert.Equal(Enumerable.Range(0, values), received);
    }

    [Fact]
    public async Task SendAsync_BufferFull_ParksUntilAReceiveTakesAValue()
    {
        Chan<int> ch = Make();
        int capacity = ch.Capacity;
        for (int i = 0; i < capacity; i++)
        {
            Assert.True(Synchronously.Completed(ch.SendAsync(i)), $"Send {i} of a buffer of {capacity} did not complete at once.");
            Assert.Equal(i + 1, ch.Count);
        }

        Spawned sender = await Spawned.ParkedAsync(async () => await ch.SendAsync(capacity), WaitReason.ChanSend);
        Assert.Equal(capacity, ch.Count);
        Assert.False(sender.Completion.IsCompleted);

        Assert.Equal(0, await ch.ReceiveAsync().AsTask().Within(what: "the first receive"));
        await sender.Completion.Within(what: "the parked sender, after a receive made room");
        Assert.Equal(capacity, ch.Count); // the parked value moved into the freed slot
        for (int i = 1; i <= capacity; i++)
        {
            Assert.True(ch.TryReceive(out int value));
            Assert.Equal(i, value);
        }

        Assert.Equal(0, ch.Count);
        Assert.False(ch.TryReceive(out _));
    }

    [Fact]
    public async Task ReceiveAsync_Empty_ParksUntilASendArrives()
    {
        Chan<int> ch = Make();
        Spawned<int> receiver = await Spawned.ParkedAsync(async () => await ch.ReceiveAsync(), WaitReason.ChanReceive);
        Assert.False(receiver.Completion.IsCompleted);

        await GoTest.RunAsync(async () => await ch.SendAsync(42));

        Assert.Equal(42, await receiver.Result.Within(what: "the parked receiver"));
        Assert.Equal(0, ch.Count);
    }

    [Fact]
    public async Task ReceiveWithOkAsync_SentValue_ReturnsItWithOkTrue()
    {
        Chan<int> ch = Make();
        Spawned<(int Value, bool Ok)> receiver =
            await Spawned.ParkedAsync(async () => await ch.ReceiveWithOkAsync(), WaitReason.ChanReceive);

        Assert.True(ch.TrySend(7));

        Assert.Equal((7, true), await receiver.Result.Within(what: "the parked receiver"));
    }

    // ------------------------------------------------------------------ non-blocking forms

    [Fact]
    public async Task TrySend_ReceiverParked_ReturnsTrueAndHandsTheValueOver()
    {
        Chan<int> ch = Make();
        Spawned<int> receiver = await Spawned.ParkedAsync(async () => await ch.ReceiveAsync(), WaitReason.ChanReceive);

        Assert.True(ch.TrySend(5));

        Assert.Equal(5, await receiver.Result.Within(what: "the parked receiver"));
        Assert.Equal(0, ch.Count);
    }

    [Fact]
    public void TrySend_NoReceiverAndBufferFull_ReturnsFalseAndDropsNothingElse()
    {
        Chan<int> ch = Make();
        Fill(ch);

        Assert.False(ch.TrySend(-1));
        Assert.False(ch.TrySend(-2));

        Assert.Equal(ch.Capacity, ch.Count);
        Assert.Equal(Enumerable.Range(0, ch.Capacity), DrainNow(ch));
    }

    [Fact]
    public void TrySend_Closed_ThrowsSendOnClosedChannel()
    {
        Chan<int> ch = Make();
        ch.Close();

        var error = Assert.ThrowsAny<ChannelClosedException>(() => ch.TrySend(1));
        Assert.Equal("send on closed channel", error.Message);
    }

    [Fact]
    public void TryReceive_EmptyAndOpen_ReturnsFalseFromBothOverloads()
    {
        Chan<int> ch = Make();

        Assert.False(ch.TryReceive(out int value));
        Assert.Equal(0, value);
        Assert.False(ch.TryReceive(out value, out bool ok));
        Assert.Equal(0, value);
        Assert.False(ok);
    }

    [Fact]
    public async Task TryReceive_ValuesBufferedAndASenderParked_ReturnsThemInOrderFromBothOverloads()
    {
        Chan<int> ch = Make();
        Fill(ch);
        int capacity = ch.Capacity;
        Spawned sender = await Spawned.ParkedAsync(async () => await ch.SendAsync(capacity), WaitReason.ChanSend);

        for (int i = 0; i <= capacity; i++)
        {
            if (i % 2 == 0)
            {
                Assert.True(ch.TryReceive(out int value), $"TryReceive(out) found nothing at value {i}.");
                Assert.Equal(i, value);
            }
            else
            {
                Assert.True(ch.TryReceive(out int value, out bool ok), $"TryReceive(out, out) found nothing at value {i}.");
                Assert.Equal((i, true), (value, ok));
            }
        }

        await sender.Completion.Within(what: "the sender whose value was taken");
        Assert.False(ch.TryReceive(out _));
        Assert.False(ch.TryReceive(out _, out _));
    }

    [Fact]
    public void TryReceive_Closed_DrainsBufferThenSingleOverloadFalseAndOkOverloadTrueWithOkFalse()
    {
        Chan<int> ch = Make();
        Fill(ch);
        ch.Close();

        for (int i = 0; i < ch.Capacity; i++)
        {
            Assert.True(ch.TryReceive(out int value, out bool ok));
            Assert.Equal((i, true), (value, ok));
        }

        for (int round = 0; round < 2; round++)
        {
            Assert.False(ch.TryReceive(out int value));
            Assert.Equal(0, value);
            Assert.True(ch.TryReceive(out value, out bool ok));
            Assert.Equal((0, false), (value, ok));
        }
    }

    // ------------------------------------------------------------------ close

    [Fact]
    public async Task Close_WithBufferedValues_ValuesDrainedFirstThenDefaultWithOkFalse()
    {
        Chan<int> ch = Make();
        Fill(ch);
        ch.Close();
        Assert.Equal(ch.Capacity, ch.Count);

        for (int i = 0; i < ch.Capacity; i++)
        {
            Assert.Equal((i, true), await ch.ReceiveWithOkAsync());
        }

        Assert.Equal(0, ch.Count);
        for (int round = 0; round < 3; round++)
        {
            Assert.Equal((0, false), await ch.ReceiveWithOkAsync());
            Assert.Equal(0, await ch.ReceiveAsync());
            Assert.Equal((0, false), ch.ReceiveWithOk());
            Assert.Equal(0, ch.Receive());
        }
    }

    [Fact]
    public async Task Close_ReceiversParkedInEveryForm_EachReleasedOnceWithOkFalse()
    {
        Chan<int> ch = Make();
        int released = 0;
        var parked = new List<Spawned<string>>
        {
            await Spawned.ParkedAsync(
                async () =>
                {
                    int value = await ch.ReceiveAsync();
                    Interlocked.Increment(ref released);
                    return $"ReceiveAsync {value}";
                },
                WaitReason.ChanReceive),
            await Spawned.ParkedAsync(
                async () =>
                {
                    (int value, bool ok) = await ch.ReceiveWithOkAsync();
                    Interlocked.Increment(ref released);
                    return $"ReceiveWithOkAsync {value} {ok}";
                },
                WaitReason.ChanReceive),
            await Spawned.ParkedAsync(
                async () =>
                {
                    int iterations = 0;
                    await foreach (int value in ch)
                    {
                        iterations += 1 + (value * 0);
                    }

                    Interlocked.Increment(ref released);
                    return $"range {iterations}";
                },
                WaitReason.ChanReceive),
            await Spawned.ParkedAsync(
                async () =>
                {
                    var select = new Select();
                    int chosen = await select.Receive(ch).WaitAsync();
                    Interlocked.Increment(ref released);
                    return $"select {chosen} {select.Received<int>()} {select.ReceivedOk}";
                },
                WaitReason.Select),
        };

        ch.Close();

        string[] outcomes = await Task.WhenAll(parked.Select(p => p.Result)).Within(what: "the parked receivers");
        Assert.Equal(["ReceiveAsync 0", "ReceiveWithOkAsync 0 False", "range 0", "select 0 0 False"], outcomes);
        Assert.Equal(parked.Count, Volatile.Read(ref released));
    }

    [Fact]
    public async Task Close_SendersParked_EachThrowsSendOnClosedChannelAndBufferStillDrains()
    {
        Chan<int> ch = Make();
        Fill(ch);
        int capacity = ch.Capacity;
        var parked = new List<Spawned>();
        for (int i = 0; i < 3; i++)
        {
            int value = 100 + i;
            parked.Add(await Spawned.ParkedAsync(async () => await ch.SendAsync(value), WaitReason.ChanSend));
        }

        parked.Add(await Spawned.ParkedAsync(async () => await new Select().Send(ch, 200).WaitAsync(), WaitReason.Select));

        ch.Close();

        foreach (Spawned sender in parked)
        {
            var error = await Assert.ThrowsAnyAsync<ChannelClosedException>(() => sender.Completion.Within(what: "a parked sender"));
            Assert.Equal("send on closed channel", error.Message);
        }

        Assert.Equal(capacity, ch.Count);
        Assert.Equal(Enumerable.Range(0, capacity), await DrainAsync(ch));
    }

    [Fact]
    public async Task SendAsync_Closed_ThrowsSendOnClosedChannelInEveryForm()
    {
        Chan<int> ch = Make();
        ch.Close();

        var asyncError = await Assert.ThrowsAnyAsync<ChannelClosedException>(async () => await ch.SendAsync(1));
        var blockingError = Assert.ThrowsAny<ChannelClosedException>(() => ch.Send(1));
        var viewError = await Assert.ThrowsAnyAsync<ChannelClosedException>(async () => await ch.ToSendOnly().SendAsync(1));

        Assert.Equal("send on closed channel", asyncError.Message);
        Assert.Equal("send on closed channel", blockingError.Message);
        Assert.Equal("send on closed channel", viewError.Message);
        Assert.Equal(0, ch.Count);
    }

    [Fact]
    public void Close_AlreadyClosed_ThrowsCloseOfClosedChannel()
    {
        Chan<int> ch = Make();
        ch.Close();

        var error = Assert.ThrowsAny<InvalidOperationException>(ch.Close);
        var viewError = Assert.ThrowsAny<InvalidOperationException>(() => ch.ToSendOnly().Close());

        Assert.Equal("close of closed channel", error.Message);
        Assert.Equal("close of closed channel", viewError.Message);
    }

    // ------------------------------------------------------------------ range

    [Fact]
    public async Task GetAsyncEnumerator_ClosedAfterValues_YieldsEveryValueInOrderThenEnds()
    {
        const int values = 100;
        Chan<int> ch = Make();
        Task producer = StartSendingThenClosing(ch, values);

        List<int> received = await GoTest.RunAsync(async () =>
        {
            var list = new List<int>();
            await foreach (int value in ch)
            {
                list.Add(value);
            }

            return list;
        });

        await producer.Within(what: "the producer");
        Assert.Equal(Enumerable.Range(0, values), received);
    }

    [Fact]
    public async Task GetAsyncEnumerator_ClosedWithBufferedValues_YieldsThemThenEnds()
    {
        Chan<int> ch = Make();
        Fill(ch);
        ch.Close();

        List<int> received = await GoTest.RunAsync(async () =>
        {
            var list = new List<int>();
            await foreach (int value in ch.ToReceiveOnly())
            {
                list.Add(value);
            }

            return list;
        });

        Assert.Equal(Enumerable.Range(0, ch.Capacity), received);
    }

    // ------------------------------------------------------------------ direction views

    [Fact]
    public async Task DirectionViews_SendOnlyAndReceiveOnly_OperateOnTheSameChannel()
    {
        Chan<int> ch = Make();
        SendOnlyChan<int> sendOnly = ch;
        ReceiveOnlyChan<int> receiveOnly = ch;
        Assert.Equal(ch.Capacity, sendOnly.Capacity);
        Assert.Equal(ch.Capacity, receiveOnly.Capacity);
        Assert.False(sendOnly.IsNil);
        Assert.False(receiveOnly.IsNil);

        Task producer = GoTest.Start(async () =>
        {
            await sendOnly.SendAsync(1);
            await sendOnly.SendAsync(2);
            sendOnly.Close();
        });
        List<(int, bool)> received = await GoTest.RunAsync(async () =>
        {
            var list = new List<(int, bool)>();
            for (int i = 0; i < 3; i++)
            {
                list.Add(await receiveOnly.ReceiveWithOkAsync());
            }

            return list;
        });

        await producer.Within(what: "the producer");
        Assert.Equal([(1, true), (2, true), (0, false)], received);
        Assert.Equal((0, false), await ch.ReceiveWithOkAsync()); // the view closed the channel itself
        Assert.ThrowsAny<InvalidOperationException>(ch.Close);
    }

    [Fact]
    public void DirectionViews_Equality_SameChannelEqualDifferentChannelsNot()
    {
        Chan<int> ch = Make();
        Chan<int> copy = ch;
        Chan<int> other = Make();

        Assert.True(ch == copy);
        Assert.False(ch != copy);
        Assert.True(ch.Equals(copy));
        Assert.True(ch.Equals((object)copy));
        Assert.Equal(ch.GetHashCode(), copy.GetHashCode());
        Assert.True(ch != other);
        Assert.False(ch.Equals((object)other));
        Assert.True(ch != default);
        Assert.False(ch.Equals((object)ch.ToSendOnly())); // a view is another type, as in Go a chan and a chan<- differ

        ReceiveOnlyChan<int> receiveOnly = ch;
        SendOnlyChan<int> sendOnly = ch;
        Assert.True(receiveOnly == ch.ToReceiveOnly());
        Assert.True(receiveOnly.Equals((object)copy.ToReceiveOnly()));
        Assert.Equal(receiveOnly.GetHashCode(), ch.ToReceiveOnly().GetHashCode());
        Assert.True(receiveOnly != other.ToReceiveOnly());
        Assert.True(sendOnly == ch.ToSendOnly());
        Assert.True(sendOnly.Equals((object)copy.ToSendOnly()));
        Assert.Equal(sendOnly.GetHashCode(), ch.ToSendOnly().GetHashCode());
        Assert.True(sendOnly != other.ToSendOnly());
        Assert.True(receiveOnly != default);
        Assert.True(sendOnly != default);
    }

    [Fact]
    public void ToString_OpenAndClosed_SpellsGoTypeAndState()
    {
        Chan<int> ch = Make();
        Fill(ch);
        string state = $"(len {ch.Capacity}, cap {ch.Capacity}";

        Assert.Equal($"chan Int32 {state})", ch.ToString());
        Assert.Equal($"<-chan Int32 {state})", ch.ToReceiveOnly().ToString());
        Assert.Equal($"chan<- Int32 {state})", ch.ToSendOnly().ToString());
        ch.Close();
        Assert.Equal($"chan Int32 {state}, closed)", ch.ToString());
    }

    // ------------------------------------------------------------------ FIFO among parked operations

    [Fact]
    public async Task SendAsync_SendersParkedOneAtATime_ServedFirstInFirstOut()
    {
        Chan<int> ch = Make();
        Fill(ch);
        int capacity = ch.Capacity;
        var senders = new List<Spawned>();
        for (int i = 0; i < 6; i++)
        {
            int value = 100 + i;
            senders.Add(i % 3 == 2
                ? await Spawned.ParkedAsync(async () => await new Select().Send(ch, value).WaitAsync(), WaitReason.Select)
                : await Spawned.ParkedAsync(async () => await ch.SendAsync(value), WaitReason.ChanSend));
        }

        List<int> received = await GoTest.RunAsync(async () =>
        {
            var list = new List<int>();
            for (int i = 0; i < capacity + senders.Count; i++)
            {
                list.Add(await ch.ReceiveAsync());
            }

            return list;
        });

        await Task.WhenAll(senders.Select(s => s.Completion)).Within(what: "the parked senders");
        Assert.Equal(Enumerable.Range(0, capacity).Concat(Enumerable.Range(100, senders.Count)), received);
    }

    [Fact]
    public async Task ReceiveAsync_ReceiversParkedOneAtATime_ServedFirstInFirstOut()
    {
        Chan<int> ch = Make();
        var receivers = new List<Spawned<int>>();
        for (int i = 0; i < 8; i++)
        {
            receivers.Add((i % 4) switch
            {
                0 => await Spawned.ParkedAsync(async () => await ch.ReceiveAsync(), WaitReason.ChanReceive),
                1 => await Spawned.ParkedAsync(async () => (await ch.ReceiveWithOkAsync()).Value, WaitReason.ChanReceive),
                2 => await Spawned.ParkedAsync(
                    async () =>
                    {
                        var select = new Select();
                        await select.Receive(ch).WaitAsync();
                        return select.Received<int>();
                    },
                    WaitReason.Select),
                _ => await Spawned.ParkedAsync(
                    async () =>
                    {
                        await using ChanEnumerator<int> range = ch.GetAsyncEnumerator();
                        return await range.MoveNextAsync() ? range.Current : -1;
                    },
                    WaitReason.ChanReceive),
            });
        }

        for (int i = 0; i < receivers.Count; i++)
        {
            Assert.True(ch.TrySend(i), $"No parked receiver took value {i}.");
        }

        int[] received = await Task.WhenAll(receivers.Select(r => r.Result)).Within(what: "the parked receivers");
        Assert.Equal(Enumerable.Range(0, receivers.Count), received);
        Assert.Equal(0, ch.Count);
    }

    // ------------------------------------------------------------------ blocking forms

    [Fact]
    public async Task Send_FromPlainThread_BlocksUntilGoroutineReceivesEachInOrder()
    {
        const int values = 100;
        Chan<int> ch = Make();
        var producer = PlainThread.Start(() =>
        {
            for (int i = 0; i < values; i++)
            {
                ch.Send(i);
            }

            ch.Close();
        });

        List<int> received = await GoTest.RunAsync(async () =>
        {
            var list = new List<int>();
            await foreach (int value in ch)
            {
                list.Add(value);
            }

            return list;
        });

        await producer.Completion.Within(what: "the plain thread's sends");
        Assert.Equal(Enumerable.Range(0, values), received);
    }

    [Fact]
    public async Task Receive_OnPlainThread_BlocksUntilGoroutineSendsEachInOrder()
    {
        const int values = 100;
        Chan<int> ch = Make();
        var received = new List<int>();
        var consumer = PlainThread.Start(() =>
        {
            while (ch.ReceiveWithOk() is (int value, true))
            {
                received.Add(value);
            }
        });

        await GoTest.RunAsync(async () =>
        {
            for (int i = 0; i < values; i++)
            {
                await ch.SendAsync(i);
            }

            ch.Close();
        });

        await consumer.Completion.Within(what: "the plain thread's receives");
        Assert.Equal(Enumerable.Range(0, values), received);
    }

    [Fact]
    public async Task ReceiveWithOk_PlainThreadBlockedThenClosed_ReturnsDefaultAndOkFalse()
    {
        Chan<int> ch = Make();
        (int, bool) outcome = (-1, true);
        var receiver = PlainThread.Start(() => outcome = ch.ReceiveWithOk());
        receiver.WaitUntilBlocked("ReceiveWithOk");

        ch.Close();

        await receiver.Completion.Within(what: "the blocked receiver");
        Assert.Equal((0, false), outcome);
    }

    [Fact]
    public async Task Send_PlainThreadBlockedThenClosed_ThrowsSendOnClosedChannel()
    {
        Chan<int> ch = Make();
        Fill(ch);
        var sender = PlainThread.Start(() => ch.Send(-1));
        sender.WaitUntilBlocked("Send");

        ch.Close();

        var error = await Assert.ThrowsAnyAsync<ChannelClosedException>(() => sender.Completion.Within(what: "the blocked sender"));
        Assert.Equal("send on closed channel", error.Message);
        Assert.Equal(Enumerable.Range(0, ch.Capacity), DrainNow(ch));
    }

    [Fact]
    public async Task Receive_InGoroutineOnOneProcessor_HandsOffTheProcessorSoASenderQueuedOnItRuns()
    {
        Settings.SetMaxProcs(1);
        long handoffsBefore = Go.ReadStatistics().Handoffs;
        Chan<int> ch = Make();

        int received = await GoTest.RunAsync(() =>
        {
            // Queued on this goroutine's processor, the only one: it runs only if the blocking
            // receive below gives the processor up.
            Go.Run(async () => await ch.SendAsync(42));
            int value = ch.Receive();
            Assert.Equal(GoroutineStatus.Running, Goroutine.Running!.Status);
            return Task.FromResult(value);
        });

        Assert.Equal(42, received);
        Assert.True(Go.ReadStatistics().Handoffs > handoffsBefore, "The blocked goroutine's processor was not handed off.");
    }

    [Fact]
    public async Task Send_InGoroutineOnOneProcessor_HandsOffTheProcessorSoAReceiverQueuedOnItRuns()
    {
        Settings.SetMaxProcs(1);
        Chan<int> ch = Make();
        int capacity = ch.Capacity;
        Task<List<int>>? receiver = null;

        await GoTest.RunAsync(() =>
        {
            Fill(ch);
            receiver = GoTest.Start(async () =>
            {
                var list = new List<int>();
                for (int i = 0; i <= capacity; i++)
                {
                    list.Add(await ch.ReceiveAsync());
                }

                return list;
            });
            ch.Send(capacity); // blocks: the buffer is full and the receiver has not run
            return Task.CompletedTask;
        });

        Assert.Equal(Enumerable.Range(0, capacity + 1), await receiver!.Within(what: "the receiver"));
    }

    [Fact]
    public async Task Receive_GoroutineBlocked_ShowsAsBlockingRegionUntilASendArrives()
    {
        Chan<int> ch = Make();
        Spawned<int> receiver = await Spawned.StartAsync(() => Task.FromResult(ch.Receive()));
        receiver.WaitUntilInBlockingRegion();

        Assert.True(ch.TrySend(9));

        Assert.Equal(9, await receiver.Result.Within(what: "the blocked receiver"));
    }

    // ------------------------------------------------------------------ System.Threading.Channels adapters

    [Fact]
    public async Task AsChannelReader_ReadAllAsyncOverChannelClosedAfterNValues_YieldsAllN()
    {
        const int values = 100;
        Chan<int> ch = Make();
        ChannelReader<int> reader = ch.AsChannelReader();
        Task producer = StartSendingThenClosing(ch, values);

        List<int> received = await ReadAllAsync(reader).Within(what: "ReadAllAsync to end");

        await producer.Within(what: "the producer");
        Assert.Equal(Enumerable.Range(0, values), received);
        await reader.Completion.Within(what: "the reader's completion");
    }

    [Fact]
    public async Task AsChannelWriter_WriteAsyncThenComplete_GoroutineReceivesAllThenClosed()
    {
        const int values = 100;
        Chan<int> ch = Make();
        ChannelWriter<int> writer = ch.AsChannelWriter();
        Task<List<int>> consumer = GoTest.Start(async () =>
        {
            var list = new List<int>();
            while (await ch.ReceiveWithOkAsync() is (int value, true))
            {
                list.Add(value);
            }

            return list;
        });

        await WriteAllAsync(writer, values).Within(what: "the writes");
        writer.Complete();

        Assert.Equal(Enumerable.Range(0, values), await consumer.Within(what: "the consumer"));
        Assert.ThrowsAny<InvalidOperationException>(ch.Close); // Complete closed it
        Assert.False(writer.TryComplete());
        Assert.Throws<ChannelClosedException>(() => writer.Complete());
    }

    [Fact]
    public async Task AsChannelWriter_TryWrite_TrueWhenASendCouldProceedFalseWhenNotOrClosed()
    {
        Chan<int> ch = Make();
        ChannelWriter<int> writer = ch.AsChannelWriter();
        Spawned<int> receiver = await Spawned.ParkedAsync(async () => await ch.ReceiveAsync(), WaitReason.ChanReceive);

        Assert.True(writer.TryWrite(11));
        Assert.Equal(11, await receiver.Result.Within(what: "the parked receiver"));

        for (int i = 0; i < ch.Capacity; i++)
        {
            Assert.True(writer.TryWrite(i));
        }

        Assert.False(writer.TryWrite(-1));
        ch.Close();
        Assert.False(writer.TryWrite(-2)); // the writer contract reports a closed channel with false
        Assert.Equal(Enumerable.Range(0, ch.Capacity), await DrainAsync(ch));
    }

    [Fact]
    public async Task AsChannelWriter_WaitToWriteAsync_CompletesTrueOnceASendCouldProceedThenFalseAfterClose()
    {
        Chan<int> ch = Make();
        ChannelWriter<int> writer = ch.AsChannelWriter();
        Fill(ch);
        int capacity = ch.Capacity;

        ValueTask<bool> wait = writer.WaitToWriteAsync();
        Assert.False(wait.IsCompleted, "WaitToWriteAsync completed while a send would block.");

        // A receiver makes a send possible: it takes a buffered value, or parks on an unbuffered channel.
        Task<int> receiver = GoTest.Start(async () => await ch.ReceiveAsync());
        Assert.True(await wait.AsTask().Within(what: "WaitToWriteAsync"));
        Assert.True(writer.TryWrite(99));
        Assert.Equal(capacity == 0 ? 99 : 0, await receiver.Within(what: "the receiver"));

        ValueTask<bool> pending = writer.WaitToWriteAsync();
        Assert.False(pending.IsCompleted, "WaitToWriteAsync completed while a send would block.");
        writer.Complete();
        Assert.False(await pending.AsTask().Within(what: "WaitToWriteAsync, after the close"));
        Assert.False(await writer.WaitToWriteAsync());
    }

    [Fact]
    public async Task AsChannelWriter_CanceledWaitToWriteAsync_LeavesNoWatcherBehind()
    {
        // A writer that polls with a timeout on a stalled channel must not grow it.
        Chan<int> ch = Make();
        ChannelWriter<int> writer = ch.AsChannelWriter();
        Fill(ch);
        for (int i = 0; i < 100; i++)
        {
            using var cancellation = new CancellationTokenSource();
            ValueTask<bool> wait = writer.WaitToWriteAsync(cancellation.Token);
            Assert.False(wait.IsCompleted, "WaitToWriteAsync completed while a send would block.");
            await cancellation.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await wait);
        }

        Assert.Equal(0, ch.Core!.WritabilityWatcherCount);
        ValueTask<bool> still = writer.WaitToWriteAsync(CancellationToken.None);
        Task<int> receiver = GoTest.Start(async () => await ch.ReceiveAsync());
        Assert.True(await still.AsTask().Within(what: "a wait after the canceled ones")); // they broke nothing
        Assert.True(writer.TryWrite(99));
        await receiver.Within(what: "the receiver");
    }

    [Fact]
    public async Task AsChannelWriter_WriteAsyncOnClosedChannel_ThrowsChannelClosedException()
    {
        Chan<int> ch = Make();
        ChannelWriter<int> writer = ch.AsChannelWriter();
        writer.Complete();

        await Assert.ThrowsAnyAsync<ChannelClosedException>(async () => await writer.WriteAsync(1));
        using var cts = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<ChannelClosedException>(async () => await writer.WriteAsync(1, cts.Token));
    }

    [Fact]
    public async Task AsChannelWriter_CompleteWithoutError_ReaderCompletionSucceedsOnceDrained()
    {
        Chan<int> ch = Make();
        ChannelReader<int> reader = ch.AsChannelReader();
        Fill(ch);

        ch.AsChannelWriter().Complete();

        Assert.Equal(ch.Capacity == 0, reader.Completion.IsCompleted);
        Assert.Equal(Enumerable.Range(0, ch.Capacity), await DrainAsync(ch));
        await reader.Completion.Within(what: "the reader's completion");
        Assert.True(reader.Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task AsChannelWriter_CompleteWithError_ClosesAndFaultsReaderCompletionOnceDrained()
    {
        Chan<int> ch = Make();
        ChannelReader<int> reader = ch.AsChannelReader();
        Fill(ch);
        var error = new InvalidOperationException("producer failed");

        ch.AsChannelWriter().Complete(error);

        Assert.Equal(ch.Capacity == 0, reader.Completion.IsCompleted);
        Assert.Equal(Enumerable.Range(0, ch.Capacity), await DrainAsync(ch));
        Assert.Same(error, await Assert.ThrowsAsync<InvalidOperationException>(() => reader.Completion.Within(what: "the reader's completion")));
        Assert.Equal((0, false), await ch.ReceiveWithOkAsync());
        await Assert.ThrowsAsync<ChannelClosedException>(async () => await reader.ReadAsync());
    }

    [Fact]
    public async Task AsChannelReader_WriterCompletedWithError_ReadAllAsyncYieldsTheValuesThenThrowsTheError()
    {
        // ChannelReader.WaitToReadAsync: "If the channel completes with an exception, the task will
        // also complete with an exception" - so ReadAllAsync, which loops on it, ends by throwing
        // the producer's error, as it does over System.Threading.Channels' own channels.
        Chan<int> ch = Make();
        ChannelReader<int> reader = ch.AsChannelReader();
        Fill(ch);
        var error = new InvalidOperationException("producer failed");
        ch.AsChannelWriter().Complete(error);

        var received = new List<int>();
        Exception? thrown = await Record.ExceptionAsync(async () =>
        {
            await foreach (int value in reader.ReadAllAsync())
            {
                received.Add(value);
            }
        }).Within(what: "ReadAllAsync to end");

        Assert.Equal(Enumerable.Range(0, ch.Capacity), received);
        Assert.Same(error, thrown);
        Assert.Same(error, await Record.ExceptionAsync(async () => await reader.WaitToReadAsync()));
    }

    [Fact]
    public async Task AsChannelReader_ReadAsyncAfterWriterCompletedWithError_ThrowsChannelClosedExceptionWrappingTheError()
    {
        // As System.Threading.Channels' own readers do: the closed-channel exception carries the cause.
        Chan<int> ch = Make();
        ChannelReader<int> reader = ch.AsChannelReader();
        var error = new InvalidOperationException("producer failed");
        ch.AsChannelWriter().Complete(error);

        var closed = await Assert.ThrowsAsync<ChannelClosedException>(async () => await reader.ReadAsync());

        Assert.Same(error, closed.InnerException);
    }

    [Fact]
    public async Task AsChannelReader_ReadAsyncCanceledWhileWaiting_ThrowsOperationCanceledAndTakesNoValue()
    {
        Chan<int> ch = Make();
        ChannelReader<int> reader = ch.AsChannelReader();
        using var cts = new CancellationTokenSource();

        ValueTask<int> read = reader.ReadAsync(cts.Token);
        Assert.False(read.IsCompleted);
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.AsTask().Within(what: "the canceled read"));
        Task sender = GoTest.Start(async () => await ch.SendAsync(5));
        Assert.Equal(5, await ch.ReceiveAsync().AsTask().Within(what: "the value sent after the cancellation"));
        await sender.Within(what: "the sender");
    }

    [Fact]
    public async Task AsChannelWriter_WriteAsyncCanceledWhileWaiting_ThrowsOperationCanceledAndSendsNothing()
    {
        Chan<int> ch = Make();
        ChannelWriter<int> writer = ch.AsChannelWriter();
        Fill(ch);
        using var cts = new CancellationTokenSource();

        ValueTask write = writer.WriteAsync(-1, cts.Token);
        Assert.False(write.IsCompleted);
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => write.AsTask().Within(what: "the canceled write"));
        Assert.Equal(ch.Capacity, ch.Count);
        ch.Close();
        Assert.Equal(Enumerable.Range(0, ch.Capacity), await DrainAsync(ch));
    }

    [Fact]
    public async Task AsChannelReader_ReadAsyncWithRacingCancellations_EveryValueReadExactlyOnceInOrder()
    {
        const int values = 300;
        Chan<int> ch = Make();
        ChannelReader<int> reader = ch.AsChannelReader();
        Task producer = StartSendingThenClosing(ch, values);

        (List<int> received, int canceled) = await ReadWithRacingCancellationsAsync(reader).Within(what: "the reads");

        await producer.Within(what: "the producer");
        Assert.True(Enumerable.Range(0, values).SequenceEqual(received), $"Received {received.Count} values (with {canceled} canceled reads): {string.Join(", ", received)}");
    }

    [Fact]
    public async Task AsChannelWriter_WriteAsyncWithRacingCancellations_EveryValueDeliveredExactlyOnceInOrder()
    {
        const int values = 300;
        Chan<int> ch = Make();
        ChannelWriter<int> writer = ch.AsChannelWriter();
        Task<List<int>> consumer = GoTest.Start(async () =>
        {
            var list = new List<int>();
            await foreach (int value in ch)
            {
                list.Add(value);
            }

            return list;
        });

        int canceled = await WriteWithRacingCancellationsAsync(writer, values).Within(what: "the writes");
        writer.Complete();

        List<int> received = await consumer.Within(what: "the consumer");
        Assert.True(Enumerable.Range(0, values).SequenceEqual(received), $"Received {received.Count} values (with {canceled} canceled writes): {string.Join(", ", received)}");
    }

    [Fact]
    public async Task AsChannelReader_LastValueTakenByWaitToReadAsync_CompletionWaitsUntilItIsRead()
    {
        // ChannelReader.Completion: "completes when no more data will ever be available to be
        // read". WaitToReadAsync keeps the value it received for the next TryRead, so until that
        // read the reader still has data, whatever the channel's own state.
        Chan<int> ch = Make();
        ChannelReader<int> reader = ch.AsChannelReader();
        Task sender = GoTest.Start(async () =>
        {
            await ch.SendAsync(1);
            ch.Close();
        });

        Assert.True(await reader.WaitToReadAsync().AsTask().Within(what: "WaitToReadAsync"));
        await sender.Within(what: "the sender");

        Assert.Equal(1, reader.Count);
        Assert.False(reader.Completion.IsCompleted, "Completion completed while the reader still holds a value.");
        Assert.True(reader.TryRead(out int value));
        Assert.Equal(1, value);
        await reader.Completion.Within(what: "the reader's completion");
    }

    // ------------------------------------------------------------------ races

    [Fact]
    public async Task SendAndReceive_EightSendersEightReceivers_EveryValueReceivedExactlyOnceAndPerSenderInOrder()
    {
        const int senders = 8;
        const int receivers = 8;
        const int perSender = 1_250; // 10,000 values
        Chan<int> ch = Make();
        int sendersLeft = senders;
        var producers = new Task[senders];
        for (int s = 0; s < senders; s++)
        {
            int sender = s;
            producers[s] = GoTest.Start(async () =>
            {
                for (int i = 0; i < perSender; i++)
                {
                    await ch.SendAsync((sender * perSender) + i);
                }

                if (Interlocked.Decrement(ref sendersLeft) == 0)
                {
                    ch.Close();
                }
            });
        }

        var consumers = new Task<List<int>>[receivers];
        for (int r = 0; r < receivers; r++)
        {
            bool useSelect = r % 2 == 1;
            consumers[r] = GoTest.Start(async () =>
            {
                var list = new List<int>();
                var select = new Select();
                while (true)
                {
                    int value;
                    if (useSelect)
                    {
                        await select.Receive(ch).WaitAsync();
                        if (!select.ReceivedOk)
                        {
                            break;
                        }

                        value = select.Received<int>();
                    }
                    else
                    {
                        (value, bool ok) = await ch.ReceiveWithOkAsync();
                        if (!ok)
                        {
                            break;
                        }
                    }

                    list.Add(value);
                }

                return list;
            });
        }

        await Task.WhenAll(producers).Within(what: "the senders");
        List<int>[] received = await Task.WhenAll(consumers).Within(what: "the receivers");

        AssertEachExactlyOnceAndPerSenderInOrder(received, Enumerable.Range(0, senders * perSender), perSender);
    }

    [Fact]
    public async Task Close_WhileManyReceiversParkedAndSendersArriving_EveryOperationEndsOnceNoValueLostOrDuplicated()
    {
        const int rounds = 20;
        const int receivers = 8;
        const int senders = 8;
        const int perSender = 200;
        const int receiveBeforeClose = 40;
        for (int round = 0; round < rounds; round++)
        {
            Chan<int> ch = Make();
            int receivedTotal = 0;
            var consumers = new Spawned<List<int>>[receivers];
            for (int r = 0; r < receivers; r++)
            {
                bool useSelect = r % 2 == 1;
                consumers[r] = await Spawned.StartAsync(async () =>
                {
                    var list = new List<int>();
                    var select = new Select();
                    while (true)
                    {
                        int value;
                        bool ok;
                        if (useSelect)
                        {
                            await select.Receive(ch).WaitAsync();
                            (value, ok) = (select.Received<int>(), select.ReceivedOk);
                        }
                        else
                        {
                            (value, ok) = await ch.ReceiveWithOkAsync();
                        }

                        if (!ok)
                        {
                            return list;
                        }

                        list.Add(value);
                        Interlocked.Increment(ref receivedTotal);
                    }
                });
            }

            // Every receiver parks before the senders start: the close meets parked receivers, and
            // senders that are parked, handing over, or arriving.
            foreach (Spawned<List<int>> consumer in consumers)
            {
                consumer.WaitUntilParked(Array.IndexOf(consumers, consumer) % 2 == 0 ? WaitReason.ChanReceive : WaitReason.Select);
            }

            var producers = new Task<List<int>>[senders];
            var failures = new Task<string?>[senders];
            for (int s = 0; s < senders; s++)
            {
                int sender = s;
                bool useSelect = s % 2 == 1;
                var failure = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
                failures[s] = failure.Task;
                producers[s] = GoTest.Start(async () =>
                {
                    var delivered = new List<int>();
                    var select = new Select();
                    for (int i = 0; i < perSender; i++)
                    {
                        int value = (sender * perSender) + i;
                        try
                        {
                            if (useSelect)
                            {
                                await select.Send(ch, value).WaitAsync();
                            }
                            else
                            {
                                await ch.SendAsync(value);
                            }
                        }
                        catch (ChannelClosedException ex)
                        {
                            failure.SetResult(ex.Message);
                            return delivered;
                        }

                        delivered.Add(value);
                    }

                    failure.SetResult(null);
                    return delivered;
                });
            }

            Task closer = GoTest.Start(async () =>
            {
                await GoTest.YieldUntilAsync(() => Volatile.Read(ref receivedTotal) >= receiveBeforeClose, "some values to be received");
                ch.Close();
            });

            await closer.Within(what: "the closer");
            List<int>[] sent = await Task.WhenAll(producers).Within(what: "the senders, after the close");
            List<int>[] received = await Task.WhenAll(consumers.Select(c => c.Result)).Within(what: "the receivers, after the close");
            foreach (string? message in await Task.WhenAll(failures))
            {
                Assert.True(message is null or "send on closed channel", $"A sender failed with \"{message}\".");
            }

            AssertEachExactlyOnceAndPerSenderInOrder(received, sent.SelectMany(s => s), perSender);
        }
    }

    // ------------------------------------------------------------------ allocations

    [Fact]
    public void Operations_CompletingSynchronously_AllocateNothingInSteadyState()
    {
        // On a thread the runtime does not own (no preemption, no hand-off), operations that
        // complete at once: on a buffered channel every form; on any channel the would-block
        // answers of the non-blocking forms and every receive from a closed channel.
        Chan<int> ch = Make();
        Chan<int> closed = Make();
        closed.Close();
        AllocationWindows.AssertSynchronousRoundsAllocateNothing(rounds => RunSynchronousOperations(ch, closed, rounds), warmup: 2_000, window: 10_000);
    }

    [Fact]
    public async Task SendAndReceive_PingPongOfTwoGoroutinesOnOneProcessor_AllocatesNothingPerRoundTrip()
    {
        // As WaiterTests' ping-pong, through two channels: each round trip parks both goroutines
        // (a send meets a parked receiver, the sender then parks on its receive). On one
        // processor both run on one machine thread, whose own allocation count sees all of it;
        // a window in which either goroutine ran on another thread is not judged, and windows
        // go on until three were judged (a loaded machine moves goroutines now and then).
        const int warmup = 1_000;
        const int window = 10_000;
        Settings.SetMaxProcs(1);
        Chan<int> ping = Make();
        Chan<int> pong = Make();
        int pongThread = 0;

        Task<AllocationWindows> pinger = GoTest.Start(async () =>
        {
            var windows = new AllocationWindows(window);
            for (int i = 0; ; i++)
            {
                if (windows.AtRound(i, warmup, Volatile.Read(ref pongThread)))
                {
                    break;
                }

                await ping.SendAsync(i);
                if (await pong.ReceiveAsync() != i)
                {
                    throw new InvalidOperationException($"Round {i} came back with another value.");
                }
            }

            await ping.SendAsync(-1);
            return windows;
        });
        Task ponger = GoTest.Start(async () =>
        {
            while (true)
            {
                Volatile.Write(ref pongThread, Environment.CurrentManagedThreadId);
                int value = await ping.ReceiveAsync();
                if (value < 0)
                {
                    return;
                }

                await pong.SendAsync(value);
            }
        });

        AllocationWindows measured = await pinger.Within(what: "the measuring goroutine");
        await ponger.Within(what: "its partner");
        measured.AssertNothingAllocated("round trips");
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>Fills the buffer with 0 .. Capacity-1 (nothing on an unbuffered channel).</summary>
    private protected static void Fill(Chan<int> ch)
    {
        for (int i = 0; i < ch.Capacity; i++)
        {
            Assert.True(ch.TrySend(i), $"TrySend {i} into a buffer of {ch.Capacity} failed.");
        }
    }

    /// <summary>Takes every value that can be received without waiting.</summary>
    private protected static List<int> DrainNow(Chan<int> ch)
    {
        var values = new List<int>();
        while (ch.TryReceive(out int value))
        {
            values.Add(value);
        }

        return values;
    }

    /// <summary>Receives until the channel is closed and drained, bounded.</summary>
    private protected static Task<List<int>> DrainAsync(Chan<int> ch) => GoTest.RunAsync(async () =>
    {
        var values = new List<int>();
        while (await ch.ReceiveWithOkAsync() is (int value, true))
        {
            values.Add(value);
        }

        return values;
    });

    private static void AssertEachExactlyOnceAndPerSenderInOrder(List<int>[] received, IEnumerable<int> expected, int perSender)
    {
        int[] all = [.. received.SelectMany(r => r).Order()];
        int[] wanted = [.. expected.Order()];
        Assert.True(wanted.SequenceEqual(all), $"Received {all.Length} values, expected {wanted.Length}; missing {string.Join(", ", wanted.Except(all).Take(10))}; unexpected or repeated {string.Join(", ", all.GroupBy(v => v).Where(g => g.Count() > 1 || !wanted.Contains(g.Key)).Select(g => g.Key).Take(10))}.");
        foreach (List<int> list in received)
        {
            // One sender's sends are sequential, so any one receiver gets that sender's values in order.
            foreach (IGrouping<int, int> fromSender in list.GroupBy(v => v / perSender))
            {
                Assert.True(fromSender.SequenceEqual(fromSender.Order()), $"A receiver got sender {fromSender.Key}'s values out of order.");
            }
        }
    }

    private static void RunSynchronousOperations(Chan<int> ch, Chan<int> closed, int rounds)
    {
        int capacity = ch.Capacity;
        for (int i = 0; i < rounds; i++)
        {
            if (capacity > 0)
            {
                Expect(Synchronously.Completed(ch.SendAsync(i)), "SendAsync with room");
                Expect(Synchronously.Completed(ch.ReceiveAsync(), out int received) && received == i, "ReceiveAsync of a buffered value");
                ch.Send(i);
                Expect(ch.Receive() == i, "Receive of a buffered value");
                Expect(ch.TrySend(i), "TrySend with room");
                Expect(Synchronously.Completed(ch.ReceiveWithOkAsync(), out (int Value, bool Ok) receivedWithOk) && receivedWithOk == (i, true), "ReceiveWithOkAsync of a buffered value");
                Expect(ch.TrySend(i) && ch.TryReceive(out int value) && value == i, "TryReceive of a buffered value");
                Expect(ch.TrySend(i) && ch.TryReceive(out value, out bool ok) && ok && value == i, "TryReceive(ok) of a buffered value");
                for (int k = 0; k < capacity; k++)
                {
                    ch.TrySend(k);
                }
            }

            Expect(!ch.TrySend(i), "TrySend on a full channel");
            for (int k = 0; k < capacity; k++)
            {
                ch.TryReceive(out _);
            }

            Expect(!ch.TryReceive(out _) && !ch.TryReceive(out _, out _), "TryReceive on an empty channel");
            Expect(Synchronously.Completed(closed.ReceiveAsync(), out int fromClosed) && fromClosed == 0, "ReceiveAsync from a closed channel");
            Expect(Synchronously.Completed(closed.ReceiveWithOkAsync(), out (int Value, bool Ok) fromClosedWithOk) && !fromClosedWithOk.Ok, "ReceiveWithOkAsync from a closed channel");
            Expect(closed.TryReceive(out _, out bool closedOk) && !closedOk, "TryReceive(ok) from a closed channel");
        }
    }

    private static void Expect(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"Expected {what} to complete at once with the value sent.");
        }
    }

    private static async Task<List<int>> ReadAllAsync(ChannelReader<int> reader)
    {
        var values = new List<int>();
        await foreach (int value in reader.ReadAllAsync())
        {
            values.Add(value);
        }

        return values;
    }

    private static async Task WriteAllAsync(ChannelWriter<int> writer, int values)
    {
        for (int i = 0; i < values; i++)
        {
            await writer.WriteAsync(i);
        }
    }

    private static async Task<(List<int> Received, int Canceled)> ReadWithRacingCancellationsAsync(ChannelReader<int> reader)
    {
        var values = new List<int>();
        int canceled = 0;
        while (true)
        {
            using var cts = new CancellationTokenSource();
            Task cancel = Task.Run(cts.Cancel);
            try
            {
                values.Add(await reader.ReadAsync(cts.Token));
            }
            catch (OperationCanceledException)
            {
                canceled++;
            }
            catch (ChannelClosedException)
            {
                await cancel;
                return (values, canceled);
            }

            await cancel;
        }
    }

    private static async Task<int> WriteWithRacingCancellationsAsync(ChannelWriter<int> writer, int values)
    {
        int canceled = 0;
        for (int i = 0; i < values;)
        {
            using var cts = new CancellationTokenSource();
            Task cancel = Task.Run(cts.Cancel);
            try
            {
                await writer.WriteAsync(i, cts.Token);
                i++;
            }
            catch (OperationCanceledException)
            {
                canceled++; // not sent: write the same value again
            }

            await cancel;
        }

        return canceled;
    }

    // A goroutine that sends 0 .. values - 1 on the channel, then closes it.
    private static Task StartSendingThenClosing(Chan<int> ch, int values) => GoTest.Start(async () =>
    {
        for (int i = 0; i < values; i++)
        {
            await ch.SendAsync(i);
        }

        ch.Close();
    });
}
