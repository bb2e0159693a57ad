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
        _lines = new LineLoggerProvider(() => _output is { } o ? o.WriteLine : null);
    }

    /// <summary>Sends lines to <paramref name="output"/> from now on (null drops them).</summary>
    public void Attach(ITestOutputHelper? output) => _output = output;

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => _lines.CreateLogger(categoryName);

    /// <inheritdoc/>
    public void Dispose() => _output = null;
}
