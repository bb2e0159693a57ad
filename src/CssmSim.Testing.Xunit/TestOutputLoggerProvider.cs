using Microsoft.Extensions.Logging;
using Xunit;

namespace CssmSim.Testing;

/// <summary>
/// Writes the simulator's log to an xunit v3 <see cref="ITestOutputHelper"/>. The target can be
/// switched as tests come and go (<see cref="Attach"/>), so a simulator shared by a fixture logs
/// into the output of the test that is using it; lines with no test to go to are dropped.
/// </summary>
public sealed class TestOutputLoggerProvider : ILoggerProvider
{
    private readonly LineLoggerProvider _lines;
    private volatile ITestOutputHelper? _output;

    /// <param name="output">Where lines go until <see cref="Attach"/> changes it.</param>
    public TestOutputLoggerProvider(ITestOutputHelper? output = null)
    {
        _output = output;
        // A line with no test to go to is dropped here; one whose test has ended is dropped by
        // LineLoggerProvider (xunit's helper throws InvalidOperationException then).
        _lines = new LineLoggerProvider(line => _output?.WriteLine(line));
    }

    /// <summary>Sends lines to <paramref name="output"/> from now on (null drops them).</summary>
    public void Attach(ITestOutputHelper? output) => _output = output;

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => _lines.CreateLogger(categoryName);

    /// <inheritdoc/>
    public void Dispose() => _output = null;
}
