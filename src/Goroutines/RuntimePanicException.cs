// Licensed under the MIT License.

using System;

namespace Goroutines;

/// <summary>
/// A panic of the runtime itself, with Go's message word for word (Go: a <c>runtime.Error</c>
/// such as <c>close of nil channel</c>); an <see cref="InvalidOperationException"/> marked
/// <see cref="IRuntimeError"/>. A send on a closed channel has its own type (ChannelPanics.cs).
/// </summary>
internal sealed class RuntimePanicException(string message) : InvalidOperationException(message), IRuntimeError;
