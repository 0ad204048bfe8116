// Licensed under the MIT License.

using System;
using System.Threading;

using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Sync;

/// <summary>
/// Races a thread that keeps misusing a lock (its fatal errors go to a capturing handler, so the
/// program goes on) against a thread that uses it correctly for a fixed number of rounds, and
/// asserts the correct one finishes: a misuse must never leave the lock in a state that strands it.
/// </summary>
internal static class MisuseRace
{
    /// <summary>Runs the race; <paramref name="misuse"/> may throw <see cref="SynchronizationLockException"/>.</summary>
    public static void AssertCorrectUserFinishes(Action misuse, Action correctRound, int rounds, string what)
    {
        using var capture = new PanicCapture();
        bool stop = false;
        var misuser = new Thread(() =>
        {
            for (int i = 0; !Volatile.Read(ref stop); i++)
            {
                try
                {
                    misuse();
                }
                catch (SynchronizationLockException)
                {
                }

                if (i % 1024 == 0)
                {
                    capture.TakeAll();
                }
            }
        })
        { IsBackground = true };
        var user = new Thread(() =>
        {
            for (int i = 0; i < rounds; i++)
            {
                correctRound();
            }
        })
        { IsBackground = true };
        misuser.Start();
        user.Start();
        bool finished = user.Join(TestTimeouts.Default);
        Volatile.Write(ref stop, true);
        Assert.True(misuser.Join(TestTimeouts.Default), "The misusing thread did not stop.");
        capture.TakeAll();
        Assert.True(finished, $"The correct {what} hung behind a misuser.");
    }
}
