namespace CssmSim.Engine.Tests.Support;

/// <summary>
/// A wall clock that moves only when a test moves it, so time-dependent behaviour is checked
/// without sleeping.
/// </summary>
public sealed class ManualTimeProvider : TimeProvider
{
    /// <summary>An arbitrary whole-second instant, far from the real date so a test notices wall-clock leaks.</summary>
    public static readonly DateTimeOffset DefaultStart = new(2031, 7, 4, 23, 30, 0, TimeSpan.Zero);

    private readonly object _gate = new();
    private DateTimeOffset _now;

    public ManualTimeProvider() : this(DefaultStart)
    {
    }

    public ManualTimeProvider(DateTimeOffset start) => _now = start.ToUniversalTime();

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate) return _now;
    }

    /// <summary>Moves the clock by <paramref name="delta"/> (negative goes back).</summary>
    public void Advance(TimeSpan delta)
    {
        lock (_gate) _now += delta;
    }

    public void SetUtcNow(DateTimeOffset instant)
    {
        lock (_gate) _now = instant.ToUniversalTime();
    }
}
