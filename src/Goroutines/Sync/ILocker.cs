// Licensed under the MIT License.

using System.Threading.Tasks;

namespace Goroutines.Sync;

/// <summary>
/// Go's <c>sync.Locker</c>: a lock that can be taken and released, whichever kind it is. A
/// <see cref="Mutex"/>, an <see cref="RWMutex"/> (its write lock) and an RWMutex's read lock
/// (<see cref="RWMutex.RLocker"/>) are lockers; a <see cref="Cond"/> waits over any of them.
/// </summary>
public interface ILocker
{
    /// <summary>Takes the lock, parking the goroutine until it can (Go's <c>l.Lock()</c>).</summary>
    /// <returns>A task that completes once the lock is held.</returns>
    ValueTask LockAsync();

    /// <summary>Takes the lock, blocking the calling thread until it can (see <see cref="Mutex.Lock"/> on blocking a goroutine's thread).</summary>
    void Lock();

    /// <summary>Releases the lock (Go's <c>l.Unlock()</c>).</summary>
    void Unlock();
}
