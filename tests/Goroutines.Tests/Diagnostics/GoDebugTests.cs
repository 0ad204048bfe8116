// Licensed under the MIT License.

using System;

using Goroutines.Diagnostics;

using Xunit;

namespace Goroutines.Tests.Diagnostics;

public sealed class GoDebugTests
{
    [Fact]
    public void Parse_SchedTraceAmongOtherKeys_ReadsPeriodAndDetail()
    {
        GoDebug settings = GoDebug.Parse("gctrace=1, schedtrace=1000,scheddetail=1,madvdontneed=0");

        Assert.Equal(1000, settings.SchedTraceMilliseconds);
        Assert.True(settings.SchedDetail);
    }

    [Fact]
    public void Parse_RepeatedKey_LaterValueWins()
    {
        Assert.Equal(20, GoDebug.Parse("schedtrace=10,schedtrace=20").SchedTraceMilliseconds);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("schedtrace")]
    [InlineData("schedtrace=")]
    [InlineData("schedtrace=often")]
    [InlineData("schedtrace=-5")]
    [InlineData("=5")]
    [InlineData("scheddetail=1")]
    public void Parse_NoValidSchedTrace_TraceOff(string? value)
    {
        Assert.Null(SchedTraceOptions.FromGoDebug(GoDebug.Parse(value)));
    }

    [Fact]
    public void FromGoDebug_SchedTraceSet_WritesToStandardErrorEveryPeriod()
    {
        SchedTraceOptions? options = SchedTraceOptions.FromGoDebug(GoDebug.Parse("schedtrace=250"));

        Assert.NotNull(options);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.Period);
        Assert.False(options.Detailed);
        Assert.Same(Console.Error, options.Writer);
    }
}
