using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Server.Tests.Support;
using static CssmSim.Server.Tests.Licenses.LicensesClient;

namespace CssmSim.Server.Tests.Licenses;

/// <summary><c>POST v1/accounts/{domain}/licenses</c>: exact shape, JSON types, paging and the Virtual Account filter.</summary>
public sealed class LicensesListTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string[] RowKeys =
    [
        "license", "virtualAccount", "quantity", "inUse", "available", "status", "billingType", "pendingQuantity", "reserved",
        "isPortable", "ahaApps", "licenseSubstitutions", "licenseDetails", "alerts",
    ];

    [Fact]
    public async Task The_default_pool_is_listed_in_the_exact_shape_with_json_numbers_and_booleans()
    {
        await using var sim = await TestSimulator.StartAsync();

        var body = await sim.ListAsync("""{"virtualAccounts":["DEFAULT"],"limit":100,"offset":0}""");

        body.ShouldHaveExactKeys("totalRecords", "status", "statusMessage", "licenses");
        body["status"]!.GetValue<string>().ShouldBe("SUCCESS");
        body["statusMessage"]!.GetValue<string>().ShouldBe("");
        body["totalRecords"].Kind().ShouldBe(JsonValueKind.Number);
        body["totalRecords"]!.GetValue<int>().ShouldBe(4);
        var rows = body["licenses"]!.AsArray().Select(r => r!.AsObject()).ToList();
        rows.Count.ShouldBe(4);
        foreach (var row in rows)
        {
            row.ShouldHaveExactKeys(RowKeys);
            foreach (var number in new[] { "quantity", "inUse", "available", "pendingQuantity", "reserved" }) row[number].Kind().ShouldBe(JsonValueKind.Number);
            row["isPortable"].Kind().ShouldBe(JsonValueKind.False);
            row["ahaApps"].Kind().ShouldBe(JsonValueKind.False);
            row["licenseSubstitutions"]!.AsArray().Count.ShouldBe(0);
            row["virtualAccount"]!.GetValue<string>().ShouldBe("DEFAULT");
            row["status"]!.GetValue<string>().ShouldBe("In Compliance");
            row["billingType"]!.GetValue<string>().ShouldBe("PREPAID");
            var detail = row["licenseDetails"]!.AsArray().Single()!.AsObject();
            detail.ShouldHaveExactKeys("licenseType", "quantity", "startDate", "endDate", "subscriptionId", "status");
            detail["status"]!.GetValue<string>().ShouldBe("ACTIVE");
            detail["subscriptionId"].Kind().ShouldBe(JsonValueKind.Null);
        }
        var nw = rows.Single(r => r["license"]!.GetValue<string>() == NwStackName);
        nw["quantity"]!.GetValue<long>().ShouldBe(100);
        nw["inUse"]!.GetValue<long>().ShouldBe(0);
        nw["available"]!.GetValue<long>().ShouldBe(100);
        nw["reserved"]!.GetValue<long>().ShouldBe(0);
        nw["pendingQuantity"]!.GetValue<long>().ShouldBe(0);
        var perpetual = nw["licenseDetails"]![0]!;
        perpetual["licenseType"]!.GetValue<string>().ShouldBe("PERPETUAL");
        perpetual["startDate"].Kind().ShouldBe(JsonValueKind.Null);
        perpetual["endDate"].Kind().ShouldBe(JsonValueKind.Null);
        var term = rows.Single(r => r["license"]!.GetValue<string>() == AirDnaName)["licenseDetails"]![0]!;
        term["licenseType"]!.GetValue<string>().ShouldBe("TERM");
        term["startDate"]!.GetValue<string>().ShouldMatch(@"^\d{4}-\d{2}-\d{2}$");
        term["endDate"]!.GetValue<string>().ShouldMatch(@"^\d{4}-\d{2}-\d{2}$");
        string.CompareOrdinal(term["endDate"]!.GetValue<string>(), term["startDate"]!.GetValue<string>()).ShouldBePositive();
    }

    [Fact]
    public async Task The_license_field_is_the_display_name_and_the_response_is_application_json()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.PostAsync(ListPath, "{}");

        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        var names = (await TestSimulator.ReadJsonAsync(response))["licenses"]!.AsArray().Select(r => r!["license"]!.GetValue<string>());
        names.ShouldBe([NwStackName, AirDnaName, HsecName, "Simulated enforced license (demo)"], ignoreOrder: true);
    }

    [Fact]
    public async Task Paging_returns_a_slice_while_totalRecords_counts_every_row()
    {
        await using var sim = await TestSimulator.StartAsync();
        var all = (await sim.ListAsync())["licenses"]!.AsArray().Select(r => r!["license"]!.GetValue<string>()).ToList();

        var page = await sim.ListAsync("""{"limit":2,"offset":1}""");
        var beyond = await sim.ListAsync("""{"limit":2,"offset":10}""");

        page["totalRecords"]!.GetValue<int>().ShouldBe(4);
        page["licenses"]!.AsArray().Select(r => r!["license"]!.GetValue<string>()).ShouldBe(all.Skip(1).Take(2));
        beyond["totalRecords"]!.GetValue<int>().ShouldBe(4);
        beyond["licenses"]!.AsArray().Count.ShouldBe(0);
    }

    [Fact]
    public async Task The_virtual_account_filter_selects_rows_and_an_absent_or_empty_filter_means_every_virtual_account()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.MergeSeedAsync($$"""
            accounts:
            - domain: example.com
              virtualAccounts:
              - name: Lab
                licenses:
                - {tag: "{{NwStack}}", displayName: "{{NwStackName}}", enforcement: unenforced, type: PERPETUAL, quantity: 7}
            """);

        var lab = await sim.ListAsync("""{"virtualAccounts":["Lab"]}""");
        var all = await sim.ListAsync("""{"virtualAccounts":[]}""");
        var absent = await sim.ListAsync("{}");

        lab["totalRecords"]!.GetValue<int>().ShouldBe(1);
        var row = lab["licenses"]![0]!;
        row["virtualAccount"]!.GetValue<string>().ShouldBe("Lab");
        row["quantity"]!.GetValue<long>().ShouldBe(7);
        all["totalRecords"]!.GetValue<int>().ShouldBe(5);
        absent["totalRecords"]!.GetValue<int>().ShouldBe(5);
        all["licenses"]!.AsArray().Select(r => r!["virtualAccount"]!.GetValue<string>()).Distinct().ShouldBe(["DEFAULT", "Lab"], ignoreOrder: true);
    }

    [Fact]
    public async Task An_unknown_virtual_account_in_the_filter_is_404_in_the_v1_error_shape()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.PostAsync(ListPath, """{"virtualAccounts":["Nope"]}""");

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var body = await TestSimulator.ReadJsonAsync(response);
        body.ShouldHaveExactKeys("status", "statusMessage");
        body["status"]!.GetValue<string>().ShouldBe("ERROR");
        body["statusMessage"]!.GetValue<string>().ShouldContain("Nope");
    }

    [Fact]
    public async Task An_unknown_account_is_404_and_an_account_the_client_may_not_see_is_403()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.MergeSeedAsync("""
            apiClients: [{clientId: acme-only, clientSecret: s, accounts: [acme.test]}]
            accounts: [{domain: acme.test, virtualAccounts: [DEFAULT]}]
            """);
        var limited = await sim.TokenAsync("acme-only", "s");

        using var unknown = await sim.PostAsync(TestSimulator.ApiPrefix + "/v1/accounts/nope.example/licenses", "{}");
        using var forbidden = await sim.PostAsync(ListPath, "{}", limited);

        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        forbidden.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await TestSimulator.ReadJsonAsync(forbidden))["status"]!.GetValue<string>().ShouldBe("ERROR");
    }

    [Fact]
    public async Task Bad_bodies_get_the_v1_error_shape_with_the_http_layer_codes()
    {
        await using var sim = await TestSimulator.StartAsync();
        var token = await sim.TokenAsync();

        using var notJson = await sim.PostAsync(ListPath, "{not json", token);
        using var badLimit = await sim.PostAsync(ListPath, """{"limit":"ten"}""", token);
        using var request = new HttpRequestMessage(HttpMethod.Post, ListPath) { Content = new StringContent("<x/>", Encoding.UTF8, "application/xml") };
        request.Headers.Authorization = new("Bearer", token);
        using var wrongType = await sim.Http.SendAsync(request, Ct);

        notJson.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        badLimit.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        wrongType.StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);
        foreach (var r in new[] { notJson, badLimit, wrongType })
            (await TestSimulator.ReadJsonAsync(r)).ShouldHaveExactKeys("status", "statusMessage");
    }

    [Fact]
    public async Task A_request_without_a_bearer_token_is_401()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.Http.PostAsync(ListPath, new StringContent("{}", Encoding.UTF8, "application/json"), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await TestSimulator.ReadJsonAsync(response))["error"]!.GetValue<string>().ShouldBe("invalid_token");
    }

    [Fact]
    public async Task Use_beyond_the_pool_makes_available_negative_and_the_row_out_of_compliance()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = await sim.TrustedDeviceAsync("OVERUSE-1");

        await device.ReportAsync(DateTimeOffset.UtcNow, (NwStack, 130));
        var row = await sim.RowAsync(NwStackName);

        row["inUse"]!.GetValue<long>().ShouldBe(130);
        row["available"]!.GetValue<long>().ShouldBe(-30);
        row["status"]!.GetValue<string>().ShouldBe("Out of Compliance");
    }

    [Fact]
    public async Task Use_of_a_tag_the_virtual_account_holds_none_of_is_listed_with_quantity_zero()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = await sim.TrustedDeviceAsync("LAB-1", va: "Lab");

        await device.ReportAsync(DateTimeOffset.UtcNow, (NwStack, 3));
        var row = await sim.RowAsync(NwStackName, va: "Lab");

        row.ShouldHaveExactKeys(RowKeys);
        row["quantity"]!.GetValue<long>().ShouldBe(0);
        row["inUse"]!.GetValue<long>().ShouldBe(3);
        row["available"]!.GetValue<long>().ShouldBe(-3);
        row["status"]!.GetValue<string>().ShouldBe("Out of Compliance");
        row["licenseDetails"]!.AsArray().Count.ShouldBe(0);
    }

    [Fact]
    public async Task The_control_api_lists_the_pool_with_its_accounting_without_oauth()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = await sim.TrustedDeviceAsync("CTRL-1");
        await device.ReportAsync(DateTimeOffset.UtcNow, (AirDna, 12));

        using var response = await sim.Http.GetAsync("/_sim/accounts/example.com/virtual-accounts/DEFAULT/licenses", Ct);
        using var missing = await sim.Http.GetAsync("/_sim/accounts/example.com/virtual-accounts/Nope/licenses", Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var licenses = (await TestSimulator.ReadJsonAsync(response))["licenses"]!.AsArray().Select(l => l!.AsObject()).ToList();
        licenses.Count.ShouldBe(4);
        var air = licenses.Single(l => l["tag"]!.GetValue<string>() == AirDna);
        air.ShouldHaveExactKeys("tag", "displayName", "type", "enforcement", "purchased", "inUse", "reserved", "pending", "available", "startDate", "endDate", "status", "expired", "alerts");
        air["displayName"]!.GetValue<string>().ShouldBe(AirDnaName);
        air["type"]!.GetValue<string>().ShouldBe("TERM");
        air["enforcement"]!.GetValue<string>().ShouldBe("unenforced");
        air["purchased"]!.GetValue<long>().ShouldBe(100);
        air["inUse"]!.GetValue<long>().ShouldBe(12);
        air["reserved"]!.GetValue<long>().ShouldBe(0);
        air["available"]!.GetValue<long>().ShouldBe(88);
        licenses.Single(l => l["tag"]!.GetValue<string>() == Hsec)["enforcement"]!.GetValue<string>().ShouldBe("export-controlled");
        missing.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        missing.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    [Fact]
    public async Task Listing_is_journaled_as_licenses_list()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.ListAsync("""{"virtualAccounts":["DEFAULT"]}""");

        var journal = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/journal?operation=licenses.list", Ct));

        var entry = journal["entries"]!.AsArray().Single()!;
        entry["smartAccount"]!.GetValue<string>().ShouldBe("example.com");
        entry["outcome"]!.GetValue<string>().ShouldBe("SUCCESS");
        JsonNode.Parse(entry["responseBody"]!.GetValue<string>())!["totalRecords"]!.GetValue<int>().ShouldBe(4);
    }
}
