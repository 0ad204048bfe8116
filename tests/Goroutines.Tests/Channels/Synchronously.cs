// Licensed under the MIT License.

using System.Threading.Tasks;

namespace Goroutines.Tests.Channels;

/// <summary>
/// Consumes channel operations that are expected to complete synchronously, without awaiting
/// (so a loop of them stays on one thread and allocates nothing of its own).
/// </summary>
internal static class Synchronously
{
    /// <summary>Whether the operation completed synchronously; consumes it if so.</summary>
    public static bool Completed(ValueTask operation)
    {
        if (!operation.IsCompletedSuccessfully)
        {
            return false;
        }

        operation.GetAwaiter().GetResult();
        return true;
    }

    /// <summary>Whether the operation completed synchronously; consumes it and gives its result if so.</summary>
    public static bool Completed<T>(ValueTask<T> operation, out T result)
    {
        if (!operation.IsCompletedSuccessfully)
        {
            result = default!;
            return false;
        }

        result = operation.Result;
        return true;
    }
}
