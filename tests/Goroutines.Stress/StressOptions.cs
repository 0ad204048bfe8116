// Licensed under the MIT License.

using System;
using System.Globalization;

namespace Goroutines.Stress;

/// <summary>
/// The command line: <c>--duration</c> (how long to keep starting rounds, e.g. <c>60s</c>, <c>10m</c>;
/// default 60 s), <c>--seed</c> (the run's seed; default a random one, printed), <c>--round</c>
/// (run only the round with that number of the run's sequence, to replay a failure),
/// <c>--stall</c> (how long a round may run before the watchdog calls it stalled; default 60 s).
/// </summary>
internal sealed record StressOptions(TimeSpan Duration, int Seed, int? OnlyRound, TimeSpan StallAfter)
{
    public static StressOptions Parse(string[] args)
    {
        TimeSpan duration = TimeSpan.FromSeconds(60);
        int seed = Random.Shared.Next();
        int? round = null;
        TimeSpan stall = TimeSpan.FromSeconds(60);
        for (int i = 0; i < args.Length; i++)
        {
            string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--duration":
                    duration = ParseDuration(value);
                    break;
                case "--seed":
                    seed = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--round":
                    round = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--stall":
                    stall = ParseDuration(value);
                    break;
                default:
                    throw new ArgumentException($"Unknown option {args[i]}: use --duration, --seed, --round or --stall.");
            }

            i++;
        }

        return new StressOptions(duration, seed, round, stall);
    }

    // 90s, 10m, 2h, or seconds alone.
    private static TimeSpan ParseDuration(string text)
    {
        char unit = text[^1];
        double amount = double.Parse(char.IsDigit(unit) ? text : text[..^1], CultureInfo.InvariantCulture);
        return unit switch
        {
            'h' => TimeSpan.FromHours(amount),
            'm' => TimeSpan.FromMinutes(amount),
            _ => TimeSpan.FromSeconds(amount),
        };
    }
}
