// Licensed under the MIT License.

using System;

namespace Goroutines.Sync;

/// <summary>
/// The hold on a <see cref="Mutex"/> that <see cref="Mutex.LockAsync()"/> returns: disposing it
/// unlocks the mutex, so a <c>using</c> block is Go's <c>mu.Lock(); defer mu.Unlock()</c>.
/// Dispose it once; discarding it instead and calling <see cref="Mutex.Unlock"/> is as good.
/// </summary>
public readonly struct MutexScope : IDisposable, IEquatable<MutexScope>
{
    private readonly Mutex? _mutex;

    internal MutexScope(Mutex mutex) => _mutex = mutex;

    /// <summary>Whether two scopes hold the same mutex.</summary>
    public static bool operator ==(MutexScope left, MutexScope right) => left.Equals(right);

    /// <summary>Whether two scopes hold different mutexes.</summary>
    public static bool operator !=(MutexScope left, MutexScope right) => !left.Equals(right);

    /// <summary>Unlocks the mutex.</summary>
    public void Dispose() => _mutex?.Unlock();

    /// <inheritdoc/>
    public bool Equals(MutexScope other) => ReferenceEquals(_mutex, other._mutex);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is MutexScope other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _mutex?.GetHashCode() ?? 0;
}
