using System.Net;
using System.Net.Http.Headers;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.OAuth;

public sealed class BearerCheckTests
{
    private const string Search = TestSimulator.ApiPrefix + "/v2/accounts/search";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_request_without_a_token_is_401_invalid_token()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.Http.GetAsync(Search, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var body = await TestSimulator.ReadJsonAsync(response);
        body.ShouldHaveExactKeys("error", "error_description");
        body["error"]!.GetValue<string>().ShouldBe("invalid_token");
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("cssmsim.e30.AAAA")]
    [InlineData("cssmsim.!!!.???")]
    public async Task A_token_the_simulator_did_not_issue_is_401_invalid_token(string token)
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.ApiGetAsync(Search, token);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await TestSimulator.ReadJsonAsync(response))["error"]!.GetValue<string>().ShouldBe("invalid_token");
    }

    [Fact]
    public async Task A_tampered_token_is_401_invalid_token()
    {
        await using var sim = await TestSimulator.StartAsync();
        var token = await sim.TokenAsync();
        var tampered = token[..^2] + (token[^2] == 'A' ? "B" : "A") + token[^1];

        using var response = await sim.ApiGetAsync(Search, tampered);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_token_expires_after_its_lifetime_on_the_wall_clock_not_the_virtual_one()
    {
        var wall = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var clock = new Engine.Time.SimulatorClock(wall);
        await using var sim = await TestSimulator.StartAsync(o => o.Clock = clock);
        var token = await sim.TokenAsync();

        clock.Advance(TimeSpan.FromDays(30));
        using var afterVirtualMonth = await sim.ApiGetAsync(Search, token);
        wall.Advance(TimeSpan.FromSeconds(3600));
        using var afterWallHour = await sim.ApiGetAsync(Search, token);

        afterVirtualMonth.StatusCode.ShouldBe(HttpStatusCode.OK);
        afterWallHour.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await TestSimulator.ReadJsonAsync(afterWallHour))["error_description"]!.GetValue<string>().ShouldContain("expired");
    }

    [Fact]
    public async Task A_token_survives_a_reset_while_its_client_is_in_the_start_up_seed()
    {
        await using var sim = await TestSimulator.StartAsync();
        var token = await sim.TokenAsync();

        (await sim.Http.PostAsync("/_sim/reset", null, Ct)).EnsureSuccessStatusCode();
        using var response = await sim.ApiGetAsync(Search, token);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task The_bearer_scheme_name_is_case_insensitive()
    {
        await using var sim = await TestSimulator.StartAsync();
        var token = await sim.TokenAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, Search);
        request.Headers.TryAddWithoutValidation("Authorization", "bearer " + token);

        using var response = await sim.Http.SendAsync(request, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
