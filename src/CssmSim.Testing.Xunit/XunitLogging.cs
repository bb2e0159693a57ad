using Microsoft.Extensions.Logging;
using Xunit;

namespace CssmSim.Testing;

/// <summary>Simulator options that take xunit v3 types.</summary>
public static class XunitLogging
{
    /// <summary>Logs to an xunit v3 test's output (lines written after that test ended are dropped).</summary>
    public static CssmSimulatorOptions LogTo(this CssmSimulatorOptions options, ITestOutputHelper output, LogLevel minimumLevel = LogLevel.Information)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        return options.LogTo(new TestOutputLoggerProvider(output), minimumLevel);
    }
}
