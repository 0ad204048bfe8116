// Licensed under the MIT License.

using System;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

using Goroutines.Scheduling;

namespace Goroutines.Net;

// A read that waits, as one pooled object: the waiter parked in the socket's read slot
// is also the awaitable the caller gets, and when the poller readies it, it makes the
// system call again where the awaiter resumes (on the parked goroutine) before it runs
// the awaiter's continuation. If the socket is still not ready (an edge of data already
// read), it parks again without ever returning to the caller's code. So a read that
// waits costs no async state machine and no allocation, and an idle connection's
// parked read holds this object only (W13 counts its bytes).
//
// Protocol:
//   1. NetSocket.ReadAsync, holding the read lock, found the socket not ready: TryPark
//      publishes the waiter in the read slot, or, if an edge or an error came in
//      between, makes the call again at once (then the caller takes the outcome).
//   2. Readied (an edge, a close, a deadline): RunReadied makes the call; data, the end
//      of the stream or an error finish the read: leave the read lock, run the
//      continuation, which calls GetResult; EAGAIN: park again (back to the slot).
// The lock passes from the caller to the waiter in step 1, and is left in step 2 before
// the continuation runs, which may read again.
//
// Invariants:
// - While parked, the waiter is in the read slot or being readied, never both.
// - _done is set only by the thread that finishes the read, before the continuation runs.
internal sealed partial class NetSocket
{
    private sealed class ReadWaiter : Waiter, IValueTaskSource<int>
    {
        private NetSocket? _socket;
        private Memory<byte> _buffer;
        private int _result;
        private Exception? _error;
        private bool _done;

        public static ReadWaiter Rent() => WaiterPool<ReadWaiter>.Rent();

        /// <summary>
        /// Takes over <paramref name="socket"/>'s read into <paramref name="buffer"/> and its read
        /// lock: true when parked (await <see cref="AsValueTask"/>), false when it finished at once
        /// (take <see cref="TakeOutcome"/>; the caller keeps the lock).
        /// </summary>
        public bool TryPark(NetSocket socket, Memory<byte> buffer)
        {
            _socket = socket;
            _buffer = buffer;
            SetWaitReason(WaitReason.IOWait);
            return socket._poll.TryPark(this, PollMode.Read) || !TryFinish();
        }

        /// <summary>The awaitable of a parked read.</summary>
        public ValueTask<int> AsValueTask() => new(this, Version);

        /// <summary>The outcome of a read that finished in <see cref="TryPark"/>; returns the waiter to the pool.</summary>
        public ValueTask<int> TakeOutcome()
        {
            ValueTask<int> outcome = _error is { } error ? ValueTask.FromException<int>(error) : new ValueTask<int>(_result);
            Clear();
            WaiterPool<ReadWaiter>.Return(this);
            return outcome;
        }

        /// <inheritdoc/>
        protected override void RunReadied()
        {
            // Read before parking again: once back in the slot, the waiter may be readied, finished
            // and rented by another goroutine on another thread (off the runtime) before this returns.
            Goroutine? goroutine = Goroutine;
            if (!TryFinish())
            {
                goroutine?.NoteParking(WaitReason.IOWait); // parked again: the step ends with the goroutine parked
                return;
            }

            _done = true;
            _socket!.Exit(PollMode.Read);
            InvokeContinuation();
        }

        // Makes the call until it finishes (true: result or error set) or parks again (false).
        private bool TryFinish()
        {
            NetSocket socket = _socket!;
            while (true)
            {
                try
                {
                    nint read = socket.TryReceive(_buffer.Span);
                    if (read >= 0)
                    {
                        _result = (int)read;
                        return true;
                    }
                }
                catch (NetOperationException e)
                {
                    _error = e;
                    return true;
                }

                if (socket._poll.TryPark(this, PollMode.Read))
                {
                    return false;
                }
            }
        }

        /// <inheritdoc/>
        public ValueTaskSourceStatus GetStatus(short token)
        {
            CheckToken(token);
            return !_done ? ValueTaskSourceStatus.Pending : _error is null ? ValueTaskSourceStatus.Succeeded : ValueTaskSourceStatus.Faulted;
        }

        /// <inheritdoc/>
        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            OnCompletedCore(continuation, state, token, flags);

        /// <inheritdoc/>
        public int GetResult(short token)
        {
            EndPark(token);
            int result = _result;
            Exception? error = _error;
            Clear();
            WaiterPool<ReadWaiter>.Return(this);
            if (error is not null)
            {
                ExceptionDispatchInfo.Throw(error);
            }

            return result;
        }

        private void Clear()
        {
            _socket = null;
            _buffer = default;
            _result = 0;
            _error = null;
            _done = false;
        }
    }
}
