using System.Net;
using System.Text;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.Faults;

public sealed class ClockApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task The_clock_starts_in_system_mode()
    {
        await using var sim = await TestSimulator.StartAsync();

        var clock = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/clock", Ct));

        clock.ShouldHaveExactKeys("now", "mode", "offsetMs");
        clock["mode"]!.GetValue<string>().ShouldBe("system");
        clock["offsetMs"]!.GetValue<long>().ShouldBe(0);
        clock["now"]!.GetValue<string>().ShouldMatch(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$");
    }

    [Fact]
    public async Task Advancing_makes_the_clock_virtual_and_moves_it_forward()
    {
        await using var sim = await TestSimulator.StartAsync();

        var clock = await TestSimulator.ReadJsonAsync(await sim.Http.PostAsync("/_sim/clock", Json("""{"advance":"P31D"}"""), Ct));

        clock["mode"]!.GetValue<string>().ShouldBe("virtual");
        clock["offsetMs"]!.GetValue<long>().ShouldBeInRange(31L * 86_400_000 - 5_000, 31L * 86_400_000 + 5_000);
        DateTimeOffset.Parse(clock["now"]!.GetValue<string>()).ShouldBeGreaterThan(DateTimeOffset.UtcNow.AddDays(30));
    }

    [Fact]
    public async Task A_frozen_clock_stays_at_the_instant_it_is_set_to()
    {
        await using var sim = await TestSimulator.StartAsync();

        await sim.Http.PostAsync("/_sim/clock", Json("""{"mode":"frozen","set":"2027-01-01T00:00:00Z"}"""), Ct);
        var first = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/clock", Ct));
        var advanced = await TestSimulator.ReadJsonAsync(await sim.Http.PostAsync("/_sim/clock", Json("""{"advance":"PT1H30M"}"""), Ct));

        first["now"]!.GetValue<string>().ShouldBe("2027-01-01T00:00:00.000Z");
        first["mode"]!.GetValue<string>().ShouldBe("frozen");
        advanced["now"]!.GetValue<string>().ShouldBe("2027-01-01T01:30:00.000Z");
    }

    [Fact]
    public async Task Time_may_go_backwards_and_system_mode_drops_the_offset()
    {
        await using var sim = await TestSimulator.StartAsync();

        var back = await TestSimulator.ReadJsonAsync(await sim.Http.PostAsync("/_sim/clock", Json("""{"advance":"-P1D"}"""), Ct));
        var system = await TestSimulator.ReadJsonAsync(await sim.Http.PostAsync("/_sim/clock", Json("""{"mode":"system"}"""), Ct));

        back["offsetMs"]!.GetValue<long>().ShouldBeLessThan(-86_000_000);
        system["offsetMs"]!.GetValue<long>().ShouldBe(0);
    }

    [Fact]
    public async Task Reset_puts_the_clock_back_to_its_start_up_mode()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.Http.PostAsync("/_sim/clock", Json("""{"advance":"P10D"}"""), Ct);

        await sim.Http.PostAsync("/_sim/reset", null, Ct);
        var clock = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/clock", Ct));

        clock["mode"]!.GetValue<string>().ShouldBe("system");
        clock["offsetMs"]!.GetValue<long>().ShouldBe(0);
    }

    [Theory]
    [InlineData("""{"advance":"P1Y"}""", "advance")]
    [InlineData("""{"advance":"P1W"}""", "advance")]
    [InlineData("""{"advance":30}""", "advance")]
    [InlineData("""{"set":"tomorrow"}""", "set")]
    [InlineData("""{"mode":"warp"}""", "mode")]
    [InlineData("""{"rewind":"P1D"}""", "rewind")]
    [InlineData("""{}""", "$")]
    public async Task Bad_clock_changes_are_400_naming_the_field(string body, string field)
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.Http.PostAsync("/_sim/clock", Json(body), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await TestSimulator.ReadJsonAsync(response))["errors"]!.AsObject().Select(e => e.Key).ShouldContain(field);
    }
}
