using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Server.Tests.Support;
using static CssmSim.Server.Tests.SoftwareApis.SoftwareApiClient;

namespace CssmSim.Server.Tests.SoftwareApis;

/// <summary>software-apis.md §Product instances: devices, device/search and devices/remove (its errors; the walk is in SoftwareConsistencyTests).</summary>
public sealed class SoftwareDevicesApiTests
{
    private static readonly Dictionary<string, string> Fdm = new() { ["X-CSW-REQUESTING-SYSTEM"] = """{"display_name":"FDM_Client"}""" };

    private static void ShouldBeSudi(JsonNode? sudi, string pid, string serial)
    {
        var o = sudi!.AsObject();
        o.ShouldHaveExactKeys("suvi", "uuid", "hostIdentifier", "udiPid", "udiSerialNumber", "udiVid", "macAddress");
        o["udiPid"]!.GetValue<string>().ShouldBe(pid);
        o["udiSerialNumber"]!.GetValue<string>().ShouldBe(serial);
        foreach (var k in new[] { "suvi", "uuid", "hostIdentifier", "udiVid", "macAddress" }) o[k].ShouldBeJsonNull(k);
    }

    [Fact]
    public async Task Devices_lists_the_virtual_accounts_product_instances_with_exactly_three_keys()
    {
        await using var sim = await StartAsync();

        var (status, body) = await GetAsync(sim, "/licensing/v2/accounts/example.com/devices?virtualAccountName=DEFAULT&limit=50&offset=0");

        status.ShouldBe(HttpStatusCode.OK);
        body.ShouldHaveExactKeys("status", "statusMessage", "totalRecords", "devices");
        body["status"]!.GetValue<string>().ShouldBe("SUCCESS");
        body["statusMessage"]!.GetValue<string>().ShouldBe("");
        body["totalRecords"].ShouldBeCount().ShouldBe(1);
        var device = body["devices"]!.AsArray().ShouldHaveSingleItem()!.AsObject();
        device.ShouldHaveExactKeys("instanceName", "productTagName", "sudi");
        device["instanceName"]!.GetValue<string>().ShouldBe("UDI_PID:C9800-CL-K9; UDI_SN:FOC2FIDSLA1; ");
        device["productTagName"]!.GetValue<string>().ShouldBe("C9800-CL-K9");
        ShouldBeSudi(device["sudi"], "C9800-CL-K9", "FOC2FIDSLA1");
    }

    [Theory]
    [InlineData("FOC2FIDSLA1", 1)]
    [InlineData("foc2fid", 1)]
    [InlineData("wlc-lab", 1)]
    [InlineData("NOPE", 0)]
    public async Task Devices_filter_by_instance_name_or_hostname_substring(string instanceName, int expected)
    {
        await using var sim = await StartAsync();

        var (_, body) = await GetAsync(sim, $"/licensing/v2/accounts/example.com/devices?virtualAccountName=DEFAULT&instanceName={instanceName}");

        body["totalRecords"]!.GetValue<long>().ShouldBe(expected);
        body["devices"]!.AsArray().Count.ShouldBe(expected);
    }

    [Fact]
    public async Task Devices_without_a_virtual_account_name_is_400_error_response()
    {
        await using var sim = await StartAsync();

        var (status, body) = await GetAsync(sim, "/licensing/v2/accounts/example.com/devices");

        status.ShouldBe(HttpStatusCode.BadRequest);
        body.ShouldHaveExactKeys("status", "statusMessage");
        body["status"]!.GetValue<string>().ShouldBe("ERROR");
        body["statusMessage"]!.GetValue<string>().ShouldStartWith("Missing required input parameters");
    }

    [Theory]
    [InlineData("/licensing/v2/accounts/example.com/devices?virtualAccountName=Nope", HttpStatusCode.NotFound)]
    [InlineData("/licensing/v2/accounts/nowhere.test/devices?virtualAccountName=DEFAULT", HttpStatusCode.NotFound)]
    [InlineData("/licensing/v2/accounts/other.test/devices?virtualAccountName=DEFAULT", HttpStatusCode.Forbidden)]
    public async Task Devices_of_an_unknown_or_forbidden_account_are_refused(string path, HttpStatusCode expected)
    {
        await using var sim = await StartAsync();

        var (status, body) = await GetAsync(sim, path, await LimitedTokenAsync(sim));

        status.ShouldBe(expected);
        body.ShouldHaveExactKeys("status", "statusMessage");
        body["status"]!.GetValue<string>().ShouldBe("ERROR");
    }

