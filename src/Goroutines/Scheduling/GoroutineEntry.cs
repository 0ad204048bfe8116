// Licensed under the MIT License.

using System;
using System.Threading.Tasks;

namespace Goroutines.Scheduling;

// GoroutineEntry: a goroutine's function together with the arguments Go.Run evaluated
// at the go statement (Go's `go f(x, y)`). One object holds both, where a lambda over
// the arguments costs a closure and a delegate, and the arguments are copied at the
// Go.Run call, so a loop variable passed in is the value of that iteration.
// The goroutine holds it as its entry until its first step calls Start.
//
// The function is a Func<..., Task> or an Action<...> of the same arguments; Start
// tells them apart once, at the start.
internal abstract class GoroutineEntry(Delegate function)
{
    /// <summary>The function, for the dump of a goroutine that has not started.</summary>
    public Delegate Function { get; } = function;

    /// <summary>Calls the function with the arguments: its task, or null for a synchronous function.</summary>
    public abstract Task? Start();

    // The task of an asynchronous function (never null), or null after a synchronous one ran.
    protected static Task? Started(Task? task) =>
        task ?? throw new InvalidOperationException("A goroutine's function returned a null Task.");
}

/// <summary>A goroutine's function of one argument, with the argument.</summary>
internal sealed class GoroutineEntry<T1>(Delegate function, T1 arg1) : GoroutineEntry(function)
{
    public override Task? Start()
    {
        if (Function is Func<T1, Task> asynchronous)
        {
            return Started(asynchronous(arg1));
        }

        ((Action<T1>)Function)(arg1);
        return null;
    }
}

/// <summary>A goroutine's function of two arguments, with the arguments.</summary>
internal sealed class GoroutineEntry<T1, T2>(Delegate function, T1 arg1, T2 arg2) : GoroutineEntry(function)
{
    public override Task? Start()
    {
        if (Function is Func<T1, T2, Task> asynchronous)
        {
            return Started(asynchronous(arg1, arg2));
        }

        ((Action<T1, T2>)Function)(arg1, arg2);
        return null;
    }
}

/// <summary>A goroutine's function of three arguments, with the arguments.</summary>
internal sealed class GoroutineEntry<T1, T2, T3>(Delegate function, T1 arg1, T2 arg2, T3 arg3) : GoroutineEntry(function)
{
    public override Task? Start()
    {
        if (Function is Func<T1, T2, T3, Task> asynchronous)
        {
            return Started(asynchronous(arg1, arg2, arg3));
        }

        ((Action<T1, T2, T3>)Function)(arg1, arg2, arg3);
        return null;
    }
}

/// <summary>A goroutine's function of four arguments, with the arguments.</summary>
internal sealed class GoroutineEntry<T1, T2, T3, T4>(Delegate function, T1 arg1, T2 arg2, T3 arg3, T4 arg4) : GoroutineEntry(function)
{
    public override Task? Start()
    {
        if (Function is Func<T1, T2, T3, T4, Task> asynchronous)
        {
            return Started(asynchronous(arg1, arg2, arg3, arg4));
        }

        ((Action<T1, T2, T3, T4>)Function)(arg1, arg2, arg3, arg4);
        return null;
    }
}
