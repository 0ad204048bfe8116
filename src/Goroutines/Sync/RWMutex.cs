// Licensed under the MIT License.

using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Scheduling;

namespace Goroutines.Sync;

// RWMutex: Go's sync.RWMutex, its algorithm step for step (sync/rwmutex.go).
//
// readerCount counts readers holding or waiting for the lock; a writer subtracts
// MaxReaders from it, so it goes negative while a writer is pending or holding it
// and new readers queue on the reader semaphore. readerWait counts the readers a
// pending writer still waits for (those that held the lock when it announced
// itself); the last of them releases the writer semaphore. Writers exclude each
// other with a Mutex first.
//
// Invariants (Go's):
// - readerCount < 0 iff a writer is pending or holds the lock.
// - A pending writer blocks new readers: they wait until its Unlock releases them.

/// <summary>
/// Go's <c>sync.RWMutex</c>: held by any number of readers or by one writer; a writer waiting for
/// the lock stops new readers from taking it, so writers are not starved. Parks goroutines, never
/// their threads.
/// </summary>
/// <remarks>
/// An <see cref="Unlock"/> happens-before every lock it lets through returns; an
/// <see cref="RUnlock"/> happens-before the <see cref="LockAsync()"/> it lets through returns. Not
/// reentrant: a reader that takes the read lock again while a writer waits deadlocks, as in Go.
/// </remarks>
public sealed class RWMutex : ILocker
{
    // Most readers at once (1 << 30, as Go's rwmutexMaxReaders).
    private const int MaxReaders = 1 << 30;

    private readonly Mutex _writers = new();
    private RuntimeSemaphore? _writerSemaphore; // created on first contention (RuntimeSemaphore.Ensure)
    private RuntimeSemaphore? _readerSemaphore; // created on first contention (RuntimeSemaphore.Ensure)
    private int _readerCount;
    private int _readerWait;

    /// <summary>
    /// Takes the read lock as <see cref="RLockAsync()"/> does, unless <paramref name="cancellationToken"/>
    /// is canceled first: then the read lock is not held by this call.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait; a token that cannot be canceled costs nothing.</param>
    /// <returns>A scope whose disposal releases the read lock.</returns>
    /// <exception cref="OperationCanceledException">The token was canceled before the read lock was taken.</exception>
    public ValueTask<RWMutexScope> RLockAsync(CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            return RLockAsync();
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<RWMutexScope>(cancellationToken);
        }

