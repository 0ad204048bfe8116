// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Globalization;

namespace Goroutines.Workloads.Support;

/// <summary>
/// The command line of one workload, in Go's flag syntax so that the same arguments work for
/// the Go reference program: <c>-n 1000</c>, <c>-n=1000</c>, <c>--n 1000</c>, <c>-warmup=false</c>.
/// Plus <c>--runtime goroutines|dotnet</c>, which picks the implementation, and
/// <c>--flight-recorder</c>, which runs the workload with a flight recorder on (this runtime only).
/// </summary>
internal sealed class WorkloadArguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    private WorkloadArguments()
    {
    }

    /// <summary>Which implementation to run.</summary>
    public RuntimeKind Runtime { get; private set; } = RuntimeKind.Goroutines;

    /// <summary>Whether to run with a flight recorder recording (default options), to measure its cost.</summary>
    public bool FlightRecorder { get; private set; }

    /// <summary>Parses <paramref name="args"/>; throws <see cref="ArgumentException"/> on malformed input.</summary>
    public static WorkloadArguments Parse(IReadOnlyList<string> args)
    {
        var parsed = new WorkloadArguments();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith('-') || arg == "-" || arg == "--")
            {
                throw new ArgumentException($"unexpected argument '{arg}': flags look like -name value or -name=value");
            }

            string name = arg.TrimStart('-');
            string? value = null;
            int equals = name.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0)
            {
                value = name[(equals + 1)..];
                name = name[..equals];
            }
            else if (i + 1 < args.Count && !IsFlag(args[i + 1]))
            {
                value = args[++i];
            }

            value ??= "true"; // a bare boolean flag, as Go's flag package allows
            if (name == "runtime")
            {
                parsed.Runtime = value switch
                {
                    "goroutines" => RuntimeKind.Goroutines,
                    "dotnet" => RuntimeKind.DotNet,
                    _ => throw new ArgumentException($"--runtime must be 'goroutines' or 'dotnet', not '{value}'"),
                };
            }
            else if (name == "flight-recorder")
            {
                parsed.FlightRecorder = value switch
                {
                    "true" or "1" => true,
                    "false" or "0" => false,
                    _ => throw new ArgumentException($"--flight-recorder takes no value, or true/false, not '{value}'"),
                };
            }
            else
            {
                parsed._values[name] = value;
            }
        }

        return parsed;
    }

    private static bool IsFlag(string s) => s.Length > 1 && s[0] == '-' && !char.IsDigit(s[1]);

    /// <summary>An integer flag.</summary>
    public int Int(string name, int defaultValue)
    {
        _used.Add(name);
        if (!_values.TryGetValue(name, out string? text))
        {
            return defaultValue;
        }

        return int.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new ArgumentException($"-{name} must be an integer, not '{text}'");
    }

    /// <summary>A boolean flag.</summary>
    public bool Bool(string name, bool defaultValue)
    {
        _used.Add(name);
        if (!_values.TryGetValue(name, out string? text))
        {
            return defaultValue;
        }

        return bool.TryParse(text, out bool value) ? value : throw new ArgumentException($"-{name} must be true or false, not '{text}'");
    }

    /// <summary>A string flag.</summary>
    public string String(string name, string defaultValue)
    {
        _used.Add(name);
        return _values.TryGetValue(name, out string? text) ? text : defaultValue;
    }

    /// <summary>A duration flag in Go's syntax (<c>1ms</c>, <c>500us</c>, <c>2s</c>).</summary>
    public TimeSpan Duration(string name, TimeSpan defaultValue)
    {
        _used.Add(name);
        if (!_values.TryGetValue(name, out string? text))
        {
            return defaultValue;
        }

        (string suffix, double scale)[] units = [("ns", 1e-6), ("us", 1e-3), ("µs", 1e-3), ("ms", 1), ("s", 1000), ("m", 60_000)];
        foreach ((string suffix, double scale) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out double amount))
            {
                return TimeSpan.FromMilliseconds(amount * scale);
            }
        }

        throw new ArgumentException($"-{name} must be a duration such as 1ms or 500us, not '{text}'");
    }

    /// <summary>Throws if a flag was given that the workload does not know.</summary>
    public void RejectUnknown()
    {
        foreach (string name in _values.Keys)
        {
            if (!_used.Contains(name))
            {
                throw new ArgumentException($"unknown flag -{name}");
            }
        }
    }
}

/// <summary>The implementation a workload runs on.</summary>
internal enum RuntimeKind
{
    /// <summary>This project's runtime.</summary>
    Goroutines,

    /// <summary>The plain .NET idiom: Task.Run, System.Threading.Channels, SemaphoreSlim, Task.Delay.</summary>
    DotNet,
}
