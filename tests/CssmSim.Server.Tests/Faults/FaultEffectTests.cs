using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.Faults;

/// <summary>Each effect type against a real HTTP request (issue acceptance), on the OAuth and account APIs.</summary>
public sealed class FaultEffectTests
{
    private const string TokenUrl = "/as/token.oauth2?grant_type=client_credentials&client_id=cssmsim&client_secret=cssmsim";
    private const string Search = TestSimulator.ApiPrefix + "/v2/accounts/search";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<JsonObject> AddRuleAsync(TestSimulator sim, string json)
    {
        using var response = await sim.Http.PostAsync("/_sim/faults", new StringContent(json, Encoding.UTF8, "application/json"), Ct);
        var body = await TestSimulator.ReadJsonAsync(response);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, body.ToJsonString());
        return body;
    }

    [Fact]
    public async Task A_reset_connection_surfaces_as_an_http_request_exception()
    {
        await using var sim = await TestSimulator.StartAsync();
        await AddRuleAsync(sim, """{"match":{"surface":"oauth"},"effect":{"drop":"reset"}}""");

        var e = await Should.ThrowAsync<HttpRequestException>(() => sim.Http.PostAsync(TokenUrl, null, Ct));

        e.ShouldNotBeNull();
    }

    [Fact]
    public async Task A_hang_times_the_client_out_and_the_next_request_is_served()
    {
        await using var sim = await TestSimulator.StartAsync();
        await AddRuleAsync(sim, """{"match":{"surface":"oauth"},"when":{"times":1},"effect":{"drop":"hang"}}""");
        using var client = new HttpClient { BaseAddress = sim.Server.BaseAddress, Timeout = TimeSpan.FromMilliseconds(500) };

        await Should.ThrowAsync<TaskCanceledException>(() => client.PostAsync(TokenUrl, null, Ct));
        using var after = await sim.Http.PostAsync(TokenUrl, null, Ct);

        after.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Truncate_yields_a_body_that_does_not_parse()
    {
        await using var sim = await TestSimulator.StartAsync();
        await AddRuleAsync(sim, """{"match":{"surface":"oauth"},"effect":{"drop":"truncate","phase":"after"}}""");

        using var response = await sim.Http.PostAsync(TokenUrl, null, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        text.ShouldStartWith("{\"access_token\":");
        Should.Throw<JsonException>(() => JsonDocument.Parse(text));
    }

    [Fact]
    public async Task Empty_answers_with_no_body()
    {
        await using var sim = await TestSimulator.StartAsync();
        await AddRuleAsync(sim, """{"match":{"surface":"cssm-api"},"effect":{"drop":"empty"}}""");

        using var response = await sim.ApiGetAsync(Search);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsByteArrayAsync(Ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_429_quota_carries_retry_after()
    {
        await using var sim = await TestSimulator.StartAsync();
        await AddRuleAsync(sim, """{"match":{"surface":"cssm-api","operation":"accounts.search"},"effect":{"status":429,"retryAfter":7}}""");

        using var response = await sim.ApiGetAsync(Search);

        response.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        response.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(7));
        var body = await TestSimulator.ReadJsonAsync(response);
        body["status"]!.GetValue<string>().ShouldBe("FAILED", "v2 search family shape");
    }

    [Fact]
    public async Task A_503_without_retry_after_sends_one_second_and_a_custom_body_is_sent_verbatim()
    {
        await using var sim = await TestSimulator.StartAsync();
        await AddRuleAsync(sim, """{"match":{"surface":"oauth"},"effect":{"status":503,"body":{"down":"for maintenance"}}}""");

        using var response = await sim.Http.PostAsync(TokenUrl, null, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(1));
        (await response.Content.ReadAsStringAsync(Ct)).ShouldBe("""{"down":"for maintenance"}""");
    }

    [Theory]
    [InlineData(TestSimulator.ApiPrefix + "/v2/accounts/search", "cssm-api", """{"status":"FAILED","message_code":"LS_LICENGINE_FAIL_TO_CONNECT","message":"Server error occurred: LS_LICENGINE_FAIL_TO_CONNECT"}""")]
    [InlineData(TestSimulator.ApiPrefix + "/v2/accounts", "cssm-api", """{"status":"ERROR","statusMessage":"Server error occurred: LS_LICENGINE_FAIL_TO_CONNECT"}""")]
    public async Task An_error_code_is_rendered_in_the_family_shape_with_503(string path, string surface, string expected)
    {
        await using var sim = await TestSimulator.StartAsync();
        var token = await sim.TokenAsync();
        await AddRuleAsync(sim, $$$"""{"match":{"surface":"{{{surface}}}"},"effect":{"error":"LS_LICENGINE_FAIL_TO_CONNECT"}}""");

        using var response = await sim.ApiGetAsync(path, token);

        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        (await response.Content.ReadAsStringAsync(Ct)).ShouldBe(expected);
    }

    [Fact]
    public async Task An_oauth_error_code_is_temporarily_unavailable()
    {
        await using var sim = await TestSimulator.StartAsync();
        await AddRuleAsync(sim, """{"match":{"surface":"oauth"},"effect":{"error":"SSO_DOWN"}}""");

        using var response = await sim.Http.PostAsync(TokenUrl, null, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        (await response.Content.ReadAsStringAsync(Ct)).ShouldBe("""{"error":"temporarily_unavailable","error_description":"SSO_DOWN"}""");
    }

    [Fact]
    public async Task Latency_is_spent_before_the_request_is_answered()
    {
        await using var sim = await TestSimulator.StartAsync();
        await AddRuleAsync(sim, """{"match":{"surface":"oauth"},"effect":{"latencyMs":300}}""");
        var started = System.Diagnostics.Stopwatch.StartNew();

        using var response = await sim.Http.PostAsync(TokenUrl, null, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        started.ElapsedMilliseconds.ShouldBeGreaterThanOrEqualTo(290);
    }

    [Fact]
    public async Task Phase_after_processes_the_request_then_loses_the_reply()
    {
        await using var sim = await TestSimulator.StartAsync();
        await AddRuleAsync(sim, """{"match":{"surface":"oauth"},"when":{"times":1},"effect":{"status":502,"phase":"after"}}""");

        using var lost = await sim.Http.PostAsync(TokenUrl, null, Ct);
        using var journal = await sim.Http.GetAsync("/_sim/journal?surface=oauth", Ct);

        lost.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        var entry = (await TestSimulator.ReadJsonAsync(journal))["entries"]![0]!;
        entry["httpStatus"]!.GetValue<int>().ShouldBe(502);
        entry["fault"]!["id"]!.GetValue<string>().ShouldStartWith("rule-");
    }

    [Fact]
    public async Task Nth_fires_on_the_listed_candidates_only_and_counters_show_it()
    {
        await using var sim = await TestSimulator.StartAsync();
        var rule = await AddRuleAsync(sim, """{"name":"second and fourth","match":{"surface":"oauth","operation":"token"},"when":{"nth":[2,4]},"effect":{"status":503}}""");
        var statuses = new List<int>();

        for (var i = 0; i < 5; i++)
        {
            using var r = await sim.Http.PostAsync(TokenUrl, null, Ct);
            statuses.Add((int)r.StatusCode);
        }
        var listed = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/faults/" + rule["id"]!.GetValue<string>(), Ct));

        statuses.ShouldBe([200, 503, 200, 503, 200]);
        listed["candidates"]!.GetValue<long>().ShouldBe(5);
        listed["applied"]!.GetValue<long>().ShouldBe(2);
    }

    [Fact]
    public async Task Times_caps_the_effect_and_marks_the_rule_exhausted()
    {
        await using var sim = await TestSimulator.StartAsync();
        var rule = await AddRuleAsync(sim, """{"match":{"surface":"oauth"},"when":{"times":2},"effect":{"status":503}}""");
        var statuses = new List<int>();

        for (var i = 0; i < 4; i++)
        {
            using var r = await sim.Http.PostAsync(TokenUrl, null, Ct);
            statuses.Add((int)r.StatusCode);
        }
        var listed = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/faults/" + rule["id"]!.GetValue<string>(), Ct));

        statuses.ShouldBe([503, 503, 200, 200]);
        listed["exhausted"]!.GetValue<bool>().ShouldBeTrue();
    }

    [Fact]
    public async Task Every_and_after_select_candidates_by_number()
    {
        await using var sim = await TestSimulator.StartAsync();
        await AddRuleAsync(sim, """{"match":{"surface":"oauth"},"when":{"every":2,"after":3},"effect":{"status":503}}""");
        var failing = new List<int>();

        for (var i = 1; i <= 8; i++)
        {
            using var r = await sim.Http.PostAsync(TokenUrl, null, Ct);
            if (r.StatusCode == HttpStatusCode.ServiceUnavailable) failing.Add(i);
        }

        failing.ShouldBe([4, 6, 8]);
    }

    [Fact]
    public async Task The_first_matching_rule_fires_and_later_ones_still_count_the_candidate()
    {
        await using var sim = await TestSimulator.StartAsync();
        await AddRuleAsync(sim, """{"id":"first","match":{"surface":"oauth"},"effect":{"status":503}}""");
        await AddRuleAsync(sim, """{"id":"second","match":{"surface":"*"},"effect":{"status":500}}""");

        using var response = await sim.Http.PostAsync(TokenUrl, null, Ct);
        var second = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/faults/second", Ct));

        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        second["candidates"]!.GetValue<long>().ShouldBe(1);
        second["applied"]!.GetValue<long>().ShouldBe(0);
    }

    [Fact]
    public async Task An_explicit_order_runs_a_later_rule_first()
    {
        await using var sim = await TestSimulator.StartAsync();
        await AddRuleAsync(sim, """{"id":"a","match":{"surface":"oauth"},"effect":{"status":503}}""");
        await AddRuleAsync(sim, """{"id":"b","order":-1,"match":{"surface":"oauth"},"effect":{"status":500}}""");

        using var response = await sim.Http.PostAsync(TokenUrl, null, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
    }

    [Fact]
    public async Task Match_on_account_and_path_glob_narrows_the_rule()
    {
        await using var sim = await TestSimulator.StartAsync();
        var token = await sim.TokenAsync();
        await sim.MergeSeedAsync("accounts: [{domain: other.test, virtualAccounts: [DEFAULT]}]");
        await AddRuleAsync(sim, """{"match":{"smartAccount":"EXAMPLE.COM","path":"/services/api/**/customer/*"},"effect":{"status":503}}""");

        using var hit = await sim.ApiGetAsync(TestSimulator.ApiPrefix + "/v1/accounts/example.com/customer/virtual-accounts", token);
        using var otherAccount = await sim.ApiGetAsync(TestSimulator.ApiPrefix + "/v1/accounts/other.test/customer/virtual-accounts", token);
        using var otherPath = await sim.ApiGetAsync(Search, token);

        hit.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        otherAccount.StatusCode.ShouldBe(HttpStatusCode.OK);
        otherPath.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task The_wildcard_surface_spares_the_control_api_and_fault_routes_are_never_affected()
    {
        await using var sim = await TestSimulator.StartAsync();
        await AddRuleAsync(sim, """{"match":{"surface":"*"},"effect":{"status":503}}""");
        await AddRuleAsync(sim, """{"match":{"surface":"control"},"effect":{"status":503}}""");

        using var journal = await sim.Http.GetAsync("/_sim/journal", Ct);
        using var faults = await sim.Http.GetAsync("/_sim/faults", Ct);
        using var health = await sim.Http.GetAsync("/_sim/health", Ct);
        using var delete = await sim.Http.DeleteAsync("/_sim/faults", Ct);
        using var after = await sim.Http.GetAsync("/_sim/journal", Ct);

        journal.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable, "an explicit control rule applies to control routes");
        faults.StatusCode.ShouldBe(HttpStatusCode.OK);
        health.StatusCode.ShouldBe(HttpStatusCode.OK);
        delete.StatusCode.ShouldBe(HttpStatusCode.OK);
        after.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_disabled_rule_does_not_fire_and_can_be_enabled_by_patch()
    {
        await using var sim = await TestSimulator.StartAsync();
        await AddRuleAsync(sim, """{"id":"off","enabled":false,"match":{"surface":"oauth"},"effect":{"status":503}}""");

        using var before = await sim.Http.PostAsync(TokenUrl, null, Ct);
        using var patch = await sim.Http.PatchAsync("/_sim/faults/off", new StringContent("""{"enabled":true}""", Encoding.UTF8, "application/merge-patch+json"), Ct);
        using var after = await sim.Http.PostAsync(TokenUrl, null, Ct);

        before.StatusCode.ShouldBe(HttpStatusCode.OK);
        patch.StatusCode.ShouldBe(HttpStatusCode.OK, await patch.Content.ReadAsStringAsync(Ct));
        after.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
    }
}
