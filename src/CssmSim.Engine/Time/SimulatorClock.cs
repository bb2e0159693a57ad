namespace CssmSim.Engine.Time;

/// <summary>How the simulator's clock relates to wall time.</summary>
public enum ClockMode
{
    /// <summary>Wall time.</summary>
    System,
    /// <summary>Wall time plus an offset; keeps ticking.</summary>
    Virtual,
    /// <summary>Stands still at one instant.</summary>
    Frozen,
}

/// <summary>
/// The one clock every expiry, deadline and artefact timestamp reads. It is a
/// <see cref="TimeProvider"/> so engine code stays ignorant of the mode; only the control
/// API moves it. Timers are not virtualised: waits use wall time by design (control.md §Clock).
/// </summary>
public sealed class SimulatorClock : TimeProvider
{
    private readonly TimeProvider _wall;
    private readonly object _gate = new();
    private readonly ClockMode _startMode;
    private readonly TimeSpan _startOffset;
    private readonly DateTimeOffset? _startFrozenAt;
    private ClockMode _mode;
    private TimeSpan _offset;
    private DateTimeOffset _frozenAt;

    public SimulatorClock(TimeProvider? wall = null, ClockMode mode = ClockMode.System, DateTimeOffset? startAt = null)
    {
        _wall = wall ?? System;
        var now = _wall.GetUtcNow();
        _mode = startAt is null ? mode : (mode == ClockMode.System ? ClockMode.Virtual : mode);
        _offset = startAt is { } at ? at - now : TimeSpan.Zero;
        _frozenAt = startAt ?? now;
        _startMode = _mode;
        _startOffset = _offset;
        // A clock started frozen at an instant resets to that instant, so a reset run repeats exactly.
        _startFrozenAt = _mode == ClockMode.Frozen ? _frozenAt : null;
    }

    /// <summary>The wall clock underneath (OAuth lifetimes and waits use it).</summary>
    public TimeProvider Wall => _wall;

    public ClockMode Mode { get { lock (_gate) return _mode; } }

    /// <summary>Virtual minus wall time (for a frozen clock, at the moment of reading).</summary>
    public TimeSpan Offset { get { lock (_gate) return _mode == ClockMode.Frozen ? _frozenAt - _wall.GetUtcNow() : _offset; } }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _mode switch
            {
                ClockMode.Frozen => _frozenAt,
                ClockMode.Virtual => _wall.GetUtcNow() + _offset,
                _ => _wall.GetUtcNow(),
            };
        }
    }

    /// <summary>
    /// The latest instant the clock may show. Dates a thousand years on leave room for every expiry
    /// and deadline computed from "now" (a year-9999 clock made adding a token's days overflow: a 500).
    /// </summary>
    public static readonly DateTimeOffset Latest = new(9000, 12, 31, 23, 59, 59, TimeSpan.Zero);

    /// <summary>The earliest instant the clock may show.</summary>
    public static readonly DateTimeOffset Earliest = new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>True when <paramref name="delta"/> from now stays within <see cref="Earliest"/>..<see cref="Latest"/>.</summary>
    public bool CanAdvance(TimeSpan delta, DateTimeOffset? from = null)
    {
        var now = from ?? GetUtcNow();
        return delta >= TimeSpan.Zero ? Latest - now >= delta : now - Earliest >= -delta;
    }

    /// <summary>Moves the clock by <paramref name="delta"/> (may be negative). A system clock becomes virtual.</summary>
    public void Advance(TimeSpan delta)
    {
        if (!CanAdvance(delta)) throw new ArgumentOutOfRangeException(nameof(delta), $"the clock must stay between {Earliest:yyyy-MM-dd} and {Latest:yyyy-MM-dd}");
        Set(GetUtcNow() + delta);
    }

    /// <summary>Puts the clock at <paramref name="instant"/>; a frozen clock stays frozen there.</summary>
    public void Set(DateTimeOffset instant)
    {
        if (instant < Earliest || instant > Latest)
            throw new ArgumentOutOfRangeException(nameof(instant), $"the clock must stay between {Earliest:yyyy-MM-dd} and {Latest:yyyy-MM-dd}");
        lock (_gate)
        {
            if (_mode == ClockMode.Frozen) { _frozenAt = instant; return; }
            _mode = ClockMode.Virtual;
            _offset = instant - _wall.GetUtcNow();
        }
    }

    public void SetMode(ClockMode mode)
    {
        lock (_gate)
        {
            var now = _mode switch
            {
                ClockMode.Frozen => _frozenAt,
                ClockMode.Virtual => _wall.GetUtcNow() + _offset,
                _ => _wall.GetUtcNow(),
            };
            switch (mode)
            {
                case ClockMode.System: _offset = TimeSpan.Zero; break;
                case ClockMode.Frozen: _frozenAt = now; break;
                case ClockMode.Virtual: _offset = now - _wall.GetUtcNow(); break;
            }
            _mode = mode;
        }
    }

    /// <summary>Puts the clock in a state read from the store (another process moved it, or it survived a restart).</summary>
    public void Restore(ClockMode mode, TimeSpan offset, DateTimeOffset frozenAt)
    {
        lock (_gate)
        {
            _mode = mode;
            _offset = mode == ClockMode.Virtual ? offset : TimeSpan.Zero;
            _frozenAt = frozenAt;
        }
    }

    /// <summary>Back to the mode and offset the clock started with (used by reset).</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _mode = _startMode;
            _offset = _startOffset;
            _frozenAt = _startFrozenAt ?? _wall.GetUtcNow() + _startOffset;
        }
    }
}
