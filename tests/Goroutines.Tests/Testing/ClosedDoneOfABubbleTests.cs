// Licensed under the MIT License.

using System;
using System.Threading.Tasks;

using Goroutines.Contexts;
using Goroutines.Testing;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Testing;

public sealed class ClosedDoneOfABubbleTests : RuntimeTest
{
    [Fact]
    public async Task DoneOfACanceledContext_ProcessFirstCanceledOneInABubble_StillReadableOutside()
    {
        Assert.Equal(string.Empty, await ScenarioProcess.RunAsync(Scenarios.CancelInABubbleThenReadDoneOutside));
    }

    /// <summary>The child process's body: the process's first context canceled before its Done was made is canceled in a bubble.</summary>
    public static class Scenarios
    {
        public static string CancelInABubbleThenReadDoneOutside()
        {
            SyncTest.RunAsync(() =>
            {
                var (_, cancel) = Context.WithCancel(Context.Background);
                cancel(); // installs CancelContext's shared closed Done channel, made now, inside the bubble
                return Task.CompletedTask;
            }).GetAwaiter().GetResult();

            var (outside, cancelOutside) = Context.WithCancel(Context.Background);
            cancelOutside();
            try
            {
                return outside.Done.TryReceive(out _, out bool ok) && !ok ? string.Empty : "The Done channel of a canceled context is not closed.";
            }
            catch (InvalidOperationException e)
            {
                return $"{e.GetType().Name}: {e.Message}";
            }
        }
    }
}
