using CssmSim.Engine.Time;

namespace CssmSim.Engine.Tests.Jobs;

public sealed class IsoDurationTests
{
    [Theory]
    [InlineData("P30D", 30 * 86400.0)]
    [InlineData("PT1H30M", 5400.0)]
    [InlineData("P1DT2H3M4S", 93784.0)]
    [InlineData("PT0.5S", 0.5)]
    [InlineData("-P1D", -86400.0)]
    public void Days_and_time_parts_are_read(string text, double seconds)
    {
        IsoDuration.TryParse(text, out var d).ShouldBeTrue();
        d.TotalSeconds.ShouldBe(seconds);
    }

    [Theory]
    [InlineData("P1Y")]
    [InlineData("P1M")]
    [InlineData("P1W")]
    [InlineData("P")]
    [InlineData("PT")]
    [InlineData("30D")]
    [InlineData("")]
    [InlineData("P99999999D")]
    public void Years_months_weeks_and_malformed_text_are_refused(string text) =>
        IsoDuration.TryParse(text, out _).ShouldBeFalse();

    [Theory]
    [InlineData("P30D")]
    [InlineData("PT10M")]
    [InlineData("P1DT2H3M4.5S")]
    public void Formatting_round_trips(string text)
    {
        IsoDuration.TryParse(text, out var d).ShouldBeTrue();
        IsoDuration.Format(d).ShouldBe(text);
    }
}
