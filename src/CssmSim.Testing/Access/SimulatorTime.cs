using CssmSim.Engine.Time;

namespace CssmSim.Testing;

/// <summary>How the simulator's clock relates to wall time.</summary>
public enum ClockKind
{
    /// <summary>Wall time.</summary>
    System,
    /// <summary>Wall time plus an offset; keeps ticking.</summary>
    Virtual,
    /// <summary>Stands still.</summary>
    Frozen,
}

/// <summary>
/// The simulator's clock: token expiry, trust and artefact times and poll deadlines read it. Moving
/// it is immediate; waits (latency, hold windows) still use wall time.
/// </summary>
public sealed class SimulatorTime
{
    private readonly SimulatorClock _clock;

    internal SimulatorTime(SimulatorClock clock) => _clock = clock;

    /// <summary>The simulator's current time.</summary>
    public DateTimeOffset Now => _clock.GetUtcNow();

    /// <summary>System, virtual or frozen.</summary>
    public ClockKind Kind => _clock.Mode switch
    {
        ClockMode.Frozen => ClockKind.Frozen,
        ClockMode.Virtual => ClockKind.Virtual,
        _ => ClockKind.System,
    };

    /// <summary>The clock as a <see cref="TimeProvider"/>, for code under test that should share the simulator's time.</summary>
    public TimeProvider Provider => _clock;

    /// <summary>Moves the clock by <paramref name="delta"/> (may be negative); a system clock becomes virtual.</summary>
    public void Advance(TimeSpan delta) => _clock.Advance(delta);

    /// <summary>Puts the clock at <paramref name="instant"/>; a frozen clock stays frozen there.</summary>
    public void Set(DateTimeOffset instant) => _clock.Set(instant);

    /// <summary>Stops the clock at the current instant.</summary>
    public void Freeze() => _clock.SetMode(ClockMode.Frozen);

    /// <summary>Lets a frozen clock tick on from where it stands.</summary>
    public void Resume() => _clock.SetMode(ClockMode.Virtual);

    /// <summary>Back to wall time.</summary>
    public void UseSystemTime() => _clock.SetMode(ClockMode.System);
}
