// Licensed under the MIT License.

using System;
using System.Threading.Channels;

namespace Goroutines.Channels;

/// <summary>
/// The exceptions of channel misuse, with Go's panic messages word for word, each marked
/// <see cref="IRuntimeError"/> as Go's are <c>runtime.Error</c>s. A send on a closed channel is a
/// <see cref="ChannelClosedException"/> (an <see cref="InvalidOperationException"/>), so code
/// written against System.Threading.Channels catches it as it expects.
/// </summary>
internal static class ChannelPanics
{
    /// <summary>Go: panic(plainError("send on closed channel")).</summary>
    public static ChannelClosedException SendOnClosedChannel() => new SendOnClosedChannelException();

    /// <summary>Go: panic(plainError("close of closed channel")).</summary>
    public static InvalidOperationException CloseOfClosedChannel() => new RuntimePanicException("close of closed channel");

    /// <summary>Go: panic(plainError("close of nil channel")).</summary>
    public static InvalidOperationException CloseOfNilChannel() => new RuntimePanicException("close of nil channel");

    private sealed class SendOnClosedChannelException() : ChannelClosedException("send on closed channel"), IRuntimeError;
}
