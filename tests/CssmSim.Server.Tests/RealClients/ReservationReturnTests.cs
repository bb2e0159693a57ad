using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Engine.Authorizations.Codes;
using CssmSim.Server.Tests.Licenses;
using CssmSim.Server.Tests.Support;
using static CssmSim.Server.Tests.RealClients.SlpClient;

namespace CssmSim.Server.Tests.RealClients;

/// <summary>
/// Issue 15 item 1: Cisco's clients return a SLAC or a reservation through SLP <c>authrequest</c> with
/// <c>remove_code</c> inside each <c>data.licenses[]</c> item; both that and the envelope-level form work.
/// </summary>
public sealed class ReservationReturnTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A return code as a real device makes it: well-formed, not decodable by the simulator.</summary>
    private static string DeviceReturnCode(string serial) => ReturnCode.Generate(Guid.NewGuid(), new UdiRef(Pid, serial));

    [Fact]
    public async Task Ciscos_offline_reservation_flow_reserves_reports_returns_with_a_per_item_remove_code_and_the_license_is_back_in_the_pool()
    {
        // Arrange
        await using var sim = await TestSimulator.StartAsync();
        var before = await sim.RowAsync(LicensesClient.HsecName);

        // Act: reserve via authrequest, poll
        var (reserveAccepted, reserved) = await SubmitAndPollAsync(sim, AuthRequest, Reserve("OFFLINE-1", LicensesClient.Hsec, 1), "authorizations");
        var whileReserved = await sim.RowAsync(LicensesClient.HsecName);
        // report usage, poll
        var (payload, signature, _) = sim.Device("OFFLINE-1").BuildReports([(LicensesClient.NwStack, 1)])[0];
        var (_, acked) = await SubmitAndPollAsync(sim, ReportUsage, new JsonObject
        {
            ["data"] = new JsonObject
            {
                ["timestamp"] = 1700000000000,
                ["nonce"] = "offline-nonce-03",
                ["reports"] = new JsonArray(new JsonObject { ["sudi"] = Sudi("OFFLINE-1"), ["usage"] = new JsonArray(new JsonObject { ["payload"] = payload, ["signature"] = signature }) }),
            },
        }, "acknowledgements");
        // return via authrequest with a per-item remove_code, poll
        var (returnAccepted, returned) = await SubmitAndPollAsync(sim, AuthRequest, Return("OFFLINE-1", DeviceReturnCode("OFFLINE-1")), "authorizations");
        var after = await sim.RowAsync(LicensesClient.HsecName);

        // Assert
        reserveAccepted.ShouldHaveExactKeys("status", "message_code", "message", "timestamp", "nonce", "type", "poll_id", "poll_interval", "action");
        reserved["status"]!.GetValue<string>().ShouldBe("COMPLETE");
        var slac = reserved["data"]!["authorizations"]![0]!.AsObject();
        slac["status"]!.GetValue<string>().ShouldBe("SUCCESS", slac.ToJsonString());
        slac["smart_license"]!.GetValue<string>().ShouldNotBeNullOrEmpty();
        whileReserved["available"]!.GetValue<long>().ShouldBe(before["available"]!.GetValue<long>() - 1);
        acked["status"]!.GetValue<string>().ShouldBe("COMPLETE");
        acked["data"]!["acknowledgements"]!.AsArray().Count.ShouldBe(1);
        returnAccepted["action"]!.GetValue<string>().ShouldBe("authorizations");
        returned["status"]!.GetValue<string>().ShouldBe("COMPLETE");
        returned["message_code"]!.GetValue<string>().ShouldBe("");
        returned["type"]!.GetValue<string>().ShouldBe("authorizations");
        var removal = returned["data"]!["authorizations"]!.AsArray().ShouldHaveSingleItem()!.AsObject();
        removal.ShouldHaveExactKeys("product_instance_identifier", "sudi", "smart_license", "auth_status", "error_code", "status", "status_message", "correlation_id");
        removal["status"]!.GetValue<string>().ShouldBe("SUCCESS", removal.ToJsonString());
        removal["smart_license"].ShouldBeNull();
        removal["error_code"].ShouldBeNull();
        removal["status_message"].ShouldBeNull();
        removal["sudi"]!["udi_serial_number"]!.GetValue<string>().ShouldBe("OFFLINE-1");
        after["available"]!.GetValue<long>().ShouldBe(before["available"]!.GetValue<long>());
        after["reserved"]!.GetValue<long>().ShouldBe(before["reserved"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("SPECIFIC")]
    [InlineData("UNIVERSAL")]
    public async Task A_per_item_remove_code_returns_an_slr_or_plr_reservation(string type)
    {
        // Arrange: a reservation made through reserve-licenses, as the offline tools do
        await using var sim = await TestSimulator.StartAsync();
        var serial = "RES-RET-" + type;
        var device = sim.Device(serial);
        var entry = new JsonObject { ["reservationCode"] = device.CreateReservationRequestCode(), ["reservationType"] = type };
        entry["licenses"] = new JsonArray(new JsonObject { ["entitlementTag"] = LicensesClient.EnforcedDemo, ["quantity"] = 2 });
        using var reserve = await sim.PostAsync($"{TestSimulator.ApiPrefix}/v1/accounts/example.com/virtual-accounts/DEFAULT/reserve-licenses",
            new JsonObject { ["reservationRequests"] = new JsonArray(entry) }.ToJsonString());
        var code = (await TestSimulator.ReadJsonAsync(reserve))["authorizationCodes"]![0]!["authorizationCode"]!.GetValue<string>();
        var held = await AvailableAsync(sim);

        // Act
        var (_, returned) = await SubmitAndPollAsync(sim, AuthRequest, Return(serial, DeviceReturnCode(serial)), "authorizations");
        var left = await AvailableAsync(sim);
        var events = await sim.Http.GetStringAsync("/_sim/events?type=RESERVATION_RETURNED", Ct);

        // Assert
        code.ShouldNotBeNullOrEmpty();
        held.ShouldBe(3);
        var removal = returned["data"]!["authorizations"]![0]!;
        removal["status"]!.GetValue<string>().ShouldBe("SUCCESS", removal.ToJsonString());
        removal["error_code"].ShouldBeNull();
        left.ShouldBe(5);
        events.ShouldContain($"PID:{Pid},SN:{serial}");
    }

    [Fact]
    public async Task A_per_item_remove_code_returns_only_its_own_devices_slac()
    {
        // Arrange: two devices hold a SLAC; one request returns one and asks for nothing for the other
        await using var sim = await TestSimulator.StartAsync();
        await SubmitAndPollAsync(sim, AuthRequest, Reserve("PER-ITEM-1", LicensesClient.EnforcedDemo, 1), "authorizations");
        await SubmitAndPollAsync(sim, AuthRequest, Reserve("PER-ITEM-2", LicensesClient.EnforcedDemo, 1), "authorizations");
        var body = Return("PER-ITEM-1", DeviceReturnCode("PER-ITEM-1"));
        body["data"]!["licenses"]!.AsArray().Add(new JsonObject
        {
            ["sudi"] = Sudi("PER-ITEM-2"), ["hostname"] = "", ["keys"] = new JsonArray(new JsonObject { ["entitlement"] = LicensesClient.EnforcedDemo, ["count"] = "1" }),
        });

        // Act
        var (_, done) = await SubmitAndPollAsync(sim, AuthRequest, body, "authorizations");

        // Assert
        var results = done["data"]!["authorizations"]!.AsArray();
        results[0]!["status"]!.GetValue<string>().ShouldBe("SUCCESS");
        results[0]!["smart_license"].ShouldBeNull();
        results[1]!["status"]!.GetValue<string>().ShouldBe("SUCCESS");
        results[1]!["smart_license"]!.GetValueKind().ShouldBe(JsonValueKind.String);
        (await AvailableAsync(sim)).ShouldBe(3, "PER-ITEM-1 gave its license back, PER-ITEM-2 holds two (one, then one added)");
    }

    [Fact]
    public async Task A_malformed_per_item_remove_code_fails_that_item_at_complete_and_keeps_the_reservation()
    {
        await using var sim = await TestSimulator.StartAsync();
        await SubmitAndPollAsync(sim, AuthRequest, Reserve("BAD-RET-1", LicensesClient.EnforcedDemo, 1), "authorizations");

        var (_, done) = await SubmitAndPollAsync(sim, AuthRequest, Return("BAD-RET-1", "not-a-return-code"), "authorizations");

        var result = done["data"]!["authorizations"]![0]!;
        result["status"]!.GetValue<string>().ShouldBe("FAILED");
        result["error_code"]!.GetValue<string>().ShouldBe("UNKNOWN_RETURN_CODE");
        (await AvailableAsync(sim)).ShouldBe(4);
    }

    /// <summary>The enforced demo license's available count (5 in the default seed).</summary>
    private static async Task<long> AvailableAsync(TestSimulator sim) =>
        (await sim.RowAsync("Simulated enforced license (demo)"))["available"]!.GetValue<long>();
}
