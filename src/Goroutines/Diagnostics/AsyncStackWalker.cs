// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

using Goroutines.Scheduling;

namespace Goroutines.Diagnostics;

// AsyncStackWalker: recovers the "stack" of a suspended goroutine, which is not on
// any thread but on the heap: the chain of async state machines it is suspended in.
//
// The walk goes down from the goroutine's root task, as a debugger's parallel-stacks
// view does, rather than up from the awaited object as SOS's dumpasync does: going
// down also works when the goroutine awaits something the runtime does not own (a
// socket, Task.Delay), where there is no runtime waiter to start from. Each step:
//   1. The task is a state machine box (the Task an async method returns, or a
//      pooled ValueTask box): its StateMachine field holds the method's state.
//   2. The state field (<>1__state, >= 0 while suspended) names the await; the
//      method's name and the await's file and line come from AsyncFrameLocator.
//   3. The awaiter field in use (<>u__N; the compiler clears each after resuming)
//      holds the awaited object: a Task or an IValueTaskSource, found by following
//      the awaiter's fields (ValueTaskAwaiter -> ValueTask -> _obj). If that object
//      is itself a box, it is the next frame in.
// The walk stops at anything else: a runtime waiter (the wait reason says what it
// is), a foreign task, or a completed frame.
//
// Everything read here is compiler- or runtime-generated layout found by reflection,
// so every step is defensive: an unexpected shape ends the walk, never the dump. Under
// trimming and Native AOT the same holds for layout whose metadata was removed: a field
// or method not found ends the walk (the trim warnings are suppressed for that reason,
// with TrimmedWalk as the justification), and the dump says why its frames are missing
// (GoroutineDump.AsyncFramesNote).
// What was learnt about each type (its fields, its awaiter's path to the awaited
// object) is cached, so a dump of 100,000 goroutines of a few kinds pays for the
// reflection searches once.
//
// Invariants:
// - Never throws; returns what it could recover, outermost frame last.
// - Reads racily: a goroutine may resume while it is walked; the walk then reads a
//   state that was true a moment ago, or stops early.
internal static class AsyncStackWalker
{
    // A chain deeper than this is cut (a runaway or cyclic chain must not hang a dump).
    private const int MaxFrames = 256;

    // Weak tables, as AsyncFrameLocator's: a type of a collectible assembly must not be kept alive by a dump.
    /// <summary>Why the walk's reflection is safe when trimmed: missing metadata ends it early, and the dump says so.</summary>
    internal const string TrimmedWalk = "A member the trimmer removed is not found, which ends the walk as any unexpected shape does; the dump then says that its async frames are missing under trimming (GoroutineDump.AsyncFramesNote).";

    private static readonly ConditionalWeakTable<Type, BoxShape?> s_boxes = new();
    private static readonly ConditionalWeakTable<Type, StateMachineShape?> s_stateMachines = new();
    private static readonly ConditionalWeakTable<Type, FieldInfo[]?> s_awaiterPaths = new();

    /// <summary>
    /// The async frames <paramref name="root"/> (a goroutine's root task) is suspended in,
    /// innermost first, appended to <paramref name="frames"/>.
    /// </summary>
    public static void AppendSuspendedFrames(object root, List<GoroutineFrame> frames)
    {
        int first = frames.Count;
        object? current = root;
        try
        {
            while (current is not null && frames.Count - first < MaxFrames && BoxOf(current.GetType()) is { } box)
            {
                object? stateMachine = box.StateMachine.GetValue(current);
                if (stateMachine is null || StateMachineOf(stateMachine.GetType()) is not { } shape)
                {
                    break;
                }

                int state = shape.State.GetValue(stateMachine) is int s ? s : -1;
                if (!shape.IsRuntimeInternal)
                {
                    frames.Add(Describe(shape.Type, state));
                }

                if (state < 0)
                {
                    break; // running or finished: nothing awaited
                }

                current = AwaitedBy(stateMachine, shape);
            }
        }
#pragma warning disable CA1031 // A dump reports what it could read; reflection over a changing shape must not fail it.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        frames.Reverse(first, frames.Count - first);
    }

