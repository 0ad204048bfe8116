// Licensed under the MIT License.

using System;
using System.Globalization;

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Goroutines.Hosting;

// Reads GoroutineRuntimeOptions from a configuration section by hand, three keys.
//
// Rejected: the configuration binder (Microsoft.Extensions.Configuration.Binder). It binds by
// reflection, which trimming and Native AOT warn about unless every caller turns on its source
// generator, and its error for a bad value ("Failed to convert configuration value at
// 'Goroutines:MaxProcs' to type 'System.Nullable`1[System.Int32]'") says what failed but not
// what to write instead. Three keys are read here with a message that does.
//
// Invariants:
// - A missing or empty key leaves its option as it was (a default, or an earlier Configure).
// - Only the form is checked here; ranges are GoroutineRuntimeOptionsValidator's.

/// <summary>Sets <see cref="GoroutineRuntimeOptions"/> from a configuration section when the options are first read.</summary>
internal sealed class GoroutineRuntimeOptionsFromConfiguration(IConfiguration configuration) : IConfigureOptions<GoroutineRuntimeOptions>
{
    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">A key's value is not of the form it takes.</exception>
    public void Configure(GoroutineRuntimeOptions options)
    {
        if (Read(nameof(GoroutineRuntimeOptions.MaxProcs)) is { } maxProcs)
        {
            options.MaxProcs = ParseWholeNumber(maxProcs, nameof(GoroutineRuntimeOptions.MaxProcs),
                $"how many goroutines may run at once, from 1 to {GoroutineRuntimeOptions.MaxProcsLimit}");
        }

        if (Read(nameof(GoroutineRuntimeOptions.MaxThreads)) is { } maxThreads)
        {
            options.MaxThreads = ParseWholeNumber(maxThreads, nameof(GoroutineRuntimeOptions.MaxThreads),
                "the most OS threads the runtime may create, 1 or more");
        }

        if (Read(nameof(GoroutineRuntimeOptions.PanicPolicy)) is { } policy)
        {
            options.PanicPolicy = ParsePolicy(policy);
        }
    }

    private string? Read(string key) => configuration[key] is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    private int ParseWholeNumber(string value, string key, string meaning) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int number)
            ? number
            : throw new InvalidOperationException(
                $"The configuration value {PathOf(key)} is '{value}', which is not a whole number. "
                + $"Set it to {meaning}, or remove it to keep the runtime's default.");

    private GoroutinePanicPolicy ParsePolicy(string value)
    {
        foreach (GoroutinePanicPolicy policy in Enum.GetValues<GoroutinePanicPolicy>())
        {
            if (string.Equals(value, policy.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                return policy;
            }
        }

        throw new InvalidOperationException(
            $"The configuration value {PathOf(nameof(GoroutineRuntimeOptions.PanicPolicy))} is '{value}', which is not a panic policy. "
            + $"Set it to one of {string.Join(", ", Enum.GetNames<GoroutinePanicPolicy>())}, or remove it for {nameof(GoroutinePanicPolicy.StopHost)}.");
    }

    private string PathOf(string key) => configuration is IConfigurationSection { Path: { Length: > 0 } path } ? $"'{path}:{key}'" : $"'{key}'";
}
