using System.Net;
using System.Text.Json.Nodes;
using CssmSim.Engine.Authorizations.Codes;
using CssmSim.Server.Tests.Support;
using static CssmSim.Server.Tests.SoftwareApis.SoftwareApiClient;

namespace CssmSim.Server.Tests.SoftwareApis;

/// <summary>One state behind the old and the new APIs: what one writes, the other reads (issue 16 acceptance).</summary>
public sealed class SoftwareConsistencyTests
{
    private const string Api = TestSimulator.ApiPrefix;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<long> V3ReservedAsync(TestSimulator sim, string tag)
    {
        var (_, body) = await PostAsync(sim, Api + "/v3/licenses/summary",
            new JsonObject { ["data"] = new JsonObject { ["timestamp"] = 1700000000000L, ["nonce"] = "nonce-v3", ["tags"] = new JsonArray(tag) } },
            headers: new Dictionary<string, string> { ["X-CSW-SMART-ACCOUNT-ID"] = "123456", ["X-CSW-VIRTUAL-ACCOUNT-ID"] = "234567", ["X-CSW-REQUESTING-SYSTEM"] = """{"display_name":"CSLU"}""" });
        return body["summary"]!.AsArray().Single()!["reserved"]!.GetValue<long>();
    }

    private static async Task<JsonArray> V1DevicesAsync(TestSimulator sim)
    {
        var (_, body) = await PostAsync(sim, Api + "/v1/accounts/example.com/devices", new JsonObject { ["virtualAccounts"] = new JsonArray("DEFAULT") });
        return body["devices"]!.AsArray();
    }

    [Fact]
    public async Task A_plr_reserved_through_software_apis_reserve_is_seen_by_v1_and_v3_and_released_by_devices_remove()
    {
        await using var sim = await StartAsync();
        var device = sim.Device("FOC2FIDPLR9", "C9300-24P");
        var requestCode = device.CreateReservationRequestCode();

        var (reserveStatus, reserved) = await PostAsync(sim, "/licensing/v2/account/example.com/virtual-account/DEFAULT/licenses/reserve", new JsonObject
        {
            ["reservationRequests"] = new JsonArray(new JsonObject
            {
                ["reservationCode"] = requestCode, ["reservationType"] = "UNIVERSAL",
                ["licenses"] = new JsonArray(new JsonObject { ["entitlementTag"] = Hsec, ["quantity"] = 2, ["precedence"] = "LONGEST_TERM_FIRST" }),
            }),
        });
        var reservedInV3 = await V3ReservedAsync(sim, Hsec);
        var devicesAfterReserve = await V1DevicesAsync(sim);
        var (_, softwareDevices) = await GetAsync(sim, "/licensing/v2/accounts/example.com/devices?virtualAccountName=DEFAULT&instanceName=FOC2FIDPLR9&limit=50&offset=0");

        // The device shows its return code when the PLR is removed; it names the authorization the reservation event reports.
        var events = JsonNode.Parse(await sim.Http.GetStringAsync("/_sim/events?type=RESERVATION_ISSUED", Ct))!["events"]!.AsArray();
        var authorizationId = Guid.Parse(events.Single()!["details"]!["authorization_id"]!.GetValue<string>());
        var returnCode = ReturnCode.Generate(authorizationId, new UdiRef("C9300-24P", "FOC2FIDPLR9"));
        var (removeStatus, removed) = await PostAsync(sim, "/licensing/v3/accounts/example.com/devices/remove?virtualAccountName=DEFAULT", new JsonObject
        {
            ["productInstancesRemoveRequests"] = new JsonArray(new JsonObject
            {
                ["sudi"] = new JsonObject { ["udiPid"] = "C9300-24P", ["udiSerialNumber"] = "FOC2FIDPLR9" },
                ["productTagName"] = softwareDevices["devices"]![0]!["productTagName"]!.GetValue<string>(),
                ["returnCode"] = returnCode,
            }),
        });
        var reservedAfterRemove = await V3ReservedAsync(sim, Hsec);
        var devicesAfterRemove = await V1DevicesAsync(sim);

        reserveStatus.ShouldBe(HttpStatusCode.OK);
        reserved["status"]!.GetValue<string>().ShouldBe("SUCCESS");
        reservedInV3.ShouldBe(2);
        devicesAfterReserve.Select(d => d!["displayName"]!.GetValue<string>()).ShouldContain("UDI_PID:C9300-24P; UDI_SN:FOC2FIDPLR9; ");
        softwareDevices["totalRecords"]!.GetValue<long>().ShouldBe(1);
        removeStatus.ShouldBe(HttpStatusCode.OK);
        removed["status"]!.GetValue<string>().ShouldBe("SUCCESS", removed.ToJsonString());
        removed["statusMessage"]!.GetValue<string>().ShouldBe("1 Product Instance  removed successfully.");
        var entry = removed["removeProductInstancesStatus"]!.AsArray().ShouldHaveSingleItem()!;
        entry["status"]!.GetValue<string>().ShouldBe("SUCCESS");
        entry["statusMessage"]!.GetValue<string>().ShouldBe("The Product Instance C9300-24P was successfully removed");
        entry["device"]!.GetValue<string>().ShouldBe("udiPid:C9300-24P udiSerialNumber:FOC2FIDPLR9 hostIdentifier: ");
        reservedAfterRemove.ShouldBe(0);
        // Removal returns the reservation (the return-code flow); the product instance record stays, as after a control-API return.
        devicesAfterRemove.Select(d => d!["displayName"]!.GetValue<string>()).ShouldContain("UDI_PID:C9300-24P; UDI_SN:FOC2FIDPLR9; ");
    }

    [Fact]
    public async Task A_reservation_made_through_the_v1_api_is_listed_by_software_devices_and_summarised_by_get_summary()
    {
        await using var sim = await StartAsync();
        var device = sim.Device("SLR-OLD-1");

        var (_, v1) = await PostAsync(sim, Api + "/v1/accounts/example.com/virtual-accounts/DEFAULT/reserve-licenses", new JsonObject
        {
            ["reservationRequests"] = new JsonArray(new JsonObject
            {
                ["reservationCode"] = device.CreateReservationRequestCode(), ["reservationType"] = "SPECIFIC",
                ["licenses"] = new JsonArray(new JsonObject { ["entitlementTag"] = Enforced, ["quantity"] = 3 }),
            }),
        });
        var (_, devices) = await GetAsync(sim, "/licensing/v2/accounts/example.com/devices?virtualAccountName=DEFAULT&instanceName=SLR-OLD-1");
        var (_, summary) = await PostAsync(sim, "/licensing/v2/get-summary",
            new JsonObject { ["data"] = new JsonObject { ["timestamp"] = 1L, ["nonce"] = "n", ["tags"] = new JsonArray(Enforced) } },
            headers: new Dictionary<string, string> { ["X-CSW-SMART-ACCOUNT-ID"] = "123456", ["X-CSW-VIRTUAL-ACCOUNT-ID"] = "234567", ["X-CSW-REQUESTING-SYSTEM"] = "{}" });

        v1["status"]!.GetValue<string>().ShouldBe("SUCCESS");
        devices["devices"]!.AsArray().ShouldHaveSingleItem()!["sudi"]!["udiSerialNumber"]!.GetValue<string>().ShouldBe("SLR-OLD-1");
        summary["summary"]![0]!["reserved"]!.GetValue<long>().ShouldBe(3);
    }
}
