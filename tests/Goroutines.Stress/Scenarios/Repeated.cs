// Licensed under the MIT License.

using System;
using System.Threading.Tasks;

namespace Goroutines.Stress.Scenarios;

/// <summary>A scenario made of many small instances, one after the other.</summary>
internal static class Repeated
{
    /// <summary>
    /// Runs <paramref name="instance"/> a number of times drawn from [<paramref name="least"/>,
    /// <paramref name="most"/>), each with a seed of its own drawn from <paramref name="random"/>;
    /// returns the sum of what they moved.
    /// </summary>
    public static async Task<long> RunAsync(Random random, int least, int most, Func<Random, Task<long>> instance)
    {
        int times = random.Next(least, most);
        long moved = 0;
        for (int i = 0; i < times; i++)
        {
            moved += await instance(new Random(random.Next()));
        }

        return moved;
    }
}
