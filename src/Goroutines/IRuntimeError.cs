// Licensed under the MIT License.

using System.Diagnostics.CodeAnalysis;

namespace Goroutines;

/// <summary>
/// Marks the exceptions of the runtime's own panics (Go's <c>runtime.Error</c> interface): a send
/// on a closed channel, the close of a nil or closed channel, a negative <c>WaitGroup</c> counter,
/// a <see cref="Go.Panic"/> with a null value. Test for it as Go code tests for
/// <c>runtime.Error</c>: <c>catch (Exception e) when (e is IRuntimeError)</c>.
/// </summary>
/// <remarks>
/// Each such exception is also the .NET exception that fits its misuse (a send on a closed channel
/// is a <see cref="System.Threading.Channels.ChannelClosedException"/>, the others
/// <see cref="System.InvalidOperationException"/>s), so code written for .NET catches it as it expects.
/// </remarks>
[SuppressMessage("Design", "CA1040:Avoid empty interfaces", Justification = "A marker, as Go's runtime.Error is one (its RuntimeError method has no use but to mark).")]
public interface IRuntimeError
{
}