    /// <summary>The state machine type a task runs, when it is an async method's box (a goroutine's root task); else null.</summary>
    public static Type? StateMachineTypeOf(Task task) => BoxOf(task.GetType())?.StateMachine.FieldType;

    /// <summary>The frame of a goroutine that has not started: its entry function.</summary>
    public static GoroutineFrame DescribeEntry(Delegate entry) =>
        new(AsyncFrameLocator.GetMethodName(entry.Method), File: null, Line: 0);

    /// <summary>
    /// The frames of the calling thread's stack that belong to the running goroutine's code,
    /// innermost first: those between the runtime's own frames (the dump being taken) and the
    /// scheduler's step.
    /// </summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = TrimmedWalk)]
    public static void AppendCurrentFrames(List<GoroutineFrame> frames)
    {
        var trace = new StackTrace(fNeedFileInfo: true);
        Assembly runtime = typeof(AsyncStackWalker).Assembly;
        bool inUserCode = false;
        foreach (StackFrame frame in trace.GetFrames())
        {
            if (frame.GetMethod() is not { } method)
            {
                // Native AOT keeps no reflection metadata for most methods: name the frame from its
                // stack trace data instead, the runtime's own frames told apart by their names.
                if (DiagnosticMethodInfo.Create(frame) is { } info)
                {
                    bool isRuntimeFrame = info.DeclaringAssemblyName?.StartsWith("Goroutines,", StringComparison.Ordinal) == true
                        && (info.DeclaringTypeName?.StartsWith("Goroutines.Scheduling.", StringComparison.Ordinal) == true
                            || info.DeclaringTypeName?.StartsWith("Goroutines.Diagnostics.", StringComparison.Ordinal) == true);
                    if (!inUserCode)
                    {
                        inUserCode = !isRuntimeFrame;
                    }
                    else if (isRuntimeFrame)
                    {
                        break;
                    }

                    if (inUserCode)
                    {
                        frames.Add(new GoroutineFrame(FunctionNames.Of(info.DeclaringTypeName, info.Name), frame.GetFileName(), frame.GetFileLineNumber()));
                    }
                }

                continue;
            }

            bool isRuntime = method.DeclaringType?.Assembly == runtime && method.DeclaringType.Namespace is "Goroutines.Scheduling" or "Goroutines.Diagnostics";
            if (!inUserCode)
            {
                inUserCode = !isRuntime;
            }
            else if (isRuntime)
            {
                break; // the scheduler's step: below it is the machine, not the goroutine
            }

            if (inUserCode && !IsHiddenFromStackTraces(method))
            {
                string name = method.Name == nameof(IAsyncStateMachine.MoveNext) && method.DeclaringType is { } declaring
                    && typeof(IAsyncStateMachine).IsAssignableFrom(declaring)
                    ? AsyncFrameLocator.GetMethodName(declaring)
                    : AsyncFrameLocator.GetMethodName(method);
                frames.Add(new GoroutineFrame(name, frame.GetFileName(), frame.GetFileLineNumber()));
            }
        }
    }

