using CssmSim.Engine.Tests.Support;
using CssmSim.Engine.Time;
using Shouldly;
using Xunit;

namespace CssmSim.Engine.Tests.Time;

public sealed class SimulatorClockTests
{
    private static readonly DateTimeOffset W = ManualTimeProvider.DefaultStart;
    private static readonly DateTimeOffset Year2040 = new(2040, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly ManualTimeProvider _wall = new();

    [Fact]
    public void A_system_clock_reads_wall_time_and_follows_it()
    {
        var clock = new SimulatorClock(_wall);

        clock.Mode.ShouldBe(ClockMode.System);
        clock.GetUtcNow().ShouldBe(W);
        _wall.Advance(TimeSpan.FromMinutes(5));
        clock.GetUtcNow().ShouldBe(W.AddMinutes(5));
        clock.Offset.ShouldBe(TimeSpan.Zero);
    }

    [Fact]
    public void The_wall_clock_is_exposed_for_lifetimes_and_waits()
    {
        new SimulatorClock(_wall).Wall.ShouldBeSameAs(_wall);
        new SimulatorClock().Wall.ShouldBeSameAs(TimeProvider.System);
    }

    [Fact]
    public void A_clock_started_at_an_instant_is_virtual_from_there_and_keeps_ticking()
    {
        var clock = new SimulatorClock(_wall, startAt: Year2040);

        clock.Mode.ShouldBe(ClockMode.Virtual);
        clock.GetUtcNow().ShouldBe(Year2040);
        clock.Offset.ShouldBe(Year2040 - W);
        _wall.Advance(TimeSpan.FromSeconds(90));
        clock.GetUtcNow().ShouldBe(Year2040.AddSeconds(90));
    }

    [Fact]
    public void A_virtual_clock_without_a_start_instant_starts_at_wall_time()
    {
        var clock = new SimulatorClock(_wall, ClockMode.Virtual);

        clock.Mode.ShouldBe(ClockMode.Virtual);
        clock.GetUtcNow().ShouldBe(W);
        clock.Offset.ShouldBe(TimeSpan.Zero);
    }

    [Fact]
    public void A_frozen_clock_stands_still_while_wall_time_passes()
    {
        var clock = new SimulatorClock(_wall, ClockMode.Frozen, Year2040);

        _wall.Advance(TimeSpan.FromHours(3));

        clock.Mode.ShouldBe(ClockMode.Frozen);
        clock.GetUtcNow().ShouldBe(Year2040);
    }

    [Fact]
    public void A_frozen_clock_without_a_start_instant_freezes_at_wall_time()
    {
        var clock = new SimulatorClock(_wall, ClockMode.Frozen);

        _wall.Advance(TimeSpan.FromHours(1));

        clock.GetUtcNow().ShouldBe(W);
    }

    [Fact]
    public void The_offset_of_a_frozen_clock_is_measured_at_the_moment_of_reading()
    {
        var clock = new SimulatorClock(_wall, ClockMode.Frozen, W.AddDays(1));
        clock.Offset.ShouldBe(TimeSpan.FromDays(1));

        _wall.Advance(TimeSpan.FromHours(6));

        clock.Offset.ShouldBe(TimeSpan.FromHours(18));
    }

    [Fact]
    public void Advancing_a_system_clock_makes_it_virtual_and_it_keeps_ticking()
    {
        var clock = new SimulatorClock(_wall);

        clock.Advance(TimeSpan.FromDays(30));

        clock.Mode.ShouldBe(ClockMode.Virtual);
        clock.GetUtcNow().ShouldBe(W.AddDays(30));
        clock.Offset.ShouldBe(TimeSpan.FromDays(30));
        _wall.Advance(TimeSpan.FromSeconds(1));
        clock.GetUtcNow().ShouldBe(W.AddDays(30).AddSeconds(1));
    }

    [Fact]
    public void Advances_add_up()
    {
        var clock = new SimulatorClock(_wall);

        clock.Advance(TimeSpan.FromDays(30));
        clock.Advance(TimeSpan.FromHours(2));

        clock.GetUtcNow().ShouldBe(W.AddDays(30).AddHours(2));
    }

    [Fact]
    public void Advancing_by_a_negative_amount_goes_back_in_time()
    {
        var clock = new SimulatorClock(_wall);

        clock.Advance(TimeSpan.FromDays(-2));

        clock.Mode.ShouldBe(ClockMode.Virtual);
        clock.GetUtcNow().ShouldBe(W.AddDays(-2));
        clock.Offset.ShouldBe(TimeSpan.FromDays(-2));
    }

    [Fact]
    public void Advancing_a_frozen_clock_moves_it_and_leaves_it_frozen()
    {
        var clock = new SimulatorClock(_wall, ClockMode.Frozen, Year2040);

        clock.Advance(TimeSpan.FromDays(1));
        _wall.Advance(TimeSpan.FromMinutes(10));

        clock.Mode.ShouldBe(ClockMode.Frozen);
        clock.GetUtcNow().ShouldBe(Year2040.AddDays(1));
    }

    [Fact]
    public void Setting_a_system_clock_makes_it_virtual_at_that_instant()
    {
        var clock = new SimulatorClock(_wall);

        clock.Set(Year2040);

        clock.Mode.ShouldBe(ClockMode.Virtual);
        clock.GetUtcNow().ShouldBe(Year2040);
        _wall.Advance(TimeSpan.FromSeconds(5));
        clock.GetUtcNow().ShouldBe(Year2040.AddSeconds(5));
    }

    [Fact]
    public void Setting_a_clock_to_the_past_is_allowed()
    {
        var clock = new SimulatorClock(_wall, startAt: Year2040);
        var past = new DateTimeOffset(2001, 2, 3, 4, 5, 6, TimeSpan.Zero);

        clock.Set(past);

        clock.GetUtcNow().ShouldBe(past);
    }

    [Fact]
    public void Setting_a_frozen_clock_keeps_it_frozen_at_the_new_instant()
    {
        var clock = new SimulatorClock(_wall, ClockMode.Frozen);

        clock.Set(Year2040);
        _wall.Advance(TimeSpan.FromDays(3));

        clock.Mode.ShouldBe(ClockMode.Frozen);
        clock.GetUtcNow().ShouldBe(Year2040);
    }

    [Fact]
    public void Switching_to_system_mode_drops_the_offset()
    {
        var clock = new SimulatorClock(_wall);
        clock.Advance(TimeSpan.FromDays(30));

        clock.SetMode(ClockMode.System);

        clock.Mode.ShouldBe(ClockMode.System);
        clock.GetUtcNow().ShouldBe(W);
        clock.Offset.ShouldBe(TimeSpan.Zero);
    }

    [Fact]
    public void Switching_a_frozen_clock_to_system_mode_returns_to_wall_time()
    {
        var clock = new SimulatorClock(_wall, ClockMode.Frozen, Year2040);

        clock.SetMode(ClockMode.System);
        _wall.Advance(TimeSpan.FromSeconds(1));

        clock.GetUtcNow().ShouldBe(W.AddSeconds(1));
        clock.Offset.ShouldBe(TimeSpan.Zero);
    }

    [Fact]
    public void Freezing_a_virtual_clock_stops_it_at_its_current_instant()
    {
        var clock = new SimulatorClock(_wall, startAt: Year2040);
        _wall.Advance(TimeSpan.FromMinutes(1));

        clock.SetMode(ClockMode.Frozen);
        _wall.Advance(TimeSpan.FromHours(1));

        clock.Mode.ShouldBe(ClockMode.Frozen);
        clock.GetUtcNow().ShouldBe(Year2040.AddMinutes(1));
    }

    [Fact]
    public void Unfreezing_to_virtual_ticks_on_from_the_frozen_instant()
    {
        var clock = new SimulatorClock(_wall, ClockMode.Frozen, Year2040);
        _wall.Advance(TimeSpan.FromHours(5));

        clock.SetMode(ClockMode.Virtual);
        _wall.Advance(TimeSpan.FromSeconds(10));

        clock.Mode.ShouldBe(ClockMode.Virtual);
        clock.GetUtcNow().ShouldBe(Year2040.AddSeconds(10));
    }

    [Fact]
    public void Switching_a_system_clock_to_virtual_keeps_wall_time()
    {
        var clock = new SimulatorClock(_wall);

        clock.SetMode(ClockMode.Virtual);

        clock.Mode.ShouldBe(ClockMode.Virtual);
        clock.GetUtcNow().ShouldBe(W);
    }

    [Fact]
    public void Reset_returns_a_system_clock_to_system_mode_without_offset()
    {
        var clock = new SimulatorClock(_wall);
        clock.Advance(TimeSpan.FromDays(400));
        clock.SetMode(ClockMode.Frozen);
        _wall.Advance(TimeSpan.FromMinutes(3));

        clock.Reset();

        clock.Mode.ShouldBe(ClockMode.System);
        clock.GetUtcNow().ShouldBe(W.AddMinutes(3));
        clock.Offset.ShouldBe(TimeSpan.Zero);
    }

    [Fact]
    public void Reset_returns_a_virtual_clock_to_its_start_offset()
    {
        var clock = new SimulatorClock(_wall, startAt: Year2040);
        clock.Advance(TimeSpan.FromDays(-10));
        clock.SetMode(ClockMode.System);
        _wall.Advance(TimeSpan.FromMinutes(7));

        clock.Reset();

        clock.Mode.ShouldBe(ClockMode.Virtual);
        clock.Offset.ShouldBe(Year2040 - W);
        clock.GetUtcNow().ShouldBe(Year2040.AddMinutes(7));
    }

    [Fact]
    public void Reset_of_a_clock_started_frozen_returns_it_to_frozen_mode()
    {
        var clock = new SimulatorClock(_wall, ClockMode.Frozen, Year2040);
        clock.SetMode(ClockMode.System);

        clock.Reset();

        clock.Mode.ShouldBe(ClockMode.Frozen);
    }

    // Regression: for a clock started frozen at an instant, the reproducible start-up state is that
    // instant. Reset once set the frozen instant to "wall now + start offset", so it drifted by
    // however much wall time had passed since start.
    [Fact]
    public void Reset_of_a_clock_started_frozen_at_an_instant_returns_to_that_instant()
    {
        var clock = new SimulatorClock(_wall, ClockMode.Frozen, Year2040);
        clock.Advance(TimeSpan.FromDays(30));
        _wall.Advance(TimeSpan.FromHours(2));

        clock.Reset();

        clock.GetUtcNow().ShouldBe(Year2040);
    }
}
