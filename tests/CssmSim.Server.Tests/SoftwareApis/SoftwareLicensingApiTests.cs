using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Server.Tests.Support;
using static CssmSim.Server.Tests.SoftwareApis.SoftwareApiClient;

namespace CssmSim.Server.Tests.SoftwareApis;

/// <summary>software-apis.md §Licensing: get-summary, licenses/reserve, account-policy and search-slr-details.</summary>
public sealed class SoftwareLicensingApiTests
{
    private static Dictionary<string, string> Headers(string sa = "123456", string va = "234567") => new()
    {
        ["X-CSW-REQUESTING-SYSTEM"] = """{"display_name":"FDM_Client"}""",
        ["X-CSW-SMART-ACCOUNT-ID"] = sa,
        ["X-CSW-VIRTUAL-ACCOUNT-ID"] = va,
    };

    private static JsonObject SummaryBody(string nonce = "AbCdEfGhIjKlMnOpQrStUvWx") =>
        new() { ["data"] = new JsonObject { ["timestamp"] = 1700000000000L, ["nonce"] = nonce, ["tags"] = new JsonArray() } };

    [Fact]
    public async Task Get_summary_answers_the_v2_keys_with_the_nonce_echoed_and_counts_as_integers()
    {
        await using var sim = await StartAsync();

        var (status, body) = await PostAsync(sim, "/licensing/v2/get-summary", SummaryBody(), headers: Headers());

        status.ShouldBe(HttpStatusCode.OK);
        body.ShouldHaveExactKeys("status", "message_code", "message", "timestamp", "nonce", "out_standing_reports", "summary");
        body["status"]!.GetValue<string>().ShouldBe("SUCCESS");
        body["message_code"].ShouldBeJsonNull();
        body["message"]!.GetValue<string>().ShouldBe("Retrieved summary for 4 licenses in the pool.");
        body["timestamp"].ShouldBeCount();
        body["nonce"]!.GetValue<string>().ShouldBe("AbCdEfGhIjKlMnOpQrStUvWx");
        body["out_standing_reports"].ShouldBeCount().ShouldBe(0);
        var items = body["summary"]!.AsArray();
        items.Count.ShouldBe(4);
        foreach (var item in items.Select(i => i!.AsObject()))
        {
            item.ShouldHaveExactKeys("tag", "entitled", "future_entitled", "inuse", "reserved", "compliance_status", "display_name", "enforced",
                "export_restricted", "license_details");
            foreach (var k in new[] { "entitled", "future_entitled", "inuse", "reserved" }) item[k].ShouldBeCount(k);
            item["tag"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace();
            item["compliance_status"]!.GetValue<string>().ShouldBe("In Compliance");
            item["display_name"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace();
            item["enforced"].Kind().ShouldBeOneOf(JsonValueKind.True, JsonValueKind.False);
            item["export_restricted"].Kind().ShouldBeOneOf(JsonValueKind.True, JsonValueKind.False);
            var detail = item["license_details"]!.AsArray().ShouldHaveSingleItem()!.AsObject();
            detail.ShouldHaveExactKeys("quantity", "start_date", "end_date", "subscription_id", "license_type");
            detail["quantity"].ShouldBeCount();
            detail["subscription_id"].ShouldBeJsonNull();
            detail["license_type"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace();
        }
        var hsec = items.Single(i => i!["tag"]!.GetValue<string>() == Hsec)!;
        hsec["export_restricted"].Kind().ShouldBe(JsonValueKind.True);
        hsec["license_details"]![0]!["start_date"].ShouldBeJsonNull("PERPETUAL has no dates, and never \"\"");
        var term = items.Single(i => i!["license_details"]![0]!["license_type"]!.GetValue<string>() == "TERM")!;
        term["license_details"]![0]!["end_date"]!.GetValue<string>().ShouldMatch(@"^\d{4}-[A-Z][a-z]{2}-\d{2}$");
    }

    [Fact]
    public async Task Get_summary_counts_a_reservation_within_in_use()
    {
        await using var sim = await StartAsync();
        var device = sim.Device("SUMMARY-1");
        await PostAsync(sim, "/licensing/v2/account/example.com/virtual-account/DEFAULT/licenses/reserve", new JsonObject
        {
            ["reservationRequests"] = new JsonArray(new JsonObject
            {
                ["reservationCode"] = device.CreateReservationRequestCode(), ["reservationType"] = "SPECIFIC",
                ["licenses"] = new JsonArray(new JsonObject { ["entitlementTag"] = Enforced, ["quantity"] = 2 }),
            }),
        });

        var (_, body) = await PostAsync(sim, "/licensing/v2/get-summary", new JsonObject
        {
            ["data"] = new JsonObject { ["timestamp"] = 1700000000000L, ["nonce"] = "n-1", ["tags"] = new JsonArray(Enforced) },
        }, headers: Headers());

        var item = body["summary"]!.AsArray().ShouldHaveSingleItem()!;
        item["reserved"]!.GetValue<long>().ShouldBe(2);
        item["inuse"]!.GetValue<long>().ShouldBe(2);
        item["entitled"]!.GetValue<long>().ShouldBe(5);
    }

    [Theory]
    [InlineData("X-CSW-REQUESTING-SYSTEM")]
    [InlineData("X-CSW-SMART-ACCOUNT-ID")]
    [InlineData("X-CSW-VIRTUAL-ACCOUNT-ID")]
    public async Task Get_summary_without_a_header_is_400_error_response_v3(string missing)
    {
        await using var sim = await StartAsync();
        var headers = Headers();
        headers.Remove(missing);

        var (status, body) = await PostAsync(sim, "/licensing/v2/get-summary", SummaryBody(), headers: headers);

        status.ShouldBe(HttpStatusCode.BadRequest);
        body.ShouldHaveExactKeys("status", "message_code", "message", "localized_message");
        body["status"]!.GetValue<string>().ShouldBe("FAILED");
        body["localized_message"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace();
    }

    [Fact]
    public async Task Get_summary_without_data_is_400()
    {
        await using var sim = await StartAsync();

        var (status, body) = await PostAsync(sim, "/licensing/v2/get-summary", new JsonObject(), headers: Headers());

        status.ShouldBe(HttpStatusCode.BadRequest);
        body.ShouldHaveExactKeys("status", "message_code", "message", "localized_message");
    }

    [Fact]
    public async Task Get_summary_of_an_unknown_account_is_422_no_data_found_and_of_a_forbidden_one_403()
    {
        await using var sim = await StartAsync();

        var (unknown, unknownBody) = await PostAsync(sim, "/licensing/v2/get-summary", SummaryBody(), headers: Headers("123456", "999999"));
        var (forbidden, forbiddenBody) = await PostAsync(sim, "/licensing/v2/get-summary", SummaryBody(), await LimitedTokenAsync(sim), Headers("777001", "888001"));

        unknown.ShouldBe(HttpStatusCode.UnprocessableEntity);
        unknownBody["message_code"]!.GetValue<string>().ShouldBe("NO_DATA_FOUND");
        forbidden.ShouldBe(HttpStatusCode.Forbidden);
        forbiddenBody.ShouldHaveExactKeys("status", "message_code", "message", "localized_message");
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("v2")]
    public async Task Reserve_universal_without_licenses_gives_one_plr_code_and_the_devices_sudi(string version)
    {
        await using var sim = await StartAsync();
        var requestCode = sim.Device("FOC2FIDPLR1", "C9300-24P").CreateReservationRequestCode();

        var (status, body) = await PostAsync(sim, $"/licensing/{version}/account/example.com/virtual-account/DEFAULT/licenses/reserve", new JsonObject
        {
            ["reservationRequests"] = new JsonArray(new JsonObject { ["reservationCode"] = requestCode, ["reservationType"] = "UNIVERSAL" }),
        });

        status.ShouldBe(HttpStatusCode.OK);
        body.ShouldHaveExactKeys("status", "statusMessage", "authorizationCodes");
        body["status"]!.GetValue<string>().ShouldBe("SUCCESS");
        var entry = body["authorizationCodes"]!.AsArray().ShouldHaveSingleItem()!.AsObject();
        entry.ShouldHaveExactKeys("reservationCode", "authorizationCode", "status", "statusMessage", "sudi", "productInstance", "licenses",
            "productTagName", "productType");
        entry["reservationCode"]!.GetValue<string>().ShouldBe(requestCode);
        // FDM's validate_plr_authorization_code: 6-16 hyphen-joined alphanumeric groups of 2-8 characters.
        entry["authorizationCode"]!.GetValue<string>().ShouldMatch(@"^[A-Za-z0-9]{2,8}(-[A-Za-z0-9]{2,8}){5,15}$");
        entry["status"]!.GetValue<string>().ShouldBe("SUCCESS");
        entry["sudi"]!["udiPid"]!.GetValue<string>().ShouldBe("C9300-24P");
        entry["sudi"]!["udiSerialNumber"]!.GetValue<string>().ShouldBe("FOC2FIDPLR1");
        entry["sudi"]!["suvi"].ShouldBeJsonNull();
        entry["productInstance"]!.GetValue<string>().ShouldBe("UDI_PID:C9300-24P; UDI_SN:FOC2FIDPLR1");
        entry["licenses"]!.AsArray().ShouldBeEmpty();
        entry["productTagName"]!.GetValue<string>().ShouldBe("C9300-24P");
        entry["productType"].ShouldBeJsonNull();
    }

    [Fact]
    public async Task Reserve_lists_what_it_reserved_with_type_quantity_and_name()
    {
        await using var sim = await StartAsync();

        var (_, body) = await PostAsync(sim, "/licensing/v2/account/example.com/virtual-account/DEFAULT/licenses/reserve", new JsonObject
        {
            ["reservationRequests"] = new JsonArray(new JsonObject
            {
                ["reservationCode"] = sim.Device("SLR-SW-1").CreateReservationRequestCode(), ["reservationType"] = "SPECIFIC",
                ["licenses"] = new JsonArray(new JsonObject { ["entitlementTag"] = Hsec, ["quantity"] = 1, ["precedence"] = "LONGEST_TERM_FIRST" }),
            }),
        });

        var license = body["authorizationCodes"]![0]!["licenses"]!.AsArray().ShouldHaveSingleItem()!.AsObject();
        license.ShouldHaveExactKeys("licenseType", "quantity", "endDate", "name");
        license["licenseType"]!.GetValue<string>().ShouldBe("PERPETUAL");
        license["quantity"].ShouldBeCount().ShouldBe(1);
        license["endDate"].ShouldBeJsonNull();
        license["name"]!.GetValue<string>().ShouldBe("Router US Export Lic. for DNA");
    }

    [Fact]
    public async Task Reserve_where_every_entry_fails_is_400_with_the_same_body()
    {
        await using var sim = await StartAsync();

        var (status, body) = await PostAsync(sim, "/licensing/v1/account/example.com/virtual-account/DEFAULT/licenses/reserve", new JsonObject
        {
            ["reservationRequests"] = new JsonArray(new JsonObject { ["reservationCode"] = "not a request code", ["reservationType"] = "UNIVERSAL" }),
        });

        status.ShouldBe(HttpStatusCode.BadRequest);
        body["status"]!.GetValue<string>().ShouldBe("ERROR");
        var entry = body["authorizationCodes"]!.AsArray().ShouldHaveSingleItem()!.AsObject();
        entry["status"]!.GetValue<string>().ShouldBe("ERROR");
        entry["authorizationCode"].ShouldBeJsonNull();
        entry["sudi"].ShouldBeJsonNull();
        entry["licenses"]!.AsArray().ShouldBeEmpty();
    }

    [Theory]
    [InlineData("/licensing/v1/account/other.test/virtual-account/DEFAULT/licenses/reserve", HttpStatusCode.Forbidden)]
    [InlineData("/licensing/v1/account/example.com/virtual-account/Nope/licenses/reserve", HttpStatusCode.NotFound)]
    public async Task Reserve_in_a_forbidden_or_unknown_account_is_refused_and_reserves_nothing(string path, HttpStatusCode expected)
    {
        await using var sim = await StartAsync();
        var before = await sim.Http.GetStringAsync("/_sim/snapshot", TestContext.Current.CancellationToken);

        var (status, body) = await PostAsync(sim, path, new JsonObject
        {
            ["reservationRequests"] = new JsonArray(new JsonObject { ["reservationCode"] = sim.Device("X-1").CreateReservationRequestCode(), ["reservationType"] = "UNIVERSAL" }),
        }, await LimitedTokenAsync(sim));

        status.ShouldBe(expected);
        body.ShouldHaveExactKeys("status", "statusMessage");
        (await sim.Http.GetStringAsync("/_sim/snapshot", TestContext.Current.CancellationToken)).ShouldBe(before);
    }

    [Fact]
    public async Task Account_policy_is_base64_of_the_signed_smart_license_policy()
    {
        await using var sim = await StartAsync();

        var (status, body) = await GetAsync(sim, "/licensing/v2/account-policy", headers: new Dictionary<string, string> { ["X-CSW-SMART-ACCOUNT-ID"] = "123456" });

        status.ShouldBe(HttpStatusCode.OK);
        body.ShouldHaveExactKeys("status", "message_code", "message", "timestamp", "policy", "correlation_id", "errors");
        body["status"]!.GetValue<string>().ShouldBe("COMPLETE");
        body["message_code"].ShouldBeJsonNull();
        body["message"].ShouldBeJsonNull();
        body["timestamp"].ShouldBeCount();
        Guid.TryParse(body["correlation_id"]!.GetValue<string>(), out _).ShouldBeTrue();
        body["errors"]!.AsArray().ShouldBeEmpty();
        var xml = Encoding.UTF8.GetString(Convert.FromBase64String(body["policy"]!.GetValue<string>()));
        xml.ShouldStartWith("<smartLicensePolicy>");
        xml.ShouldEndWith("</smartLicensePolicy>");
    }

    [Theory]
    [InlineData(null, HttpStatusCode.BadRequest)]
    [InlineData("example.com", HttpStatusCode.BadRequest)]
    [InlineData("999999", HttpStatusCode.BadRequest)]
    [InlineData("777001", HttpStatusCode.Forbidden)]
    public async Task Account_policy_needs_a_visible_numeric_account_id(string? accountId, HttpStatusCode expected)
    {
        await using var sim = await StartAsync();
        var headers = accountId is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["X-CSW-SMART-ACCOUNT-ID"] = accountId };

        var (status, body) = await GetAsync(sim, "/licensing/v2/account-policy", await LimitedTokenAsync(sim), headers);

        status.ShouldBe(expected);
        body.ShouldHaveExactKeys("status", "message_code", "message");
        body["status"]!.GetValue<string>().ShouldBe("FAILED");
    }

    [Fact]
    public async Task Search_slr_details_answers_each_software_tag_from_the_seeded_catalog()
    {
        await using var sim = await StartAsync();

        var (status, body) = await PostAsync(sim, "/licensing/v1/search-slr-details",
            new JsonObject { ["softwareTags"] = new JsonArray(WlcSoftwareTag, "regid.2099-01.com.cisco.UNKNOWN,1.0_x") });

        status.ShouldBe(HttpStatusCode.OK);
        body.ShouldHaveExactKeys("status", "status_message", "data");
        body["status"]!.GetValue<string>().ShouldBe("SUCCESS");
        body["status_message"]!.GetValue<string>().ShouldBe("Fetched software tags");
        var data = body["data"]!.AsArray();
        data.Count.ShouldBe(2);
        data[0]!.AsObject().ShouldHaveExactKeys("softwareTag", "entitlements");
        data[0]!["softwareTag"]!.GetValue<string>().ShouldBe(WlcSoftwareTag);
        var entitlements = data[0]!["entitlements"]!.AsArray();
        entitlements.Count.ShouldBe(2);
        var hsec = entitlements.Single(e => e!["entitlementTag"]!.GetValue<string>() == Hsec)!.AsObject();
        hsec.ShouldHaveExactKeys("type", "entitlementTag", "Export", "UDI_PID");
        hsec["type"]!.GetValue<string>().ShouldBe("SPECIFIC");
        hsec["Export"].ShouldBeString();
        hsec["Export"]!.GetValue<string>().ShouldBe("True");
        hsec["UDI_PID"]!.GetValue<string>().ShouldBe("C9800-CL-K9");
        entitlements.Single(e => e!["entitlementTag"]!.GetValue<string>() == Enforced)!["Export"]!.GetValue<string>().ShouldBe("False");
        data[1]!["softwareTag"]!.GetValue<string>().ShouldBe("regid.2099-01.com.cisco.UNKNOWN,1.0_x");
        data[1]!["entitlements"]!.AsArray().ShouldBeEmpty();
    }

    [Fact]
    public async Task Search_slr_details_reads_a_catalog_merged_by_seed()
    {
        await using var sim = await StartAsync();
        await sim.MergeSeedAsync("""
            slrCatalog:
            - softwareTag: "regid.2017-07.com.cisco.ISR_4460,1.0_test"
              udiPid: ISR4461/K9
              entitlements: [{entitlementTag: "regid.2017-07.com.cisco.ISR_4460_PLR,1.0_test", type: UNIVERSAL, export: false}]
            """);

        var (_, body) = await PostAsync(sim, "/licensing/v1/search-slr-details", new JsonObject { ["softwareTags"] = new JsonArray("regid.2017-07.com.cisco.ISR_4460,1.0_test") });

        var entitlement = body["data"]![0]!["entitlements"]!.AsArray().ShouldHaveSingleItem()!;
        entitlement["type"]!.GetValue<string>().ShouldBe("UNIVERSAL");
        entitlement["UDI_PID"]!.GetValue<string>().ShouldBe("ISR4461/K9");
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"softwareTags\":[]}")]
    [InlineData("{\"softwareTags\":[\"\"]}")]
    [InlineData("{\"softwareTags\":\"regid\"}")]
    public async Task Search_slr_details_without_tags_is_400_error_response(string json)
    {
        await using var sim = await StartAsync();

        var (status, body) = await PostAsync(sim, "/licensing/v1/search-slr-details", JsonNode.Parse(json)!);

        status.ShouldBe(HttpStatusCode.BadRequest);
        body.ShouldHaveExactKeys("status", "statusMessage");
        body["status"]!.GetValue<string>().ShouldBe("ERROR");
    }
}