    [Fact]
    public async Task Device_search_finds_a_udi_with_string_ids_and_a_boolean_default()
    {
        await using var sim = await StartAsync();

        var (status, body) = await GetAsync(sim, "/licensing/v2/device/search?udi_serial_number=FOC2FIDSLA1", headers: Fdm);

        status.ShouldBe(HttpStatusCode.OK);
        body.ShouldHaveExactKeys("status", "message_code", "message", "timestamp", "data");
        body["status"]!.GetValue<string>().ShouldBe("COMPLETE");
        body["message_code"]!.GetValue<string>().ShouldBe("DMS-SUCCESS");
        body["message"]!.GetValue<string>().ShouldBe("SUCCESS");
        body["timestamp"].ShouldBeCount();
        var item = body["data"]!.AsArray().ShouldHaveSingleItem()!.AsObject();
        item.ShouldHaveExactKeys("sudi", "software_tag", "last_contact_date", "account", "licenses");
        ShouldBeSudi(item["sudi"], "C9800-CL-K9", "FOC2FIDSLA1");
        // The default seed's catalog names the C9800's software tag.
        item["software_tag"]!.GetValue<string>().ShouldBe(WlcSoftwareTag);
        item["last_contact_date"].ShouldBeJsonNull();
        var account = item["account"]!.AsObject();
        account.ShouldHaveExactKeys("name", "domain", "account_id", "virtual_account_name", "virtual_account_id", "default");
        account["name"]!.GetValue<string>().ShouldBe("Example Co");
        account["domain"]!.GetValue<string>().ShouldBe("example.com");
        account["account_id"].ShouldBeString();
        account["account_id"]!.GetValue<string>().ShouldBe("123456");
        account["virtual_account_name"]!.GetValue<string>().ShouldBe("DEFAULT");
        account["virtual_account_id"]!.GetValue<string>().ShouldBe("234567");
        account["default"].Kind().ShouldBe(JsonValueKind.True);
        item["licenses"]!.AsArray().ShouldBeEmpty();
    }

    [Fact]
    public async Task Device_search_lists_a_devices_licenses_as_its_consumption()
    {
        await using var sim = await StartAsync();
        var device = sim.Device("SEARCH-1");
        var (_, reserved) = await PostAsync(sim, "/licensing/v1/account/example.com/virtual-account/DEFAULT/licenses/reserve", new JsonObject
        {
            ["reservationRequests"] = new JsonArray(new JsonObject
            {
                ["reservationCode"] = device.CreateReservationRequestCode(), ["reservationType"] = "SPECIFIC",
                ["licenses"] = new JsonArray(new JsonObject { ["entitlementTag"] = Enforced, ["quantity"] = 2 }),
            }),
        });

        var (_, body) = await GetAsync(sim, "/licensing/v2/device/search?udi_serial_number=SEARCH-1&udi_pid=C9800-CL-K9", headers: Fdm);

        reserved["status"]!.GetValue<string>().ShouldBe("SUCCESS");
        var license = body["data"]![0]!["licenses"]!.AsArray().ShouldHaveSingleItem()!.AsObject();
        license.ShouldHaveExactKeys("license", "description", "quantity", "utility", "display_name", "compliance_status", "subscription_id", "end_date");
        license["license"]!.GetValue<string>().ShouldBe(Enforced);
        license["quantity"].ShouldBeCount().ShouldBe(2);
        license["utility"].Kind().ShouldBe(JsonValueKind.False);
        license["display_name"]!.GetValue<string>().ShouldBe("Simulated enforced license (demo)");
        license["compliance_status"]!.GetValue<string>().ShouldBe("OK");
        license["subscription_id"].ShouldBeJsonNull();
        license["end_date"].ShouldBeJsonNull();
    }

