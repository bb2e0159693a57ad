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

    /// <summary>Moves the clock by <paramref name="delta"/> (may be negative). A system clock becomes virtual.</summary>
    public void Advance(TimeSpan delta) => Set(GetUtcNow() + delta);

    /// <summary>Puts the clock at <paramref name="instant"/>; a frozen clock stays frozen there.</summary>
    public void Set(DateTimeOffset instant)
    {
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
