using System.Diagnostics;

namespace CssmSim.Server.Hosting;

/// <summary>Process-level facts the control API reports: version, uptime, readiness.</summary>
public sealed class SimulatorRuntime
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private volatile bool _ready;

    public string Version { get; } = typeof(SimulatorRuntime).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public TimeSpan Uptime => Stopwatch.GetElapsedTime(_started);

    /// <summary>True once migrations and the start-up seed ran.</summary>
    public bool IsReady => _ready;

    public void MarkReady() => _ready = true;
}
