// Licensed under the MIT License.

using System;
using System.IO;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

using Goroutines.Scheduling;

namespace Goroutines.Net;

// A read that waits, as one pooled object: the waiter parked in the socket's read slot
// is also the awaitable the caller gets, and when the poller readies it, it makes the
// system call again where the awaiter resumes (on the parked goroutine) before it runs
// the awaiter's continuation. If the socket is still not ready (an edge of data already
// read), or the read wants more bytes than came (ReadAtLeastAsync), it parks again
// without ever returning to the caller's code. So a read that waits costs no async state
// machine and no allocation, and an idle connection's parked read holds this object only
// (W13 counts its bytes).
//
// Protocol:
//   1. PolledSocket.ReadAtLeastAsync, holding the read lock, found the socket not ready: TryPark
//      publishes the waiter in the read slot, or, if an edge or an error came in
//      between, makes the call again at once (then the caller takes the outcome).
//   2. Readied (an edge, a close, a deadline): RunReadied makes the call; enough data,
//      the end of the stream or an error finish the read: leave the read lock, run the
//      continuation, which calls GetResult; EAGAIN: park again (back to the slot).
// The lock passes from the caller to the waiter in step 1, and is left in step 2 before
// the continuation runs, which may read again.
//
// Invariants:
// - While parked, the waiter is in the read slot or being readied, never both.
// - _done is set only by the thread that finishes the read, before the continuation runs.
internal sealed partial class PolledSocket
{
    private sealed class ReadWaiter : Waiter, IValueTaskSource<int>, IValueTaskSource
    {
        private PolledSocket? _socket;
        private Memory<byte> _buffer;
        private int _got;
        private int _minimum;
        private Exception? _error;
        private bool _throwOnEndOfStream;
        private bool _done;

        public static ReadWaiter Rent() => WaiterPool<ReadWaiter>.Rent();

        /// <summary>
        /// Takes over <paramref name="socket"/>'s read into <paramref name="buffer"/>, of which the
        /// first <paramref name="got"/> bytes are filled, and its read lock: true when parked (await
        /// <see cref="AsValueTask"/>), false when it finished at once (take <see cref="TakeOutcome"/>;
        /// the caller keeps the lock). The read finishes with at least <paramref name="minimum"/>
        /// bytes, or at the end of the stream (see <see cref="ReadAtLeastAsync"/>).
        /// </summary>
        public bool TryPark(PolledSocket socket, Memory<byte> buffer, int got, int minimum, bool throwOnEndOfStream)
        {
            _socket = socket;
            _buffer = buffer;
            _got = got;
            _minimum = minimum;
            _throwOnEndOfStream = throwOnEndOfStream;
            SetWaitReason(WaitReason.IOWait);
            return socket._poll.TryPark(this, PollMode.Read) || !TryFinish();
        }

        /// <summary>The awaitable of a parked read.</summary>
        public ValueTask<int> AsValueTask() => new(this, Version);

        /// <summary>The awaitable of a parked read whose count nobody wants (ReadExactlyAsync).</summary>
        public ValueTask AsUntypedValueTask() => new(this, Version);

        /// <summary>The bytes read by a read that finished in <see cref="TryPark"/>, or its error thrown; returns the waiter to the pool.</summary>
        public int TakeOutcome()
        {
            int got = _got;
            Exception? error = _error;
            Clear();
            WaiterPool<ReadWaiter>.Return(this);
            if (error is not null)
            {
                ExceptionDispatchInfo.Throw(error);
            }

            return got;
        }

        /// <inheritdoc/>
        protected override void RunReadied()
        {
            // Read before parking again: once back in the slot, the waiter may be readied, finished
            // and rented by another goroutine on another thread (off the runtime) before this returns.
            Goroutine? goroutine = Goroutine;
            object? flow = ContinuationState;
            if (!TryFinish())
            {
                goroutine?.NoteParking(WaitReason.IOWait, flow); // parked again: the step ends with the goroutine parked
                return;
            }

            _done = true;
            _socket!.Exit(PollMode.Read);
            InvokeContinuation();
        }

        // Makes the calls until the read finishes (true: _got or _error final) or parks again (false).
        private bool TryFinish()
        {
            PolledSocket socket = _socket!;
            while (true)
            {
                try
                {
                    nint read = socket.TryReceive(_buffer.Span[_got..]);
                    if (read >= 0)
                    {
                        _got += (int)read;
                        if (read == 0 || _got >= _minimum)
                        {
                            _got = EndOfRead(_got, _minimum, _throwOnEndOfStream);
                            return true;
                        }

                        if (!socket.TakeDrained(_buffer.Length - _got))
                        {
                            continue; // more may be queued (a datagram socket): call again
                        }
                    }
                }
                catch (Exception e) when (e is NetOperationException or EndOfStreamException)
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
            return TakeOutcome();
        }

        /// <inheritdoc/>
        void IValueTaskSource.GetResult(short token) => GetResult(token);

        private void Clear()
        {
            _socket = null;
            _buffer = default;
            _got = 0;
            _minimum = 0;
            _error = null;
            _throwOnEndOfStream = false;
            _done = false;
        }
    }
}
