using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.Faults;

public sealed class FaultRulesApiTests
{
    private const string TokenUrl = "/as/token.oauth2?grant_type=client_credentials&client_id=cssmsim&client_secret=cssmsim";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Theory]
    [InlineData("""{"match":{"surface":"oauth"},"effect":{"explode":true}}""", "effect.explode")]
    [InlineData("""{"match":{"surface":"oauth"},"when":{"probability":1.5},"effect":{"status":503}}""", "when.probability")]
    [InlineData("""{"match":{"surface":"mainframe"},"effect":{"status":503}}""", "match.surface")]
    [InlineData("""{"match":{"surface":"slp","operation":"TRUST_ESTABLISHMENT"},"effect":{"status":503}}""", "match.operation")]
    [InlineData("""{"match":{"surface":"oauth"}}""", "effect")]
    [InlineData("""{"match":{"surface":"oauth"},"effect":{"status":503,"drop":"reset"}}""", "effect")]
    [InlineData("""{"match":{"surface":"oauth"},"effect":{"drop":"vanish"}}""", "effect.drop")]
    [InlineData("""{"match":{"surface":"oauth"},"when":{"nth":[0]},"effect":{"status":503}}""", "when.nth[0]")]
    [InlineData("""{"match":{"surface":"oauth"},"effect":{"status":99}}""", "effect.status")]
    [InlineData("""{"match":{"surface":"oauth","path":"no-slash"},"effect":{"status":503}}""", "match.path")]
    [InlineData("""{"match":{"surface":"oauth"},"effect":{"ack":{"reportStatus":"LOST"}}}""", "effect.ack.reportStatus")]
    public async Task Invalid_rules_are_refused_with_400_naming_the_field(string rule, string field)
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.Http.PostAsync("/_sim/faults", Json(rule), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await TestSimulator.ReadJsonAsync(response))["errors"]!.AsObject().Select(e => e.Key).ShouldContain(field);
    }

    [Fact]
    public async Task The_built_in_bottleneck_rule_is_listed_with_its_defaults()
    {
        await using var sim = await TestSimulator.StartAsync();

        var rules = (await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/faults", Ct)))["rules"]!.AsArray();

        var builtin = rules.Single(r => r!["id"]!.GetValue<string>() == "token-max-uses-bottleneck")!.AsObject();
        builtin["builtin"]!.GetValue<bool>().ShouldBeTrue();
        builtin["enabled"]!.GetValue<bool>().ShouldBeTrue();
        builtin["match"]!.ToJsonString().ShouldBe("""{"surface":"smart-transport","operation":"TRUST_ESTABLISHMENT","tokenLimited":true}""");
        builtin["when"]!.ToJsonString().ShouldBe("""{"concurrentAbove":4,"holdMs":200}""");
        builtin["effect"]!.ToJsonString().ShouldBe("""{"error":"LS_LICENGINE_FAIL_TO_CONNECT"}""");
    }

    [Fact]
    public async Task Start_up_settings_shape_the_built_in_rule()
    {
        await using var sim = await TestSimulator.StartAsync(o => o.TokenBottleneck = new(false, 8, 50));

        var builtin = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/faults/token-max-uses-bottleneck", Ct));

        builtin["enabled"]!.GetValue<bool>().ShouldBeFalse();
        builtin["when"]!.ToJsonString().ShouldBe("""{"concurrentAbove":8,"holdMs":50}""");
    }

    [Fact]
    public async Task The_built_in_rule_is_patched_not_deleted_and_reset_restores_it()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var delete = await sim.Http.DeleteAsync("/_sim/faults/token-max-uses-bottleneck", Ct);
        using var patch = await sim.Http.PatchAsync("/_sim/faults/token-max-uses-bottleneck", Json("""{"enabled":false,"when":{"concurrentAbove":8}}"""), Ct);
        var patched = await TestSimulator.ReadJsonAsync(patch);
        await sim.Http.PostAsync("/_sim/reset", null, Ct);
        var restored = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/faults/token-max-uses-bottleneck", Ct));

        delete.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        patched["enabled"]!.GetValue<bool>().ShouldBeFalse();
        patched["when"]!.ToJsonString().ShouldBe("""{"concurrentAbove":8,"holdMs":200}""");
        restored["enabled"]!.GetValue<bool>().ShouldBeTrue();
        restored["when"]!["concurrentAbove"]!.GetValue<long>().ShouldBe(4);
    }

    [Fact]
    public async Task A_patch_that_breaks_the_rule_is_refused_and_changes_nothing()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.Http.PostAsync("/_sim/faults", Json("""{"id":"r","match":{"surface":"oauth"},"effect":{"status":503}}"""), Ct);

        using var patch = await sim.Http.PatchAsync("/_sim/faults/r", Json("""{"when":{"probability":-1}}"""), Ct);
        var rule = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/faults/r", Ct));

        patch.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        rule["when"]!.AsObject().Count.ShouldBe(0);
    }

    [Fact]
    public async Task Deleting_all_faults_removes_user_rules_only_and_reset_clears_them_too()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.Http.PostAsync("/_sim/faults", Json("""{"match":{"surface":"oauth"},"effect":{"status":503}}"""), Ct);
        await sim.Http.PostAsync("/_sim/faults", Json("""{"match":{"surface":"oauth"},"effect":{"status":500}}"""), Ct);

        await sim.Http.DeleteAsync("/_sim/faults", Ct);
        var afterDelete = (await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/faults", Ct)))["rules"]!.AsArray();
        await sim.Http.PostAsync("/_sim/faults", Json("""{"match":{"surface":"oauth"},"effect":{"status":503}}"""), Ct);
        await sim.Http.PostAsync("/_sim/reset", null, Ct);
        var afterReset = (await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/faults", Ct)))["rules"]!.AsArray();
        using var token = await sim.Http.PostAsync(TokenUrl, null, Ct);

        afterDelete.Select(r => r!["id"]!.GetValue<string>()).ShouldBe(["token-max-uses-bottleneck"]);
        afterReset.Select(r => r!["id"]!.GetValue<string>()).ShouldBe(["token-max-uses-bottleneck"]);
        token.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_duplicate_rule_id_is_a_conflict_and_an_unknown_id_is_404()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.Http.PostAsync("/_sim/faults", Json("""{"id":"x","match":{"surface":"oauth"},"effect":{"status":503}}"""), Ct);

        using var duplicate = await sim.Http.PostAsync("/_sim/faults", Json("""{"id":"x","match":{"surface":"oauth"},"effect":{"status":503}}"""), Ct);
        using var unknown = await sim.Http.PatchAsync("/_sim/faults/nope", Json("""{"enabled":false}"""), Ct);

        duplicate.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_operations_endpoint_lists_every_surface_and_its_operations()
    {
        await using var sim = await TestSimulator.StartAsync();

        var body = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/faults/operations", Ct));

        body["surfaces"]!.AsArray().Select(s => s!.GetValue<string>()).ShouldContain("smart-transport");
        body["operations"]!["smart-transport"]!.AsArray().Select(s => s!.GetValue<string>()).ShouldContain("TRUST_ESTABLISHMENT");
        body["operations"]!["cssm-api"]!.AsArray().Select(s => s!.GetValue<string>()).ShouldContain("accounts.search");
    }

    [Fact]
    public async Task A_seeded_probability_fails_the_same_calls_on_every_run_and_close_to_its_share()
    {
        await using var sim = await TestSimulator.StartAsync();

        async Task<List<int>> RunAsync()
        {
            await sim.Http.PostAsync("/_sim/reset", null, Ct);
            await sim.Http.PostAsync("/_sim/faults", Json("""{"match":{"surface":"oauth"},"when":{"probability":0.3,"seed":42},"effect":{"status":503}}"""), Ct);
            var failing = new List<int>();
            for (var i = 0; i < 1000; i++)
            {
                using var r = await sim.Http.PostAsync(TokenUrl, null, Ct);
                if (r.StatusCode == HttpStatusCode.ServiceUnavailable) failing.Add(i);
            }
            return failing;
        }

        var first = await RunAsync();
        var second = await RunAsync();

        second.ShouldBe(first);
        first.Count.ShouldBeInRange(250, 350);
    }

    [Fact]
    public async Task A_seed_document_adds_rules_and_patches_the_built_in_one()
    {
        await using var sim = await TestSimulator.StartAsync();

        await sim.MergeSeedAsync("""
            faults:
            - {id: token-max-uses-bottleneck, enabled: false}
            - {id: sso-down, match: {surface: oauth}, effect: {error: SSO_DOWN}}
            """);
        var rules = (await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/faults", Ct)))["rules"]!.AsArray();
        using var token = await sim.Http.PostAsync(TokenUrl, null, Ct);

        rules.Single(r => r!["id"]!.GetValue<string>() == "token-max-uses-bottleneck")!["enabled"]!.GetValue<bool>().ShouldBeFalse();
        token.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task A_seed_document_with_a_bad_fault_is_refused_whole()
    {
        await using var sim = await TestSimulator.StartAsync();
        var before = await sim.Http.GetByteArrayAsync("/_sim/snapshot", Ct);

        using var response = await sim.Http.PostAsync("/_sim/seed", new StringContent("""
            accounts: [{domain: half.test, virtualAccounts: [DEFAULT]}]
            faults: [{match: {surface: oauth}, when: {probability: 2}, effect: {status: 503}}]
            """, Encoding.UTF8, "application/yaml"), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await TestSimulator.ReadJsonAsync(response))["errors"]!.AsObject().Select(e => e.Key).ShouldBe(["faults[0].when.probability"]);
        (await sim.Http.GetByteArrayAsync("/_sim/snapshot", Ct)).ShouldBe(before);
    }

    [Fact]
    public async Task Start_up_seed_faults_come_back_after_a_reset()
    {
        var seed = """
            apiClients: [{clientId: cssmsim, clientSecret: cssmsim}]
            faults: [{id: always, match: {surface: cssm-api}, effect: {status: 503}}]
            accounts: [{domain: example.com, virtualAccounts: [DEFAULT]}]
            """;
        await using var sim = await TestSimulator.StartAsync(o => { o.Seed = Engine.Seeding.SeedReader.Parse(seed); o.SeedText = seed; });

        await sim.Http.DeleteAsync("/_sim/faults", Ct);
        await sim.Http.PostAsync("/_sim/reset", null, Ct);
        var rules = (await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/faults", Ct)))["rules"]!.AsArray();

        rules.Select(r => r!["id"]!.GetValue<string>()).ShouldBe(["always", "token-max-uses-bottleneck"]);
    }

    [Fact]
    public async Task Rules_are_exported_in_snapshots_without_counters_and_restored_on_import()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.Http.PostAsync("/_sim/faults", Json("""{"id":"kept","match":{"surface":"oauth"},"when":{"nth":[1]},"effect":{"status":503}}"""), Ct);
        await sim.Http.PostAsync(TokenUrl, null, Ct);
        var snapshot = await sim.Http.GetByteArrayAsync("/_sim/snapshot", Ct);

        await sim.Http.DeleteAsync("/_sim/faults", Ct);
        using var import = await sim.Http.PostAsync("/_sim/snapshot", new ByteArrayContent(snapshot) { Headers = { ContentType = new("application/json") } }, Ct);
        using var firstAfterImport = await sim.Http.PostAsync(TokenUrl, null, Ct);

        Encoding.UTF8.GetString(snapshot).ShouldNotContain("candidates");
        import.StatusCode.ShouldBe(HttpStatusCode.OK);
        firstAfterImport.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable, "counters restart, so nth 1 fires again");
    }
}
