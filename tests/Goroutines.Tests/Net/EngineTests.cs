// Licensed under the MIT License.

using System;

using Goroutines.Net;

using Xunit;

namespace Goroutines.Tests.Net;

/// <summary>
/// The engine under <see cref="Network"/>: the runtime's netpoller on Linux, .NET's socket engine
/// elsewhere or with <c>GOROUTINES_NETPOLLER=off</c> (CI runs the network tests once each way).
/// </summary>
public sealed class EngineTests
{
    [Fact]
    public void Listen_UsesTheEngineTheSystemAndEnvironmentSelect()
    {
        bool pollerOff = string.Equals(Environment.GetEnvironmentVariable("GOROUTINES_NETPOLLER"), "off", StringComparison.OrdinalIgnoreCase);
        bool expectPoller = OperatingSystem.IsLinux() && !pollerOff;

        using Listener listener = Network.Listen("tcp", "127.0.0.1:0");

        Assert.Equal(expectPoller, NetSocket.UsesNetPoller);
        Assert.IsType(expectPoller ? typeof(PolledSocket) : typeof(EngineSocket), listener.Socket);
    }
}
