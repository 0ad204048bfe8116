// Licensed under the MIT License.

using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

using Goroutines.Scheduling;

namespace Goroutines;

/// <summary>
/// The awaitable of <see cref="Go.YieldAsync"/>: Go's <c>runtime.Gosched</c>. Allocation-free.
/// </summary>
public readonly struct YieldAwaitable
{
    /// <summary>Returns the awaiter.</summary>
    public YieldAwaiter GetAwaiter() => default;

    /// <summary>The awaiter of <see cref="YieldAwaitable"/>; the compiler's pattern, not for direct use.</summary>
    public readonly struct YieldAwaiter : ICriticalNotifyCompletion
    {
        /// <summary>Always false: a yield always suspends.</summary>
        public bool IsCompleted => false;

        /// <summary>Ends the await.</summary>
        public void GetResult()
        {
        }

        /// <summary>Schedules <paramref name="continuation"/> with the current execution context.</summary>
        public void OnCompleted(Action continuation)
        {
            ArgumentNullException.ThrowIfNull(continuation);
            ExecutionContext? context = ExecutionContext.Capture();
            if (context is null)
            {
                UnsafeOnCompleted(continuation);
                return;
            }

            UnsafeOnCompleted(() => ExecutionContext.Run(context, static s => ((Action)s!)(), continuation));
        }

        /// <summary>
        /// Inside a goroutine, queues it at the tail of its processor's run queue and resumes it
        /// from there (Go's Gosched). Elsewhere, resumes on the current context or the thread pool,
        /// as <see cref="Task.Yield"/> does.
        /// </summary>
        public void UnsafeOnCompleted(Action continuation)
        {
            ArgumentNullException.ThrowIfNull(continuation);
            SynchronizationContext? context = SynchronizationContext.Current;
            if (context is Goroutine g && Machine.Current is { } machine && machine.RunningGoroutine == g)
            {
                g.YieldWith(continuation, machine);
                return;
            }

            Task.Yield().GetAwaiter().UnsafeOnCompleted(continuation);
        }
    }
}
