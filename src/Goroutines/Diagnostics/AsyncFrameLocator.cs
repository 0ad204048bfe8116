// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Goroutines.Diagnostics;

// AsyncFrameLocator: names a suspended async method frame for goroutine dumps. A
// suspended frame is a compiler-generated state machine (Program+<Main>d__0) whose
// <>1__state field holds the number of the await it is suspended at (0, 1, 2, ...).
//
// The name: the kickoff method is the method of the state machine's declaring type
// whose [AsyncStateMachine] names the state machine (StateMachineAttribute, so async
// iterators too), the lookup System.Diagnostics.StackTrace does for MoveNext. It is
// rendered readable (FunctionNames): Ns.Program.Main.func1 for a lambda of Main.
//
// Where a goroutine was created: the methods with a statement on the Go.Run call's
// line, from the same PDB's sequence points (MethodsAt), so that a call inside a
// lambda or local function names that function, not the member around it.
//
// The await's source line, from the assembly's portable PDB:
//   1. open the PDB once per assembly: PEReader.TryOpenAssociatedPortablePdb finds the
//      .pdb named by the CodeView entry of the PE's debug directory next to
//      Assembly.Location, or else the PDB embedded in the PE; its bytes are read into
//      memory, so no file stays open or locked after the call;
//   2. the MoveNext method's row in the PDB's MethodDebugInformation and
//      CustomDebugInformation tables is its MethodDef row in the assembly;
//   3. MoveNext's "async method stepping information" record (Kind 54FD2AC5-E925-
//      401A-9C2A-F94F171072F8, Roslyn's MetadataWriter.SerializeAsyncMethodSteppingInfo)
//      is: uint32 catch handler offset + 1, then per await, in the order the compiler
//      emitted them, uint32 yield offset, uint32 resume offset, compressed row id of
//      the method holding the resume offset (MoveNext itself);
//   4. the N-th entry is the await of state N: Roslyn allocates state numbers while
//      lowering awaits in tree order and emits their code in that same order
//      (AsyncFrameLocatorTests pins this through loops, try/catch/finally and an await
//      in a finally block);
//   5. the line is that of the last visible sequence point at or before the resume
//      offset, the rule System.Diagnostics.StackTrace applies to an IL offset. Roslyn
//      marks the statement holding the await visible and the suspend-and-resume code
//      after it hidden, so the rule lands on the await's statement. An await the
//      compiler gives no visible point (the implicit DisposeAsync of an await using)
//      reads as the point before it, as it would in a stack trace: the using's closing
//      brace in a debug build, the body's last statement in a release build.
//
// Caching: a dump of 100,000 goroutines asks about few distinct state machine types,
// so the first question about a type computes its name, or the lines of all its
// awaits, and every later one is a table lookup without a lock. Tables are
// ConditionalWeakTables keyed by Type and Assembly rather than ConcurrentDictionaries,
// which would keep collectible assemblies alive forever.
//
// Rejected: decoding MoveNext's IL to follow the state dispatch switch to each await
// (an IL reader for what the PDB already lists in state order); StackFrame, which
// resolves lines only for frames on a live stack, never for a method at an offset.
//
// Failure: a dump must always be produced, so nothing here throws. A missing,
// mismatched or malformed PDB, a type without MoveNext, an unknown state, all read as
// "no location"; an unresolved kickoff method reads as the state machine's own name.
// Failures are cached like successes, so a bad PDB is read (and fails) once.
//
// Invariants:
// - A table entry, once published, never changes.
// - PDB metadata is read only under s_pdbLock; the readers are never disposed, since
//   later types of the same assembly read them again.
internal static class AsyncFrameLocator
{
    /// <summary>The Kind of the async method stepping information record, from the Portable PDB spec.</summary>
    private static readonly Guid s_asyncSteppingKind = new("54FD2AC5-E925-401A-9C2A-F94F171072F8");

    /// <summary>Kickoff method names by state machine type definition.</summary>
    private static readonly ConditionalWeakTable<Type, string> s_methodNames = new();

    /// <summary>Await locations, indexed by state, by state machine type definition; written once per type under s_pdbLock.</summary>
    private static readonly ConditionalWeakTable<Type, AwaitLocation[]> s_awaitLocations = new();

