using System.Net;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.Control;

public sealed class JournalTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Api_requests_are_journaled_with_surface_operation_and_bodies()
    {
        await using var sim = await TestSimulator.StartAsync();
        var token = await sim.TokenAsync();
        await sim.ApiGetAsync(TestSimulator.ApiPrefix + "/v1/accounts/example.com/customer/virtual-accounts", token);

        using var response = await sim.Http.GetAsync("/_sim/journal", Ct);

        var entries = (await TestSimulator.ReadJsonAsync(response))["entries"]!.AsArray();
        entries.Count.ShouldBe(2);
        var oauth = entries[0]!.AsObject();
        oauth.ShouldHaveExactKeys("id", "time", "surface", "operation", "method", "path", "smartAccount", "virtualAccount", "udi",
            "tokenId", "httpStatus", "outcome", "errorCode", "fault", "latencyMs", "requestId", "requestBody", "responseBody", "truncated");
        oauth["surface"]!.GetValue<string>().ShouldBe("oauth");
        oauth["operation"]!.GetValue<string>().ShouldBe("token");
        oauth["outcome"]!.GetValue<string>().ShouldBe("SUCCESS");
        oauth["responseBody"]!.GetValue<string>().ShouldContain("access_token");
        var api = entries[1]!;
        api["surface"]!.GetValue<string>().ShouldBe("cssm-api");
        api["operation"]!.GetValue<string>().ShouldBe("virtualAccounts.list");
        api["smartAccount"]!.GetValue<string>().ShouldBe("example.com");
        api["httpStatus"]!.GetValue<int>().ShouldBe(200);
        api["time"]!.GetValue<string>().ShouldMatch(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$");
    }

    [Fact]
    public async Task Failed_requests_are_journaled_with_their_error_code_and_control_requests_are_not()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.Http.PostAsync("/as/token.oauth2?grant_type=client_credentials&client_id=x&client_secret=y", null, Ct);
        await sim.Http.GetAsync("/_sim/health", Ct);

        using var response = await sim.Http.GetAsync("/_sim/journal", Ct);

        var entry = (await TestSimulator.ReadJsonAsync(response))["entries"]!.AsArray().Single()!;
        entry["httpStatus"]!.GetValue<int>().ShouldBe(401);
        entry["outcome"]!.GetValue<string>().ShouldBe("ERROR");
        entry["errorCode"]!.GetValue<string>().ShouldBe("invalid_client");
    }

    [Fact]
    public async Task The_journal_filters_and_pages_with_since_and_next()
    {
        await using var sim = await TestSimulator.StartAsync();
        for (var i = 0; i < 5; i++) await sim.TokenAsync();

        var first = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/journal?surface=oauth&limit=2", Ct));
        var next = first["next"]!.GetValue<long>();
        var second = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync($"/_sim/journal?surface=oauth&limit=10&since={next}", Ct));

        first["entries"]!.AsArray().Count.ShouldBe(2);
        second["entries"]!.AsArray().Count.ShouldBe(3);
        second["next"].ShouldBeNull();
    }

    [Fact]
    public async Task Waiting_for_a_count_returns_as_soon_as_it_is_reached()
    {
        await using var sim = await TestSimulator.StartAsync();
        var wait = sim.Http.GetAsync("/_sim/journal?operation=token&waitForCount=2&timeout=30", Ct);

        await sim.TokenAsync();
        await sim.TokenAsync();
        using var response = await wait;

        var body = await TestSimulator.ReadJsonAsync(response);
        body["entries"]!.AsArray().Count.ShouldBe(2);
        body.ContainsKey("timedOut").ShouldBeFalse();
    }

    [Fact]
    public async Task Waiting_past_the_timeout_says_timed_out()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.Http.GetAsync("/_sim/journal?operation=token&waitForCount=1&timeout=0", Ct);

        (await TestSimulator.ReadJsonAsync(response))["timedOut"]!.GetValue<bool>().ShouldBeTrue();
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("since=abc")]
    [InlineData("timeout=61&waitForCount=1")]
    public async Task Bad_journal_queries_are_400_problem_json_naming_the_parameter(string query)
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.Http.GetAsync("/_sim/journal?" + query, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await TestSimulator.ReadJsonAsync(response))["errors"]!.AsObject().Count.ShouldBe(1);
    }

    [Fact]
    public async Task Deleting_the_journal_empties_it()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.TokenAsync();

        using var delete = await sim.Http.DeleteAsync("/_sim/journal", Ct);
        using var response = await sim.Http.GetAsync("/_sim/journal", Ct);

        delete.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await TestSimulator.ReadJsonAsync(response))["entries"]!.AsArray().ShouldBeEmpty();
    }

    [Fact]
    public async Task The_ring_buffer_keeps_only_the_newest_entries()
    {
        await using var sim = await TestSimulator.StartAsync(o => o.JournalCapacity = 3);
        for (var i = 0; i < 5; i++) await sim.TokenAsync();

        using var response = await sim.Http.GetAsync("/_sim/journal", Ct);

        var ids = (await TestSimulator.ReadJsonAsync(response))["entries"]!.AsArray().Select(e => e!["id"]!.GetValue<long>());
        ids.ShouldBe([3L, 4L, 5L]);
    }
}