        return TryRLock() ? new ValueTask<RWMutexScope>(new RWMutexScope(this, writer: false)) : LockCancelableAsync(writer: false, cancellationToken);
    }

    /// <summary>
    /// Takes the write lock as <see cref="LockAsync()"/> does, unless <paramref name="cancellationToken"/>
    /// is canceled first: then the write lock is not held by this call.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait; a token that cannot be canceled costs nothing.</param>
    /// <returns>A scope whose disposal releases the write lock.</returns>
    /// <exception cref="OperationCanceledException">The token was canceled before the write lock was taken.</exception>
    /// <remarks>
    /// A canceled wait does not withdraw a writer that had already announced itself to the
    /// readers holding the lock (Go's writer preference): until those readers leave, new readers
    /// wait, as they would for a writer that had not given up; then the runtime takes the write
    /// lock for the abandoned wait and releases it at once. So, as with any pending writer in Go,
    /// a reader must not wait for another reader to take the lock before it releases its own.
    /// </remarks>
    public ValueTask<RWMutexScope> LockAsync(CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            return LockAsync();
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<RWMutexScope>(cancellationToken);
        }

        return TryLock() ? new ValueTask<RWMutexScope>(new RWMutexScope(this, writer: true)) : LockCancelableAsync(writer: true, cancellationToken);
    }

    /// <summary>Takes the read lock, parking while a writer holds or waits for it (Go's <c>rw.RLock</c>).</summary>
    /// <returns>A scope whose disposal releases the read lock.</returns>
    public ValueTask<RWMutexScope> RLockAsync()
    {
        if (SafePoint.ShouldYield)
        {
            return YieldThenAsync(writer: false);
        }

        if (Interlocked.Increment(ref _readerCount) >= 0)
        {
            return new ValueTask<RWMutexScope>(new RWMutexScope(this, writer: false));
        }

        return RLockSlowAsync();
    }

    /// <summary>Takes the read lock, blocking the calling thread while a writer holds or waits for it.</summary>
    /// <returns>A scope whose disposal releases the read lock.</returns>
    public RWMutexScope RLock()
    {
        Bubble.ThrowIfBlockingInBubble();
        if (Interlocked.Increment(ref _readerCount) < 0)
        {
            RuntimeSemaphore.Ensure(ref _readerSemaphore).Acquire();
        }

        return new RWMutexScope(this, writer: false);
    }

    /// <summary>Takes the read lock if no writer holds or waits for it (Go's <c>rw.TryRLock</c>).</summary>
    /// <returns>True if the caller now holds a read lock.</returns>
    public bool TryRLock()
    {
        while (true)
        {
            int count = Volatile.Read(ref _readerCount);
            if (count < 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _readerCount, count + 1, count) == count)
            {
                return true;
            }
        }
    }

    /// <summary>Releases one read lock (Go's <c>rw.RUnlock</c>).</summary>
    /// <exception cref="SynchronizationLockException">No read lock is held (Go's fatal error "sync: RUnlock of unlocked RWMutex", reported first).</exception>
    public void RUnlock()
    {
        // Go decrements first and checks after; here a misuse must leave the count untouched (a
        // panic handler may let the program go on), so it is checked before it changes.
        int old = Volatile.Read(ref _readerCount);
        while (true)
        {
            if (old == 0 || old == -MaxReaders)
            {
                throw Misuse("sync: RUnlock of unlocked RWMutex");
            }

            int seen = Interlocked.CompareExchange(ref _readerCount, old - 1, old);
            if (seen == old)
            {
                break;
            }

            old = seen;
        }

        // A writer is pending: the last reader it waits for lets it in.
        if (old - 1 < 0 && Interlocked.Decrement(ref _readerWait) == 0)
        {
            RuntimeSemaphore.Ensure(ref _writerSemaphore).Release();
        }
    }

    /// <summary>Takes the write lock, parking while readers or another writer hold it (Go's <c>rw.Lock</c>).</summary>
    /// <returns>A scope whose disposal releases the write lock.</returns>
    public ValueTask<RWMutexScope> LockAsync()
    {
        if (SafePoint.ShouldYield)
        {
            return YieldThenAsync(writer: true);
        }

        if (!_writers.TryLock())
        {
            return LockSlowAsync();
        }

        return AnnounceWriter() ? WaitForReadersAsync() : new ValueTask<RWMutexScope>(new RWMutexScope(this, writer: true));
    }

    /// <summary>Takes the write lock, blocking the calling thread while readers or another writer hold it.</summary>
    /// <returns>A scope whose disposal releases the write lock.</returns>
    public RWMutexScope Lock()
    {
        Bubble.ThrowIfBlockingInBubble();
        _writers.Lock();
        if (AnnounceWriter())
        {
            RuntimeSemaphore.Ensure(ref _writerSemaphore).Acquire();
        }

        return new RWMutexScope(this, writer: true);
    }

    /// <summary>Takes the write lock if nobody holds the mutex at all (Go's <c>rw.TryLock</c>).</summary>
    /// <returns>True if the caller now holds the write lock.</returns>
    public bool TryLock()
    {
        if (!_writers.TryLock())
        {
            return false;
        }

        if (Interlocked.CompareExchange(ref _readerCount, -MaxReaders, 0) != 0)
        {
            _writers.Unlock();
            return false;
        }

        return true;
    }

    /// <summary>Releases the write lock, letting in the readers that queued meanwhile, then other writers (Go's <c>rw.Unlock</c>).</summary>
    /// <exception cref="SynchronizationLockException">The write lock is not held (Go's fatal error "sync: Unlock of unlocked RWMutex", reported first).</exception>
    public void Unlock()
    {
        // Checked before the count changes, as in RUnlock.
        int old = Volatile.Read(ref _readerCount);
        while (true)
        {
            if (old >= 0)
            {
                throw Misuse("sync: Unlock of unlocked RWMutex");
            }

            int seen = Interlocked.CompareExchange(ref _readerCount, old + MaxReaders, old);
            if (seen == old)
            {
                break;
            }

            old = seen;
        }

        int readers = old + MaxReaders;

        for (int i = 0; i < readers; i++)
        {
            RuntimeSemaphore.Ensure(ref _readerSemaphore).Release();
        }

        _writers.Unlock();
    }

    private static SynchronizationLockException Misuse(string message)
    {
        Scheduler.Instance.Fatal(message);
        return new SynchronizationLockException(message);
    }

    // The write lock's second step, with the writers' mutex held: announce the writer to readers;
    // true if some readers still hold the lock and the writer must wait for the last of them.
    private bool AnnounceWriter()
    {
        int readers = Interlocked.Add(ref _readerCount, -MaxReaders) + MaxReaders;
        return readers != 0 && Interlocked.Add(ref _readerWait, readers) != 0;
    }

    // A safe point: the goroutine was asked to yield before taking the lock.
    private async ValueTask<RWMutexScope> YieldThenAsync(bool writer)
    {
        await Go.YieldAsync();
        return writer ? await LockAsync().ConfigureAwait(true) : await RLockAsync().ConfigureAwait(true);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<RWMutexScope> RLockSlowAsync()
    {
        await RuntimeSemaphore.Ensure(ref _readerSemaphore).AcquireAsync(WaitReason.SyncRWMutexRLock).ConfigureAwait(true);
        return new RWMutexScope(this, writer: false);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<RWMutexScope> LockSlowAsync()
    {
        await _writers.LockAsync().ConfigureAwait(true);
        if (AnnounceWriter())
        {
            await RuntimeSemaphore.Ensure(ref _writerSemaphore).AcquireAsync(WaitReason.SyncRWMutexLock).ConfigureAwait(true);
        }

        return new RWMutexScope(this, writer: true);
    }

    /// <summary>
    /// A locker over the read lock (Go's <c>rw.RLocker()</c>): its <c>Lock</c> and <c>Unlock</c>
    /// take and release a read lock, so that a <see cref="Cond"/> can wait with readers.
    /// </summary>
    /// <returns>A locker whose calls go to <see cref="RLockAsync()"/>, <see cref="RLock"/> and <see cref="RUnlock"/>.</returns>
    public ILocker RLocker() => new ReadLocker(this);

    /// <inheritdoc/>
    async ValueTask ILocker.LockAsync() => await LockAsync().ConfigureAwait(true);

    /// <inheritdoc/>
    void ILocker.Lock() => Lock();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<RWMutexScope> WaitForReadersAsync()
    {
        await RuntimeSemaphore.Ensure(ref _writerSemaphore).AcquireAsync(WaitReason.SyncRWMutexLock).ConfigureAwait(true);
        return new RWMutexScope(this, writer: true);
    }

    private sealed class ReadLocker(RWMutex mutex) : ILocker
    {
        public async ValueTask LockAsync() => await mutex.RLockAsync().ConfigureAwait(true);

        public void Lock() => mutex.RLock();

        public void Unlock() => mutex.RUnlock();
    }

    private async ValueTask<RWMutexScope> LockCancelableAsync(bool writer, CancellationToken cancellationToken)
    {
        Func<ValueTask> acquire = writer
            ? async () => await LockAsync().ConfigureAwait(true)
            : async () => await RLockAsync().ConfigureAwait(true);
        await CancelableAcquire.RunAsync(acquire, writer ? Unlock : RUnlock, cancellationToken).ConfigureAwait(true);
        return new RWMutexScope(this, writer);
    }
}
