// Licensed under the MIT License.

using System;
using System.Threading;

namespace Goroutines.Stress;

/// <summary>
/// Changes GOMAXPROCS to a value from 1 to 8 every millisecond or so, from a thread of its own,
/// until disposed: resizes racing everything the round does. Its values come from the round's seed.
/// </summary>
internal sealed class ProcsFlipper : IDisposable
{
    private readonly Thread _thread;
    private volatile bool _stop;

    public ProcsFlipper(int seed)
    {
        var random = new Random(seed ^ 0x5eed);
        _thread = new Thread(() =>
        {
            while (!_stop)
            {
                Go.SetMaxProcs(random.Next(1, 9));
                Thread.Sleep(1);
            }
        })
        {
            IsBackground = true,
            Name = "GOMAXPROCS flipper",
        };
        _thread.Start();
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        Go.SetMaxProcs(2);
    }
}