    /// <summary>Portable PDBs by assembly; null when the assembly has none. Written and read only under s_pdbLock.</summary>
    private static readonly ConditionalWeakTable<Assembly, MetadataReaderProvider?> s_pdbs = new();

    /// <summary>The methods with a statement on a file's line, innermost first, by assembly; read and written only under s_pdbLock.</summary>
    private static readonly ConditionalWeakTable<Assembly, Dictionary<(string File, int Line), MethodBase[]>> s_methodsAt = new();

    /// <summary>Protects s_pdbs and every read of PDB metadata; never held while taking another lock.</summary>
    private static readonly Lock s_pdbLock = new();

    /// <summary>
    /// The readable name of the method a state machine implements ("Namespace.Type.Method",
    /// "Namespace.Type.Main.func1" for a lambda of Main: see <see cref="FunctionNames"/>). Falls
    /// back to the state machine type's own name, rendered the same way, when no method of its
    /// declaring type names it as its state machine.
    /// </summary>
    /// <param name="stateMachineType">The state machine type, constructed or a generic definition.</param>
    /// <remarks>Thread-safe; never throws. After the first call for a type, a table lookup.</remarks>
    public static string GetMethodName(Type stateMachineType) =>
        s_methodNames.GetValue(Definition(stateMachineType), ResolveMethodName); // pure: a racing duplicate is harmless

    /// <summary>
    /// The readable name of an ordinary method ("Namespace.Type.Method"): a goroutine's
    /// entry function before it started, or a frame of the dumping thread's own stack.
    /// </summary>
    /// <param name="method">The method.</param>
    public static string GetMethodName(MethodBase method) =>
        FunctionNames.Of(method);

    /// <summary>
    /// The source file and line of the await at which a state machine of this type is suspended
    /// when its <c>&lt;&gt;1__state</c> field holds <paramref name="state"/>.
    /// </summary>
    /// <param name="stateMachineType">The state machine type, constructed or a generic definition.</param>
    /// <param name="state">The state; awaits are numbered from 0, negative states are not suspended at an await.</param>
    /// <param name="file">The source file as the PDB records it, when found.</param>
    /// <param name="line">The 1-based line of the await, when found; otherwise 0.</param>
    /// <returns>False when unknown: a negative or unknown state, or no usable portable PDB.</returns>
    /// <remarks>Thread-safe; never throws. After the first call for a type, a table lookup.</remarks>
    public static bool TryGetAwaitLocation(Type stateMachineType, int state, [NotNullWhen(true)] out string? file, out int line)
    {
        file = null;
        line = 0;
        if (state < 0)
        {
            return false;
        }

        Type definition = Definition(stateMachineType);
        if (!s_awaitLocations.TryGetValue(definition, out AwaitLocation[]? awaits))
        {
            lock (s_pdbLock)
            {
                if (!s_awaitLocations.TryGetValue(definition, out awaits))
                {
                    awaits = ReadAwaitLocations(definition);
                    s_awaitLocations.Add(definition, awaits);
                }
            }
        }

        if (state >= awaits.Length || awaits[state].File is not string known)
        {
            return false;
        }

        file = known;
        line = awaits[state].Line;
        return true;
    }

    /// <summary>
    /// The methods of <paramref name="assembly"/> that have a statement spanning <paramref name="line"/>
    /// of <paramref name="file"/>, innermost first (by the fewest lines their tightest such statement
    /// spans): where a <c>Go.Run</c> call on that line was written, for a goroutine's
    /// <c>created by</c>. A lambda or local function is a method of its own, so the innermost
    /// is the function whose code holds the call, not the member around it.
    /// </summary>
    /// <returns>Empty when unknown: no usable portable PDB (Native AOT, single-file), or no such statement.</returns>
    /// <remarks>Thread-safe; never throws. Each file and line is looked up once per assembly.</remarks>
    public static MethodBase[] MethodsAt(Assembly assembly, string file, int line)
    {
        lock (s_pdbLock)
        {
            Dictionary<(string File, int Line), MethodBase[]> found = s_methodsAt.GetOrCreateValue(assembly);
            if (!found.TryGetValue((file, line), out MethodBase[]? methods))
            {
                methods = FindMethodsAt(assembly, file, line);
                found.Add((file, line), methods);
            }

            return methods;
        }
    }

