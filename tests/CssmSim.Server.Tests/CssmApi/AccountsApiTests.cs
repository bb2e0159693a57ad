using System.Net;
using System.Text.Json;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.CssmApi;

public sealed class AccountsApiTests
{
    private const string P = TestSimulator.ApiPrefix;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string TwoAccounts = """
        apiClients: [{clientId: acme-only, clientSecret: s, accounts: [acme.test]}]
        accounts:
        - domain: acme.test
          name: Acme
          accountId: "100001"
          virtualAccounts: [{name: DEFAULT, id: "200001", description: "main"}, {name: "AT&T lab", id: "200002"}, "R+D"]
        """;

    [Fact]
    public async Task V2_search_returns_the_seeded_account_in_the_exact_shape()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.ApiGetAsync(P + "/v2/accounts/search");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        var body = await TestSimulator.ReadJsonAsync(response);
        body.ShouldHaveExactKeys("status", "message_code", "message", "accounts");
        body["status"]!.GetValue<string>().ShouldBe("COMPLETE");
        body["message_code"]!.GetValue<string>().ShouldBe("");
        body["message"]!.GetValue<string>().ShouldBe("");
        var account = body["accounts"]!.AsArray().Single()!.AsObject();
        account.ShouldHaveExactKeys("account_id", "domain", "name", "virtual_accounts");
        account["account_id"].Kind().ShouldBe(JsonValueKind.String);
        account["account_id"]!.GetValue<string>().ShouldBe("123456");
        account["domain"]!.GetValue<string>().ShouldBe("example.com");
        account["name"]!.GetValue<string>().ShouldBe("Example Co");
        var vas = account["virtual_accounts"]!.AsArray().Select(v => v!.AsObject()).ToList();
        vas.Count.ShouldBe(2);
        vas[0].ShouldHaveExactKeys("default", "name", "virtual_account_id");
        vas[0]["default"].Kind().ShouldBe(JsonValueKind.True);
        vas[0]["name"]!.GetValue<string>().ShouldBe("DEFAULT");
        vas[0]["virtual_account_id"]!.GetValue<string>().ShouldBe("234567");
        vas[1]["default"].Kind().ShouldBe(JsonValueKind.False);
        vas[1]["name"]!.GetValue<string>().ShouldBe("Lab");
        vas[1]["virtual_account_id"]!.GetValue<string>().ShouldBe("234568");
    }

    [Fact]
    public async Task V2_accounts_lists_accounts_with_display_role_names()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.ApiGetAsync(P + "/v2/accounts");

        var body = await TestSimulator.ReadJsonAsync(response);
        body.ShouldHaveExactKeys("status", "statusMessage", "accounts");
        body["status"]!.GetValue<string>().ShouldBe("SUCCESS");
        var account = body["accounts"]!.AsArray().Single()!.AsObject();
        account.ShouldHaveExactKeys("accountStatus", "accountDomain", "accountName", "accountType", "roles");
        account["accountStatus"]!.GetValue<string>().ShouldBe("Active");
        account["accountType"]!.GetValue<string>().ShouldBe("CUSTOMER");
        account["roles"]![0]!["role"]!.GetValue<string>().ShouldBe("Smart Account Administrator");
    }

    [Fact]
    public async Task V1_search_gives_numeric_ids_and_counts_all_matches()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.MergeSeedAsync(TwoAccounts);

        using var response = await sim.ApiGetAsync(P + "/v1/accounts/search?domain=.test&type=CUSTOMER&limit=10&offset=0");

        var body = await TestSimulator.ReadJsonAsync(response);
        body.ShouldHaveExactKeys("totalRecords", "accounts", "statusMessage", "status");
        body["totalRecords"].Kind().ShouldBe(JsonValueKind.Number);
        body["totalRecords"]!.GetValue<int>().ShouldBe(1);
        var account = body["accounts"]![0]!.AsObject();
        account.ShouldHaveExactKeys("domain", "name", "id", "type", "status");
        account["id"].Kind().ShouldBe(JsonValueKind.Number);
        account["id"]!.GetValue<long>().ShouldBe(100001);
        account["type"]!.GetValue<string>().ShouldBe("CUSTOMER");
        account["status"]!.GetValue<string>().ShouldBe("Active");
    }

    [Fact]
    public async Task V1_search_pages_with_limit_and_offset_while_total_records_counts_every_match()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.MergeSeedAsync(TwoAccounts);

        using var response = await sim.ApiGetAsync(P + "/v1/accounts/search?limit=1&offset=1");

        var body = await TestSimulator.ReadJsonAsync(response);
        body["totalRecords"]!.GetValue<int>().ShouldBe(2);
        body["accounts"]!.AsArray().Single()!["domain"]!.GetValue<string>().ShouldBe("example.com");
    }

    [Theory]
    [InlineData("limit=abc")]
    [InlineData("limit=0")]
    [InlineData("offset=-1")]
    public async Task V1_search_refuses_bad_paging_in_the_v1_shape(string query)
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.ApiGetAsync(P + "/v1/accounts/search?" + query);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var body = await TestSimulator.ReadJsonAsync(response);
        body.ShouldHaveExactKeys("status", "statusMessage");
        body["status"]!.GetValue<string>().ShouldBe("ERROR");
    }

    [Fact]
    public async Task V1_virtual_accounts_report_is_default_as_a_string()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.MergeSeedAsync(TwoAccounts);

        using var response = await sim.ApiGetAsync(P + "/v1/accounts/acme.test/customer/virtual-accounts");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await TestSimulator.ReadJsonAsync(response);
        body.ShouldHaveExactKeys("virtualAccounts", "statusMessage", "status");
        var vas = body["virtualAccounts"]!.AsArray().Select(v => v!.AsObject()).ToList();
        vas.Select(v => v["name"]!.GetValue<string>()).ShouldBe(["AT&T lab", "DEFAULT", "R+D"]);
        vas[1].ShouldHaveExactKeys("isDefault", "name", "description", "commerceAccessLevel");
        vas[1]["isDefault"].Kind().ShouldBe(JsonValueKind.String);
        vas[1]["isDefault"]!.GetValue<string>().ShouldBe("true");
        vas[0]["isDefault"]!.GetValue<string>().ShouldBe("false");
        vas[1]["description"]!.GetValue<string>().ShouldBe("main");
        vas[1]["commerceAccessLevel"]!.GetValue<string>().ShouldBe("FULL");
    }

    [Fact]
    public async Task An_unknown_account_is_404_in_the_v1_shape()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.ApiGetAsync(P + "/v1/accounts/nowhere.test/customer/virtual-accounts");

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var body = await TestSimulator.ReadJsonAsync(response);
        body.ShouldHaveExactKeys("status", "statusMessage");
        body["statusMessage"]!.GetValue<string>().ShouldContain("nowhere.test");
    }

    [Fact]
    public async Task A_client_limited_to_some_accounts_sees_only_those_and_gets_403_for_others()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.MergeSeedAsync(TwoAccounts);
        var token = await sim.TokenAsync("acme-only", "s");

        using var search = await sim.ApiGetAsync(P + "/v2/accounts/search", token);
        using var other = await sim.ApiGetAsync(P + "/v1/accounts/example.com/customer/virtual-accounts", token);

        (await TestSimulator.ReadJsonAsync(search))["accounts"]!.AsArray().Select(a => a!["domain"]!.GetValue<string>()).ShouldBe(["acme.test"]);
        other.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await TestSimulator.ReadJsonAsync(other))["status"]!.GetValue<string>().ShouldBe("ERROR");
    }

    [Theory]
    [InlineData("/services/api/services/api/smart-accounts-and-licensing/v2/accounts/search")]
    [InlineData("/services/api/smart-accounts-and-licensing/v2/accounts/search/")]
    [InlineData("/services/api//smart-accounts-and-licensing///v2/accounts/search")]
    [InlineData("/SERVICES/API/smart-accounts-and-licensing/v2/accounts/search")]
    public async Task Paths_real_clients_send_are_routed_without_a_redirect(string path)
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.ApiGetAsync(path);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await TestSimulator.ReadJsonAsync(response))["status"]!.GetValue<string>().ShouldBe("COMPLETE");
    }

    [Fact]
    public async Task Domains_match_case_insensitively_and_percent_encoded_segments_are_decoded()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.ApiGetAsync(P + "/v1/accounts/EXAMPLE%2Ecom/customer/virtual-accounts");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task An_unknown_api_path_is_404_in_its_family_shape()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var v1 = await sim.Http.GetAsync(P + "/v1/no/such/thing", Ct);

        v1.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await TestSimulator.ReadJsonAsync(v1)).ShouldHaveExactKeys("status", "statusMessage");
    }
}
