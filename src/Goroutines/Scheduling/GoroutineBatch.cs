// Licensed under the MIT License.

using System;

namespace Goroutines.Scheduling;

/// <summary>
/// Goroutines made runnable together, to be queued in one go (Go's <c>gList</c>, as
/// <c>injectglist</c> takes it): the network poll's harvest. Owned by one thread; reused.
/// </summary>
internal sealed class GoroutineBatch
{
    private Goroutine?[] _items = new Goroutine?[16];

    /// <summary>How many goroutines the batch holds.</summary>
    public int Count { get; private set; }

    /// <summary>The goroutines, in the order added; the first <see cref="Count"/> are set.</summary>
    public Goroutine?[] Items => _items;

    /// <summary>Appends <paramref name="goroutine"/>.</summary>
    public void Add(Goroutine goroutine)
    {
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        _items[Count++] = goroutine;
    }

    /// <summary>Empties the batch, dropping its references (a parked goroutine must not be kept alive by it).</summary>
    public void Clear()
    {
        Array.Clear(_items, 0, Count);
        Count = 0;
    }
}