    /// <summary>The generic type definition of a constructed generic type, else the type itself.</summary>
    private static Type Definition(Type type) => type.IsConstructedGenericType ? type.GetGenericTypeDefinition() : type;

    /// <summary>
    /// The method a state machine runs (its kickoff method), found as StackTrace finds it: the
    /// method of the declaring type whose [AsyncStateMachine] (or iterator attribute) names the
    /// type; null when none does. Callers cache what they learn from it.
    /// </summary>
    /// <exception cref="Exception">Whatever reading the metadata throws (a type load failure in a sibling method's attribute, say).</exception>
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = AsyncStackWalker.TrimmedWalk)]
    public static MethodInfo? FindKickoffMethod(Type stateMachineType)
    {
        Type definition = Definition(stateMachineType);
        if (definition.DeclaringType is not Type parent)
        {
            return null;
        }

        const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static
            | BindingFlags.Instance | BindingFlags.DeclaredOnly;
        foreach (MethodInfo candidate in parent.GetMethods(Declared))
        {
            if (candidate.GetCustomAttribute<StateMachineAttribute>(inherit: false)?.StateMachineType == definition)
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Finds the kickoff method and renders its name; the type's own name if none.</summary>
    private static string ResolveMethodName(Type definition)
    {
        try
        {
            return FindKickoffMethod(definition) is { DeclaringType: { } parent } kickoff
                ? FunctionNames.Of(parent.FullName, kickoff.Name)
                : FunctionNames.OfType(definition);
        }
        catch (Exception)
        {
            // A dump must be written whatever the metadata holds (a type load failure in
            // a sibling method's attribute, say).
            return definition.Name;
        }
    }

    /// <summary>Reads where each await of a state machine resumes; empty when unknown.</summary>
    /// <remarks>s_pdbLock must be held.</remarks>
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = AsyncStackWalker.TrimmedWalk)]
    private static AwaitLocation[] ReadAwaitLocations(Type definition)
    {
        try
        {
            MethodInfo? moveNext = definition.GetMethod(
                nameof(IAsyncStateMachine.MoveNext),
                BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.DeclaredOnly,
                Type.EmptyTypes);
            if (moveNext is null || moveNext.Module != definition.Assembly.ManifestModule
                || OpenPdb(definition.Assembly) is not MetadataReader pdb)
            {
                return [];
            }

            EntityHandle moveNextHandle = MetadataTokens.EntityHandle(moveNext.MetadataToken);
            if (moveNextHandle.Kind != HandleKind.MethodDefinition)
            {
                return [];
            }

            foreach (CustomDebugInformationHandle handle in pdb.GetCustomDebugInformation(moveNextHandle))
            {
                CustomDebugInformation record = pdb.GetCustomDebugInformation(handle);
                if (pdb.GetGuid(record.Kind) == s_asyncSteppingKind)
                {
                    return ReadSteppingInformation(pdb, pdb.GetBlobReader(record.Value));
                }
            }

            return [];
        }
        catch (Exception)
        {
            // A dump must be written whatever the PDB holds (BadImageFormatException on a
            // malformed blob, say).
            return [];
        }
    }

    /// <summary>Scans the PDB's sequence points for <see cref="MethodsAt"/>.</summary>
    /// <remarks>s_pdbLock must be held.</remarks>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "A trimmed assembly's PDB is rewritten with it, so its method rows are the assembly's; under Native AOT there is no PDB and this is never reached.")]
    private static MethodBase[] FindMethodsAt(Assembly assembly, string file, int line)
    {
        try
        {
            if (OpenPdb(assembly) is not MetadataReader pdb)
            {
                return [];
            }

            var candidates = new List<(int Span, MethodBase Method)>();
            foreach (MethodDebugInformationHandle handle in pdb.MethodDebugInformation)
            {
                int tightest = int.MaxValue;
                foreach (SequencePoint point in pdb.GetMethodDebugInformation(handle).GetSequencePoints())
                {
                    if (!point.IsHidden && point.StartLine <= line && line <= point.EndLine && point.EndLine - point.StartLine < tightest
                        && pdb.StringComparer.Equals(pdb.GetDocument(point.Document).Name, file))
                    {
                        tightest = point.EndLine - point.StartLine;
                    }
                }

                if (tightest != int.MaxValue
                    && assembly.ManifestModule.ResolveMethod(MetadataTokens.GetToken(handle.ToDefinitionHandle())) is MethodBase method)
                {
                    candidates.Add((tightest, method));
                }
            }

            candidates.Sort(static (a, b) => a.Span.CompareTo(b.Span));
            return candidates.ConvertAll(static candidate => candidate.Method).ToArray();
        }
        catch (Exception)
        {
            // A dump must be written whatever the PDB holds.
            return [];
        }
    }

    /// <summary>Decodes an async stepping record (step 3 of the header) into one location per await.</summary>
    private static AwaitLocation[] ReadSteppingInformation(MetadataReader pdb, BlobReader blob)
    {
        _ = blob.ReadUInt32(); // catch handler offset + 1
        var awaits = new List<AwaitLocation>();
        while (blob.RemainingBytes > 0)
        {
            _ = blob.ReadUInt32(); // yield offset
            int resumeOffset = (int)blob.ReadUInt32();
            var method = MetadataTokens.MethodDefinitionHandle(blob.ReadCompressedInteger());
            awaits.Add(FindLocation(pdb, method, resumeOffset));
        }

        return [.. awaits];
    }

    /// <summary>The last visible sequence point of a method at or before an IL offset; default when none.</summary>
    private static AwaitLocation FindLocation(MetadataReader pdb, MethodDefinitionHandle method, int offset)
    {
        AwaitLocation found = default;
        foreach (SequencePoint point in pdb.GetMethodDebugInformation(method).GetSequencePoints())
        {
            if (point.Offset > offset)
            {
                break;
            }

            if (!point.IsHidden)
            {
                found = new AwaitLocation(pdb.GetString(pdb.GetDocument(point.Document).Name), point.StartLine);
            }
        }

        return found;
    }

    /// <summary>The assembly's portable PDB, opened once; null when it has none or it cannot be read.</summary>
    /// <remarks>s_pdbLock must be held.</remarks>
    private static MetadataReader? OpenPdb(Assembly assembly)
    {
        if (!s_pdbs.TryGetValue(assembly, out MetadataReaderProvider? provider))
        {
            provider = TryOpenPdb(assembly);
            s_pdbs.Add(assembly, provider);
        }

        return provider?.GetMetadataReader();
    }

    /// <summary>Opens the PDB next to the assembly's file or embedded in it (step 1 of the header).</summary>
    [UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "An assembly without a file (single-file, Native AOT) has an empty Location, which reads as no PDB: its frames keep their names and lose their lines.")]
    private static MetadataReaderProvider? TryOpenPdb(Assembly assembly)
    {
        try
        {
            string location = assembly.IsDynamic ? string.Empty : assembly.Location;
            if (location.Length == 0)
            {
                return null;
            }

            // The PE reader is only needed to find the PDB: a PDB from a file is read into
            // memory and an embedded one is decompressed into memory the provider owns.
            using var peReader = new PEReader(File.OpenRead(location));
            return peReader.TryOpenAssociatedPortablePdb(location, ReadFile, out MetadataReaderProvider? provider, out _)
                ? provider
                : null;
        }
        catch (Exception)
        {
            // A dump must be written whatever the file system and the PE file hold.
            return null;
        }
    }

    /// <summary>A seekable in-memory copy of a file, or null when it does not exist.</summary>
    private static MemoryStream? ReadFile(string path) => File.Exists(path) ? new MemoryStream(File.ReadAllBytes(path), writable: false) : null;

    /// <summary>Where an await resumes; a null <paramref name="File"/> when the PDB has no visible point for it.</summary>
    /// <param name="File">The source file as the PDB records it.</param>
    /// <param name="Line">The 1-based start line of the await's statement.</param>
    private readonly record struct AwaitLocation(string? File, int Line);
}