// Licensed under the MIT License.

using System;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Goroutines.Scheduling;

// WaiterPool: Go's sudog cache, one per waiter type. A waiter is rented when an
// operation parks and returned by its GetResult, so steady-state parking allocates
// nothing. The common rent-then-return on one thread touches no shared state: a
// machine keeps one waiter of any type in a plain field (Machine.CachedWaiter, one
// cheap thread-static lookup for every type), and every thread one more per type in
// a thread-static (a generic thread-static costs a runtime helper call; measured 4%
// of a W3 round trip). The rest go to a bounded shared stack.
//
// Invariants:
// - A waiter is in the pool only between its GetResult and its next Rent.
// - Every waiter in WaiterPool<TWaiter> is exactly a TWaiter, never a subclass (Rent's
//   exact type check; select cases, ChannelWaiter<T>'s subclass, are never pooled).
internal static class WaiterPool<TWaiter>
    where TWaiter : Waiter, new()
{
    // Bounded so that a burst of parks does not pin memory forever; size picked without data.
    private const int SharedCapacity = 1024;

    private static readonly TWaiter?[] s_shared = new TWaiter?[SharedCapacity];
    private static readonly Lock s_sharedLock = new();
    private static int s_sharedCount;

    [ThreadStatic]
    private static TWaiter? t_cached;

    /// <summary>Takes a waiter from the pool, or a new one. Any thread.</summary>
    /// <remarks>
    /// Go: acquireSudog. Inlined into each waiter's own Rent, where <typeparamref name="TWaiter"/> is
    /// exact: the shared generic code a reference type's instantiation would run looks the type up in
    /// its dictionary at run time (1.2% of W11's samples).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TWaiter Rent()
    {
        // An exact type check, not a cast (whose helper call showed in W11's profile): a pool
        // holds exact TWaiters only (see the header), so it is the same test.
        if (Machine.Current is { CachedWaiter: { } cached } machine && cached.GetType() == typeof(TWaiter))
        {
            machine.CachedWaiter = null;
            return Unsafe.As<TWaiter>(cached);
        }

        return RentFromThreadOrShared();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TWaiter RentFromThreadOrShared()
    {
        TWaiter? waiter = t_cached;
        if (waiter is not null)
        {
            t_cached = null;
            return waiter;
        }

        if (Volatile.Read(ref s_sharedCount) > 0)
        {
            lock (s_sharedLock)
            {
                if (s_sharedCount > 0)
                {
                    waiter = s_shared[--s_sharedCount];
                    s_shared[s_sharedCount] = null;
                    return waiter!;
                }
            }
        }

        return new TWaiter();
    }

    /// <summary>Returns a waiter whose await has completed (from its GetResult). Any thread.</summary>
    /// <remarks>Go: releaseSudog. Inlined, as <see cref="Rent"/>.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Return(TWaiter waiter)
    {
        if (Machine.Current is { CachedWaiter: null } machine)
        {
            machine.CachedWaiter = waiter;
            return;
        }

        ReturnToThreadOrShared(waiter);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ReturnToThreadOrShared(TWaiter waiter)
    {
        if (t_cached is null)
        {
            t_cached = waiter;
            return;
        }

        lock (s_sharedLock)
        {
            if (s_sharedCount < SharedCapacity)
            {
                s_shared[s_sharedCount++] = waiter;
            }
        }
    }
}
