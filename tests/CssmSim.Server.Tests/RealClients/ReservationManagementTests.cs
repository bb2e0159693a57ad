using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CssmSim.Engine.Authorizations.Codes;
using CssmSim.Server.Tests.Licenses;
using CssmSim.Server.Tests.Support;
using CssmSim.Server.Tests.UsageFiles;
using static CssmSim.Server.Tests.RealClients.SlpClient;

namespace CssmSim.Server.Tests.RealClients;

/// <summary>
/// Issue 15 items 6, 9 and 10 through the control API (what the portal, the fixture and scenarios use): SLR
/// confirmation and Update Reserved Licenses, product instance transfer, offline return files as devices save them.
/// </summary>
public sealed class ReservationManagementTests
{
    private const string Va = "/_sim/accounts/example.com/virtual-accounts/DEFAULT";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string PiPath(string serial, string va = "DEFAULT") =>
        $"/_sim/accounts/example.com/virtual-accounts/{va}/product-instances/" + Uri.EscapeDataString($"PID:{Pid},SN:{serial}");

    private static async Task<HttpResponseMessage> SendJsonAsync(TestSimulator sim, HttpMethod method, string path, string json)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        return await sim.Http.SendAsync(request, Ct);
    }

    private static async Task<string> ReserveAsync(TestSimulator sim, Testing.Devices.SimulatedProductInstance device, long quantity)
    {
        using var reserve = await sim.PostAsync($"{TestSimulator.ApiPrefix}/v1/accounts/example.com/virtual-accounts/DEFAULT/reserve-licenses",
            new JsonObject
            {
                ["reservationRequests"] = new JsonArray(new JsonObject
                {
                    ["reservationCode"] = device.CreateReservationRequestCode(), ["reservationType"] = "SPECIFIC",
                    ["licenses"] = new JsonArray(new JsonObject { ["entitlementTag"] = LicensesClient.EnforcedDemo, ["quantity"] = quantity }),
                }),
            }.ToJsonString());
        return (await TestSimulator.ReadJsonAsync(reserve))["authorizationCodes"]![0]!["authorizationCode"]!.GetValue<string>();
    }

    private static Task<JsonObject> EnforcedRowAsync(TestSimulator sim) => sim.RowAsync("Simulated enforced license (demo)");

    [Fact]
    public async Task An_slr_awaits_confirmation_until_the_devices_code_is_entered_then_shows_reserved_licenses()
    {
        // Arrange
        await using var sim = await TestSimulator.StartAsync();
        var device = sim.Device("SLR-CONFIRM-1");
        var code = await ReserveAsync(sim, device, 2);
        (await device.InstallAuthorizationAsync(code, Ct)).ShouldBeTrue();
        var awaiting = JsonNode.Parse(await sim.Http.GetStringAsync(PiPath("SLR-CONFIRM-1") + "/reservation", Ct))!.AsObject();
        var pendingBefore = (await EnforcedRowAsync(sim))["pendingQuantity"]!.GetValue<long>();

        // Act
        using var wrong = await SendJsonAsync(sim, HttpMethod.Post, PiPath("SLR-CONFIRM-1") + "/reservation/confirmation", """{"confirmationCode":"00000000"}""");
        using var right = await SendJsonAsync(sim, HttpMethod.Post, PiPath("SLR-CONFIRM-1") + "/reservation/confirmation",
            new JsonObject { ["confirmationCode"] = device.ConfirmationCode }.ToJsonString());
        var confirmed = JsonNode.Parse(await sim.Http.GetStringAsync(PiPath("SLR-CONFIRM-1") + "/reservation", Ct))!.AsObject();
        var row = await EnforcedRowAsync(sim);

        // Assert
        awaiting.ShouldHaveExactKeys("udi", "kind", "state", "label", "authorizationCode", "licenses");
        awaiting["kind"]!.GetValue<string>().ShouldBe("SLR");
        awaiting["state"]!.GetValue<string>().ShouldBe("IN_TRANSITION");
        awaiting["label"]!.GetValue<string>().ShouldBe("Awaiting confirmation");
        awaiting["authorizationCode"]!.GetValue<string>().ShouldBe(code);
        pendingBefore.ShouldBe(2);
        wrong.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await wrong.ShouldBeProblemAsync(HttpStatusCode.Conflict, "CONFIRMATION_CODE_MISMATCH")).ShouldNotBeNull();
        right.StatusCode.ShouldBe(HttpStatusCode.OK, await right.Content.ReadAsStringAsync(Ct));
        confirmed["state"]!.GetValue<string>().ShouldBe("CONFIRMED");
        confirmed["label"]!.GetValue<string>().ShouldBe("Reserved Licenses");
        row["pendingQuantity"]!.GetValue<long>().ShouldBe(0);
        row["reserved"]!.GetValue<long>().ShouldBe(2);
    }

    [Fact]
    public async Task Update_reserved_licenses_issues_a_new_code_for_the_whole_set_which_the_device_confirms_and_the_download_gives_it()
    {
        // Arrange: a confirmed SLR of 2
        await using var sim = await TestSimulator.StartAsync();
        var device = sim.Device("SLR-UPDATE-1");
        await device.InstallAuthorizationAsync(await ReserveAsync(sim, device, 2), Ct);
        (await SendJsonAsync(sim, HttpMethod.Post, PiPath("SLR-UPDATE-1") + "/reservation/confirmation",
            new JsonObject { ["confirmationCode"] = device.ConfirmationCode }.ToJsonString())).Dispose();

        // Act: the whole new set is 3
        using var updated = await SendJsonAsync(sim, HttpMethod.Put, PiPath("SLR-UPDATE-1") + "/reservation",
            $$"""{"licenses":[{"tag":"{{LicensesClient.EnforcedDemo}}","quantity":3}]}""");
        var body = await TestSimulator.ReadJsonAsync(updated);
        var newCode = body["authorizationCode"]!.GetValue<string>();
        var afterUpdate = await EnforcedRowAsync(sim);
        using var download = await sim.Http.GetAsync(PiPath("SLR-UPDATE-1") + "/reservation.xml", Ct);
        var installed = await device.InstallAuthorizationAsync(newCode, Ct);
        using var confirm = await SendJsonAsync(sim, HttpMethod.Post, PiPath("SLR-UPDATE-1") + "/reservation/confirmation",
            new JsonObject { ["confirmationCode"] = device.ConfirmationCode }.ToJsonString());
        var afterConfirm = await EnforcedRowAsync(sim);
        using var tooMany = await SendJsonAsync(sim, HttpMethod.Put, PiPath("SLR-UPDATE-1") + "/reservation",
            $$"""{"licenses":[{"tag":"{{LicensesClient.EnforcedDemo}}","quantity":6}]}""");
        var afterRefusal = await EnforcedRowAsync(sim);

        // Assert
        updated.StatusCode.ShouldBe(HttpStatusCode.OK, body.ToJsonString());
        body["state"]!.GetValue<string>().ShouldBe("IN_TRANSITION");
        body["licenses"]!.AsArray().ShouldHaveSingleItem()!["quantity"]!.GetValue<long>().ShouldBe(3);
        newCode.ShouldStartWith("<specificPLR><authorizationCode>");
        SlrCountOf(newCode).ShouldBe(3, "an update lists every reserved license again, with the new count");
        afterUpdate["reserved"]!.GetValue<long>().ShouldBe(3);
        afterUpdate["available"]!.GetValue<long>().ShouldBe(2);
        afterUpdate["pendingQuantity"]!.GetValue<long>().ShouldBe(3);
        download.StatusCode.ShouldBe(HttpStatusCode.OK);
        download.Content.Headers.ContentDisposition!.FileName!.Trim('"').ShouldBe("slr_SLR-UPDATE-1.txt");
        (await download.Content.ReadAsStringAsync(Ct)).ShouldBe(newCode);
        installed.ShouldBeTrue();
        confirm.StatusCode.ShouldBe(HttpStatusCode.OK);
        afterConfirm["pendingQuantity"]!.GetValue<long>().ShouldBe(0);
        tooMany.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        afterRefusal["reserved"]!.GetValue<long>().ShouldBe(3, "a refused update changes nothing");
    }

    private static int SlrCountOf(string code)
    {
        var start = code.IndexOf("<count>", StringComparison.Ordinal) + "<count>".Length;
        return int.Parse(code[start..code.IndexOf("</count>", start, StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task A_transferred_product_instance_takes_its_use_and_authorizations_to_the_target_virtual_account()
    {
        // Arrange: reports 4 DNA_NWStack, holds a SLAC for 1 enforced license
        await using var sim = await TestSimulator.StartAsync();
        var device = sim.Device("TRANSFER-1");
        await device.EstablishTrustAsync((await sim.CreateTokenAsync())["token"]!.GetValue<string>(), ct: Ct);
        await device.ReportUsageAsync([(LicensesClient.NwStack, 4)]);
        await SubmitAndPollAsync(sim, AuthRequest, Reserve("TRANSFER-1", LicensesClient.EnforcedDemo, 1), "authorizations");

        // Act
        using var moved = await SendJsonAsync(sim, HttpMethod.Post, PiPath("TRANSFER-1") + "/transfer", """{"targetVirtualAccount":"Lab"}""");
        var lab = JsonNode.Parse(await sim.Http.GetStringAsync("/_sim/accounts/example.com/virtual-accounts/Lab/licenses", Ct))!["licenses"]!.AsArray();
        var defaultNw = await sim.RowAsync(LicensesClient.NwStackName);
        var defaultEnforced = await EnforcedRowAsync(sim);
        var events = await sim.Http.GetStringAsync("/_sim/events?type=PI_MOVED", Ct);
        using var again = await SendJsonAsync(sim, HttpMethod.Post, PiPath("TRANSFER-1") + "/transfer", """{"targetVirtualAccount":"Lab"}""");
        using var back = await SendJsonAsync(sim, HttpMethod.Post, PiPath("TRANSFER-1", "Lab") + "/transfer", """{"targetVirtualAccount":"Nowhere"}""");
        using var devices = await sim.PostAsync(TestSimulator.ApiPrefix + "/v1/accounts/example.com/devices", """{"virtualAccounts":["Lab"]}""");
        var listed = (await TestSimulator.ReadJsonAsync(devices))["devices"]!.AsArray().ShouldHaveSingleItem()!;

        // Assert
        moved.StatusCode.ShouldBe(HttpStatusCode.OK, await moved.Content.ReadAsStringAsync(Ct));
        var labNw = lab.Single(l => l!["tag"]!.GetValue<string>() == LicensesClient.NwStack)!;
        labNw["inUse"]!.GetValue<long>().ShouldBe(4);
        labNw["available"]!.GetValue<long>().ShouldBe(-4, "Lab holds no DNA_NWStack");
        labNw["alerts"]!.AsArray().Select(a => a!.GetValue<string>()).ShouldBe(["Insufficient Licenses"]);
        lab.Single(l => l!["tag"]!.GetValue<string>() == LicensesClient.EnforcedDemo)!["reserved"]!.GetValue<long>().ShouldBe(1);
        defaultNw["inUse"]!.GetValue<long>().ShouldBe(0);
        defaultEnforced["available"]!.GetValue<long>().ShouldBe(5);
        events.ShouldContain($"PID:{Pid},SN:TRANSFER-1");
        again.StatusCode.ShouldBe(HttpStatusCode.NotFound, "it is no longer in DEFAULT");
        back.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        listed["virtualAccount"]!.GetValue<string>().ShouldBe("Lab");
    }

    [Fact]
    public async Task A_return_file_as_the_device_saves_it_with_udi_and_return_code_lines_returns_the_reservation()
    {
        // Arrange: a device's own codes cannot be decoded; its saved file names the UDI of each code (seed 000 L3589-3593)
        await using var sim = await TestSimulator.StartAsync();
        var device = sim.Device("RET-FILE-1");
        await device.InstallAuthorizationAsync(await ReserveAsync(sim, device, 2), Ct);
        var held = (await EnforcedRowAsync(sim))["available"]!.GetValue<long>();
        var file = "Enter this return code in Cisco Smart Software Manager portal:\r\n"
            + $"UDI: PID:{Pid},SN:RET-FILE-1\r\n"
            + $"   Return code: {ReturnCode.Generate(Guid.NewGuid(), new UdiRef(Pid, "RET-FILE-1"))}\r\n";

        // Act
        var id = (await sim.UploadRawAsync(Encoding.ASCII.GetBytes(file), "return-code.txt").AcceptedAsync())["id"]!.GetValue<string>();
        var status = await sim.StatusAsync(id, waitUntilFinal: "30");
        var released = (await EnforcedRowAsync(sim))["available"]!.GetValue<long>();

        // Assert
        held.ShouldBe(3);
        status["status"]!.GetValue<string>().ShouldBe("No Errors", status.ToJsonString());
        released.ShouldBe(5);
    }
}
