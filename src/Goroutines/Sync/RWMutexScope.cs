// Licensed under the MIT License.

using System;

namespace Goroutines.Sync;

/// <summary>
/// A hold on an <see cref="RWMutex"/>, read or write, as its lock methods return it: disposing it
/// releases that hold, so a <c>using</c> block is Go's <c>rw.RLock(); defer rw.RUnlock()</c> (or
/// <c>Lock</c>/<c>Unlock</c>). Dispose it once; discarding it and unlocking by hand is as good.
/// </summary>
public readonly struct RWMutexScope : IDisposable, IEquatable<RWMutexScope>
{
    private readonly RWMutex? _mutex;
    private readonly bool _writer;

    internal RWMutexScope(RWMutex mutex, bool writer)
    {
        _mutex = mutex;
        _writer = writer;
    }

    /// <summary>Whether this is the write lock (otherwise a read lock).</summary>
    public bool IsWriter => _writer;

    /// <summary>Whether two scopes are the same kind of hold on the same mutex.</summary>
    public static bool operator ==(RWMutexScope left, RWMutexScope right) => left.Equals(right);

    /// <summary>Whether two scopes differ in mutex or kind.</summary>
    public static bool operator !=(RWMutexScope left, RWMutexScope right) => !left.Equals(right);

    /// <summary>Releases the hold: <see cref="RWMutex.Unlock"/> or <see cref="RWMutex.RUnlock"/>.</summary>
    public void Dispose()
    {
        if (_writer)
        {
            _mutex?.Unlock();
        }
        else
        {
            _mutex?.RUnlock();
        }
    }

    /// <inheritdoc/>
    public bool Equals(RWMutexScope other) => ReferenceEquals(_mutex, other._mutex) && _writer == other._writer;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is RWMutexScope other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_mutex, _writer);
}
