using CssmSim.Engine.Time;

namespace CssmSim.Testing;

/// <summary>
/// How a simulator's clock starts. Token expiry, trust and artefact times and poll deadlines read
/// it; <see cref="CssmSimulator.Clock"/> moves it later. Each simulator gets its own clock built from
/// this description, so one value can configure many simulators.
/// </summary>
public sealed class VirtualClock
{
    private readonly ClockMode _mode;
    private readonly DateTimeOffset? _startAt;
    private readonly TimeProvider? _wall;

    private VirtualClock(ClockMode mode, DateTimeOffset? startAt, TimeProvider? wall)
    {
        _mode = mode;
        _startAt = startAt;
        _wall = wall;
    }

    /// <summary>Wall time (the default).</summary>
    public static VirtualClock System { get; } = new(ClockMode.System, null, null);

    /// <summary>
    /// Starts at <paramref name="instant"/> and keeps ticking with wall time. <paramref name="wall"/>
    /// replaces the wall clock underneath (e.g. a fake one for the bottleneck's hold window).
    /// </summary>
    public static VirtualClock At(DateTimeOffset instant, TimeProvider? wall = null) => new(ClockMode.Virtual, instant, wall);

    /// <summary>Stands still at <paramref name="instant"/> until moved; a reset returns to that instant.</summary>
    public static VirtualClock Frozen(DateTimeOffset instant, TimeProvider? wall = null) => new(ClockMode.Frozen, instant, wall);

    internal SimulatorClock Create() => new(_wall, _mode, _startAt);

    /// <inheritdoc/>
    public override string ToString() => _startAt is { } at ? $"{_mode.ToString().ToLowerInvariant()} from {at:O}" : "system";
}
