// Licensed under the MIT License.

using System;

namespace Goroutines.Contexts;

/// <summary>
/// Cancels the context it was returned with and records why (Go's <c>context.CancelCauseFunc</c>):
/// the context and its descendants become done with <see cref="Context.Canceled"/>, and
/// <see cref="Context.Cause"/> returns <paramref name="cause"/>.
/// </summary>
/// <param name="cause">Why; null records <see cref="Context.Canceled"/> as the cause.</param>
/// <remarks>
/// Everything said of <see cref="CancelFunc"/> holds: idempotent (a later call does not change the
/// cause), safe from any thread, and the place where token callbacks run.
/// </remarks>
public delegate void CancelCauseFunc(Exception? cause);
