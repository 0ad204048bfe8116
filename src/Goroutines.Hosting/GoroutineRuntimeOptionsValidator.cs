// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Globalization;

using Microsoft.Extensions.Options;

namespace Goroutines.Hosting;

/// <summary>
/// Checks <see cref="GoroutineRuntimeOptions"/> when the host reads them at its start: a failure
/// is an <see cref="OptionsValidationException"/> whose message names each bad setting and the
/// values it takes.
/// </summary>
internal sealed class GoroutineRuntimeOptionsValidator : IValidateOptions<GoroutineRuntimeOptions>
{
    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, GoroutineRuntimeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> failures = [];
        if (options.MaxProcs is { } maxProcs and (< 1 or > GoroutineRuntimeOptions.MaxProcsLimit))
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture,
                $"GoroutineRuntimeOptions.MaxProcs is {maxProcs}: set it to how many goroutines may run at once, from 1 to {GoroutineRuntimeOptions.MaxProcsLimit}, or leave it unset for the runtime's default (the GOMAXPROCS environment variable, else the number of CPUs)."));
        }

        if (options.MaxThreads is { } maxThreads and < 1)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture,
                $"GoroutineRuntimeOptions.MaxThreads is {maxThreads}: set it to the most OS threads the runtime may create, 1 or more, or leave it unset for the runtime's default (10,000)."));
        }

        if (!Enum.IsDefined(options.PanicPolicy))
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture,
                $"GoroutineRuntimeOptions.PanicPolicy is {(int)options.PanicPolicy}, not a policy: set it to one of {string.Join(", ", Enum.GetNames<GoroutinePanicPolicy>())}."));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
