using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Server.Tests.Support;
using static CssmSim.Server.Tests.Licenses.LicensesClient;

namespace CssmSim.Server.Tests.Licenses;

/// <summary><c>POST v3/licenses/summary</c> (and v2): exact shape, tag filter, and the X-CSW header errors in the v2-search family shape.</summary>
public sealed class LicenseSummaryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Body = """{"data":{"timestamp":1700000000000,"nonce":"abcdefghij12","tags":[]}}""";

    private static readonly string[] EntryKeys =
    [
        "tag", "compliance_status", "display_name", "enforced", "export_restricted", "entitled", "future_entitled", "inuse", "reserved",
        "prepaid_entitled", "prepaid_inuse", "prepaid_reserved", "license_details",
    ];

    [Fact]
    public async Task The_summary_of_the_default_pool_has_the_exact_shape_and_json_types()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = await sim.TrustedDeviceAsync("SUM-1");
        await device.ReportAsync(DateTimeOffset.UtcNow, (NwStack, 4));

        var body = await sim.SummaryAsync();

        body.ShouldHaveExactKeys("status", "message_code", "message", "timestamp", "nonce", "out_standing_reports", "summary");
        body["status"]!.GetValue<string>().ShouldBe("SUCCESS");
        body["message_code"].Kind().ShouldBe(JsonValueKind.Null);
        body["message"]!.GetValue<string>().ShouldBe("Retrieved summary for 4 licenses in the pool.");
        body["timestamp"].Kind().ShouldBe(JsonValueKind.Number);
        body["nonce"]!.GetValue<string>().ShouldBe("n0nce-123456");
        body["out_standing_reports"].Kind().ShouldBe(JsonValueKind.Number);
        body["out_standing_reports"]!.GetValue<int>().ShouldBe(0);
        var entries = body["summary"]!.AsArray().Select(e => e!.AsObject()).ToList();
        entries.Count.ShouldBe(4);
        foreach (var e in entries)
        {
            e.ShouldHaveExactKeys(EntryKeys);
            foreach (var n in new[] { "entitled", "future_entitled", "inuse", "reserved", "prepaid_entitled", "prepaid_inuse", "prepaid_reserved" })
                e[n].Kind().ShouldBe(JsonValueKind.Number);
            e["enforced"].Kind().ShouldBeOneOf(JsonValueKind.True, JsonValueKind.False);
            e["export_restricted"].Kind().ShouldBeOneOf(JsonValueKind.True, JsonValueKind.False);
            var detail = e["license_details"]!.AsArray().Single()!.AsObject();
            detail.ShouldHaveExactKeys("billing_type", "quantity", "postpaid_usage", "start_date", "end_date", "subscription_id", "status", "billing_model", "license_type");
            detail["quantity"].Kind().ShouldBe(JsonValueKind.Number);
            detail["postpaid_usage"].Kind().ShouldBe(JsonValueKind.Number);
            detail["billing_type"]!.GetValue<string>().ShouldBe("PREPAID");
            detail["status"]!.GetValue<string>().ShouldBe("ACTIVE");
        }
        var nw = entries.Single(e => e["tag"]!.GetValue<string>() == NwStack);
        nw["display_name"]!.GetValue<string>().ShouldBe(NwStackName);
        nw["compliance_status"]!.GetValue<string>().ShouldBe("In Compliance");
        nw["enforced"]!.GetValue<bool>().ShouldBeFalse();
        nw["export_restricted"]!.GetValue<bool>().ShouldBeFalse();
        nw["entitled"]!.GetValue<long>().ShouldBe(100);
        nw["future_entitled"]!.GetValue<long>().ShouldBe(0);
        nw["inuse"]!.GetValue<long>().ShouldBe(4);
        nw["prepaid_inuse"]!.GetValue<long>().ShouldBe(4);
        nw["reserved"]!.GetValue<long>().ShouldBe(0);
        nw["license_details"]![0]!["license_type"]!.GetValue<string>().ShouldBe("PERPETUAL");
        nw["license_details"]![0]!["start_date"].Kind().ShouldBe(JsonValueKind.Null);
        var hsec = entries.Single(e => e["tag"]!.GetValue<string>() == Hsec);
        hsec["enforced"]!.GetValue<bool>().ShouldBeTrue();
        hsec["export_restricted"]!.GetValue<bool>().ShouldBeTrue();
        var enforced = entries.Single(e => e["tag"]!.GetValue<string>() == EnforcedDemo);
        enforced["enforced"]!.GetValue<bool>().ShouldBeTrue();
        enforced["export_restricted"]!.GetValue<bool>().ShouldBeFalse();
        var term = entries.Single(e => e["tag"]!.GetValue<string>() == AirDna)["license_details"]![0]!;
        term["license_type"]!.GetValue<string>().ShouldBe("TERM");
        term["start_date"]!.GetValue<string>().ShouldMatch(@"^\d{4}-\d{2}-\d{2}$");
        term["end_date"]!.GetValue<string>().ShouldMatch(@"^\d{4}-\d{2}-\d{2}$");
    }

    [Fact]
    public async Task Tags_in_dot_or_comma_form_select_those_licenses()
    {
        await using var sim = await TestSimulator.StartAsync();

        var body = await sim.SummaryAsync($"""["{HsecDotForm}","{NwStack}"]""");

        body["summary"]!.AsArray().Select(e => e!["tag"]!.GetValue<string>()).ShouldBe([Hsec, NwStack], ignoreOrder: true);
        body["message"]!.GetValue<string>().ShouldBe("Retrieved summary for 2 licenses in the pool.");
    }

    [Fact]
    public async Task A_tag_the_pool_does_not_hold_selects_nothing()
    {
        await using var sim = await TestSimulator.StartAsync();

        var body = await sim.SummaryAsync("""["regid.2099-01.com.cisco.NOPE,1.0_00000000-0000-4000-8000-000000000099"]""");

        body["summary"]!.AsArray().Count.ShouldBe(0);
        body["message"]!.GetValue<string>().ShouldBe("Retrieved summary for 0 licenses in the pool.");
    }

    [Fact]
    public async Task The_v2_path_answers_the_same_summary()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.PostAsync(TestSimulator.ApiPrefix + "/v2/licenses/summary", Body, headers: SummaryHeaders());

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await TestSimulator.ReadJsonAsync(response))["summary"]!.AsArray().Count.ShouldBe(4);
    }

    [Fact]
    public async Task The_headers_select_the_virtual_account()
    {
        await using var sim = await TestSimulator.StartAsync();

        var lab = await sim.SummaryAsync(vaId: LabVaId);

        lab["summary"]!.AsArray().Count.ShouldBe(0);
    }

    public static TheoryData<string, string?, string?, int> HeaderErrors => new()
    {
        { "missing virtual account id", SmartAccountId, null, 400 },
        { "missing smart account id", null, DefaultVaId, 400 },
        { "not a decimal id", SmartAccountId, "DEFAULT", 400 },
        { "unknown virtual account", SmartAccountId, "999999", 404 },
        { "virtual account of another smart account", "999999", DefaultVaId, 404 },
    };

    [Theory]
    [MemberData(nameof(HeaderErrors))]
    public async Task Header_errors_answer_in_the_v2_search_family_shape(string because, string? saId, string? vaId, int status)
    {
        await using var sim = await TestSimulator.StartAsync();
        var headers = new Dictionary<string, string> { ["X-CSW-REQUESTING-SYSTEM"] = """{"display_name":"CSLU"}""" };
        if (saId is not null) headers["X-CSW-SMART-ACCOUNT-ID"] = saId;
        if (vaId is not null) headers["X-CSW-VIRTUAL-ACCOUNT-ID"] = vaId;

        using var response = await sim.PostAsync(SummaryPath, Body, headers: headers);

        ((int)response.StatusCode).ShouldBe(status, because);
        var body = await TestSimulator.ReadJsonAsync(response);
        body.ShouldHaveExactKeys("status", "message_code", "message");
        body["status"]!.GetValue<string>().ShouldBe("FAILED");
        body["message_code"]!.GetValue<string>().ShouldNotBeNullOrEmpty();
        body["message"]!.GetValue<string>().ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task A_virtual_account_the_client_may_not_see_is_403_in_the_v2_search_family_shape()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.MergeSeedAsync("""
            apiClients: [{clientId: acme-only, clientSecret: s, accounts: [acme.test]}]
            accounts: [{domain: acme.test, virtualAccounts: [DEFAULT]}]
            """);

        using var response = await sim.PostAsync(SummaryPath, Body, await sim.TokenAsync("acme-only", "s"), SummaryHeaders());

        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var body = await TestSimulator.ReadJsonAsync(response);
        body.ShouldHaveExactKeys("status", "message_code", "message");
        body["status"]!.GetValue<string>().ShouldBe("FAILED");
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[\"an\",\"array\"]")]
    public async Task A_requesting_system_header_that_is_not_a_json_object_is_400(string value)
    {
        await using var sim = await TestSimulator.StartAsync();
        var headers = SummaryHeaders();
        headers["X-CSW-REQUESTING-SYSTEM"] = value;

        using var response = await sim.PostAsync(SummaryPath, Body, headers: headers);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await TestSimulator.ReadJsonAsync(response))["status"]!.GetValue<string>().ShouldBe("FAILED");
    }

    [Fact]
    public async Task Any_json_object_is_accepted_as_the_requesting_system()
    {
        await using var sim = await TestSimulator.StartAsync();
        var headers = SummaryHeaders();
        headers["X-CSW-REQUESTING-SYSTEM"] = """ { "udi_pid" : "C9800-CL-K9", "udi_serial_number" : "X1" } """;

        using var response = await sim.PostAsync(SummaryPath, Body, headers: headers);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("""{"timestamp":1,"nonce":"x","tags":[]}""", 400)]
    [InlineData("""{"data":{"tags":"all"}}""", 400)]
    [InlineData("{broken", 400)]
    public async Task A_body_without_the_data_envelope_or_with_bad_tags_is_400_in_the_family_shape(string body, int status)
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.PostAsync(SummaryPath, body, headers: SummaryHeaders());

        ((int)response.StatusCode).ShouldBe(status);
        var json = await TestSimulator.ReadJsonAsync(response);
        json.ShouldHaveExactKeys("status", "message_code", "message");
    }

    [Fact]
    public async Task A_fault_rule_on_the_account_answers_503_in_the_v2_search_family_shape()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var rule = await sim.Http.PostAsync("/_sim/faults", new StringContent(
            """{"match":{"surface":"cssm-api","operation":"licenses.summary","smartAccount":"example.com"},"effect":{"error":"LS_LICENGINE_FAIL_TO_CONNECT"}}""",
            System.Text.Encoding.UTF8, "application/json"), Ct);
        rule.IsSuccessStatusCode.ShouldBeTrue(await rule.Content.ReadAsStringAsync(Ct));

        using var response = await sim.PostAsync(SummaryPath, Body, headers: SummaryHeaders());

        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        var body = await TestSimulator.ReadJsonAsync(response);
        body["status"]!.GetValue<string>().ShouldBe("FAILED");
        body["message_code"]!.GetValue<string>().ShouldBe("LS_LICENGINE_FAIL_TO_CONNECT");
        body["message"]!.GetValue<string>().ShouldBe("Server error occurred: LS_LICENGINE_FAIL_TO_CONNECT");
    }

    [Fact]
    public async Task The_nonce_is_echoed_whatever_its_json_type()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.PostAsync(SummaryPath, """{"data":{"timestamp":"1700000000000","nonce":12345678901,"tags":[]}}""", headers: SummaryHeaders());

        var body = await TestSimulator.ReadJsonAsync(response);
        body["nonce"]!.ToJsonString().ShouldBe("12345678901");
        JsonNode.DeepEquals(body["nonce"], JsonValue.Create(12345678901L)).ShouldBeTrue();
    }
}