    [Fact]
    public async Task Device_search_finds_nothing_outside_the_clients_accounts_and_says_no_data_found()
    {
        await using var sim = await StartAsync();

        var (all, _) = await GetAsync(sim, "/licensing/v2/device/search?udi_serial_number=OTHER0001", headers: Fdm);
        var (status, body) = await GetAsync(sim, "/licensing/v2/device/search?udi_serial_number=OTHER0001", await LimitedTokenAsync(sim), Fdm);

        all.ShouldBe(HttpStatusCode.OK);
        status.ShouldBe(HttpStatusCode.BadRequest);
        body.ShouldHaveExactKeys("status", "message_code", "message");
        body["status"]!.GetValue<string>().ShouldBe("FAILED");
        body["message_code"]!.GetValue<string>().ShouldBe("NO_DATA_FOUND");
    }

    [Fact]
    public async Task Device_search_without_the_requesting_system_header_is_400()
    {
        await using var sim = await StartAsync();

        var (status, body) = await GetAsync(sim, "/licensing/v2/device/search?udi_serial_number=FOC2FIDSLA1");

        status.ShouldBe(HttpStatusCode.BadRequest);
        body.ShouldHaveExactKeys("status", "message_code", "message");
        body["message_code"]!.GetValue<string>().ShouldBe("INVALID_REQUEST");
    }

    [Fact]
    public async Task Devices_remove_with_a_wrong_return_code_fails_that_entry_and_changes_nothing()
    {
        await using var sim = await StartAsync();
        var before = await sim.Http.GetStringAsync("/_sim/snapshot", TestContext.Current.CancellationToken);

        var (status, body) = await PostAsync(sim, "/licensing/v3/accounts/example.com/devices/remove?virtualAccountName=DEFAULT", new JsonObject
        {
            // Cisco's misspelt twin of the array is accepted as sent.
            ["productInstacesRemoveRequests"] = new JsonArray(new JsonObject
            {
                ["sudi"] = new JsonObject { ["udiPid"] = "C9800-CL-K9", ["udiSerialNumber"] = "FOC2FIDSLA1" },
                ["productTagName"] = "C9800-CL-K9",
                ["returnCode"] = "CAbcde-Fghijk-Lmnopq-Rstuvw-Xyz012-345678-9ABCDE-FGHIJK-LMN",
            }),
        });

        status.ShouldBe(HttpStatusCode.OK);
        body.ShouldHaveExactKeys("status", "statusMessage", "removeProductInstancesStatus");
        body["status"]!.GetValue<string>().ShouldBe("ERROR");
        var entry = body["removeProductInstancesStatus"]!.AsArray().ShouldHaveSingleItem()!.AsObject();
        entry.ShouldHaveExactKeys("status", "statusMessage", "device");
        entry["status"]!.GetValue<string>().ShouldBe("FAILURE");
        entry["statusMessage"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace();
        entry["device"]!.GetValue<string>().ShouldBe("udiPid:C9800-CL-K9 udiSerialNumber:FOC2FIDSLA1 hostIdentifier: ");
        (await sim.Http.GetStringAsync("/_sim/snapshot", TestContext.Current.CancellationToken)).ShouldBe(before);
    }

    [Theory]
    [InlineData("/licensing/v3/accounts/example.com/devices/remove", "{}", HttpStatusCode.BadRequest)]
    [InlineData("/licensing/v3/accounts/example.com/devices/remove?virtualAccountName=DEFAULT", "{\"productInstancesRemoveRequests\":[]}", HttpStatusCode.BadRequest)]
    [InlineData("/licensing/v3/accounts/other.test/devices/remove?virtualAccountName=DEFAULT", "{\"productInstancesRemoveRequests\":[]}", HttpStatusCode.Forbidden)]
    public async Task Devices_remove_refuses_a_request_it_cannot_read_or_may_not_make(string path, string json, HttpStatusCode expected)
    {
        await using var sim = await StartAsync();

        var (status, body) = await PostAsync(sim, path, JsonNode.Parse(json)!, await LimitedTokenAsync(sim));

        status.ShouldBe(expected);
        body.ShouldHaveExactKeys("status", "statusMessage");
        body["status"]!.GetValue<string>().ShouldBe("ERROR");
    }
}