    // An async method of the runtime's own internals (a channel operation that yielded at a safe
    // point first, say, or a public type's private helper such as the range loop's receive after
    // a yield): the walk goes through it, but the dump names the user's frames only, as it does
    // for a goroutine parked in a runtime waiter. The public API's own async methods stay.
    private static bool IsRuntimeInternal(Type stateMachineType)
    {
        if (stateMachineType.Assembly != typeof(AsyncStackWalker).Assembly)
        {
            return false;
        }

        try
        {
            return stateMachineType.DeclaringType is not { IsVisible: true }
                || AsyncFrameLocator.FindKickoffMethod(stateMachineType) is not { IsPublic: true }; // a public method's own frame stays
        }
#pragma warning disable CA1031 // a walk must go on whatever the metadata holds
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

    private static bool IsHiddenFromStackTraces(MethodBase method) =>
        method.IsDefined(typeof(StackTraceHiddenAttribute), inherit: false)
        || (method.DeclaringType?.IsDefined(typeof(StackTraceHiddenAttribute), inherit: false) ?? false);

    private static GoroutineFrame Describe(Type stateMachineType, int state)
    {
        _ = AsyncFrameLocator.TryGetAwaitLocation(stateMachineType, state, out string? file, out int line); // null and 0 when unknown
        return new GoroutineFrame(AsyncFrameLocator.GetMethodName(stateMachineType), file, line);
    }

    // The object the state machine awaits now: the Task or IValueTaskSource in its awaiter field in use.
    private static object? AwaitedBy(object stateMachine, StateMachineShape shape)
    {
        foreach (FieldInfo field in shape.Awaiters)
        {
            object? awaiter = field.GetValue(stateMachine);
            if (awaiter is null)
            {
                continue;
            }

            if (awaiter is Task or IValueTaskSource)
            {
                return awaiter; // an awaiter field of reference type (some custom awaitables)
            }

            if (AwaiterPathOf(awaiter.GetType()) is { } path)
            {
                object? value = awaiter;
                foreach (FieldInfo step in path)
                {
                    value = value is null ? null : step.GetValue(value);
                }

                if (value is not null)
                {
                    return value;
                }
            }
        }

        return null;
    }

    private static BoxShape? BoxOf(Type type) => s_boxes.GetValue(type, FindBoxShape);

    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = TrimmedWalk)]
    private static BoxShape? FindBoxShape(Type t) =>
        typeof(IAsyncStateMachine).IsAssignableFrom(t) ? null
        : t.GetField("StateMachine", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance) is { } field
            && typeof(IAsyncStateMachine).IsAssignableFrom(field.FieldType)
            ? new BoxShape(field)
            : null;

    private static StateMachineShape? StateMachineOf(Type type) => s_stateMachines.GetValue(type, FindStateMachineShape);

    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = TrimmedWalk)]
    private static StateMachineShape? FindStateMachineShape(Type t)
    {
        const BindingFlags Fields = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance;
        if (t.GetField("<>1__state", Fields) is not { FieldType: var stateType } state || stateType != typeof(int))
        {
            return null;
        }

        var awaiters = new List<FieldInfo>();
        foreach (FieldInfo field in t.GetFields(Fields))
        {
            if (field.Name.StartsWith("<>u__", StringComparison.Ordinal))
            {
                awaiters.Add(field);
            }
        }

        return new StateMachineShape(t, state, [.. awaiters], IsRuntimeInternal(t));
    }

    // The chain of fields from an awaiter struct to the awaited Task or IValueTaskSource, found by a
    // breadth-first search over the awaiter's fields (ValueTaskAwaiter<T>: _value, then _obj).
    private static FieldInfo[]? AwaiterPathOf(Type awaiterType) => s_awaiterPaths.GetValue(awaiterType, static t =>
        FindPath(t, depth: 3));

    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = TrimmedWalk)]
    private static FieldInfo[]? FindPath(Type type, int depth)
    {
        const BindingFlags Fields = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance;
        FieldInfo[] fields = type.GetFields(Fields);
        foreach (FieldInfo field in fields)
        {
            if (IsAwaitable(field.FieldType))
            {
                return [field];
            }
        }

        if (depth > 1)
        {
            foreach (FieldInfo field in fields)
            {
                if (field.FieldType.IsValueType && !field.FieldType.IsPrimitive && FindPath(field.FieldType, depth - 1) is { } rest)
                {
                    return [field, .. rest];
                }
            }
        }

        return null;
    }

    // A field that may hold what an awaiter waits on: a task, a value task source, or an object
    // field (ValueTask keeps either in one object field).
    private static bool IsAwaitable(Type fieldType) =>
        typeof(Task).IsAssignableFrom(fieldType) || fieldType == typeof(object) || typeof(IValueTaskSource).IsAssignableFrom(fieldType)
        || (fieldType.IsGenericType && fieldType.GetGenericTypeDefinition() == typeof(IValueTaskSource<>));

    private sealed record BoxShape(FieldInfo StateMachine);

    private sealed record StateMachineShape(Type Type, FieldInfo State, FieldInfo[] Awaiters, bool IsRuntimeInternal);
}
