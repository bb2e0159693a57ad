using Microsoft.Extensions.Logging;
using Xunit;

namespace CssmSim.Testing;

/// <summary>
/// One simulator shared by the tests of a class (<c>IClassFixture&lt;CssmSimulatorFixture&gt;</c>), a
/// collection (<c>ICollectionFixture</c>) or the assembly (<c>[assembly: AssemblyFixture(typeof(CssmSimulatorFixture))]</c>).
/// Tests start clean by calling <see cref="ResetAsync"/> first, e.g. from their own
/// <c>IAsyncLifetime.InitializeAsync</c>. Derive to change options (<see cref="Configure"/>) or to
/// log into each test's output.
/// </summary>
public class CssmSimulatorFixture : IAsyncLifetime
{
    private readonly TestOutputLoggerProvider? _output;
    private readonly LogLevel _logLevel;
    private CssmSimulator? _simulator;

    /// <summary>A fixture with the default options and no logging.</summary>
    public CssmSimulatorFixture()
    {
    }

    /// <param name="logToTestOutput">Log into the output of the test that last called <see cref="ResetAsync"/>.</param>
    /// <param name="minimumLevel">The least severe level logged.</param>
    protected CssmSimulatorFixture(bool logToTestOutput, LogLevel minimumLevel = LogLevel.Information)
    {
        _output = logToTestOutput ? new TestOutputLoggerProvider() : null;
        _logLevel = minimumLevel;
    }

    /// <summary>The simulator (started before the first test).</summary>
    /// <exception cref="InvalidOperationException">Before xunit initialised the fixture, or after it disposed it.</exception>
    public CssmSimulator Simulator => _simulator ?? throw new InvalidOperationException("the simulator runs between InitializeAsync and DisposeAsync; xunit calls them around the tests");

    /// <summary>Changes the options before the simulator starts; the defaults are those of <see cref="CssmSimulatorOptions"/>.</summary>
    protected virtual void Configure(CssmSimulatorOptions options)
    {
    }

    /// <summary>Starts the simulator (xunit calls this once, before the first test that uses the fixture).</summary>
    public virtual async ValueTask InitializeAsync()
    {
        _simulator = await CssmSimulator.StartAsync(o =>
        {
            Configure(o);
            if (_output is not null) o.LogTo(_output, _logLevel);
        }, TestContext.Current.CancellationToken);
    }

    /// <summary>
    /// Back to the start-up state (as <see cref="CssmSimulator.ResetAsync"/>), and, when the fixture
    /// logs to test output, routes the log into the calling test's output from now on.
    /// </summary>
    public async Task ResetAsync(CancellationToken ct = default)
    {
        _output?.Attach(TestContext.Current.TestOutputHelper);
        await Simulator.ResetAsync(ct);
    }

    /// <summary>Stops the simulator and frees its port.</summary>
    public virtual async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        if (_simulator is { } sim)
        {
            _simulator = null;
            await sim.DisposeAsync();
        }
        _output?.Dispose();
    }
}
