using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CssmSim.Server.Tests.Licenses;
using CssmSim.Server.Tests.Support;
using static CssmSim.Server.Tests.RealClients.SlpClient;

namespace CssmSim.Server.Tests.RealClients;

/// <summary>
/// Issue 15 items 5, 7 and 8 through the v1 devices, v1 licenses and v3 summary APIs: per-device consumption
/// is max(reported, authorized), compliance is derived from the accounting, TERM and DEMO licenses expire on
/// the simulator clock.
/// </summary>
public sealed class AccountingTests
{
    private const string Devices = TestSimulator.ApiPrefix + "/v1/accounts/example.com/devices";
    private const string EnforcedName = "Simulated enforced license (demo)";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonObject> DeviceAsync(TestSimulator sim, string serial)
    {
        using var response = await sim.PostAsync(Devices, """{"virtualAccounts":["DEFAULT"],"limit":100,"offset":0}""");
        var body = await TestSimulator.ReadJsonAsync(response);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body.ToJsonString());
        return body["devices"]!.AsArray().Select(d => d!.AsObject()).Single(d => d["sudi"]!["udiSerialNumber"]!.GetValue<string>() == serial);
    }

    private static async Task<JsonObject> SummaryRowAsync(TestSimulator sim, string tag)
    {
        using var response = await sim.PostAsync(LicensesClient.SummaryPath, """{"data":{"timestamp":1700000000000,"nonce":"sum-nonce-01","tags":[]}}""",
            headers: LicensesClient.SummaryHeaders());
        var body = await TestSimulator.ReadJsonAsync(response);
        return body["summary"]!.AsArray().Select(r => r!.AsObject()).Single(r => r["tag"]!.GetValue<string>() == tag);
    }

    private static async Task ClockAsync(TestSimulator sim, string json)
    {
        using var r = await sim.Http.PostAsync("/_sim/clock", new StringContent(json, Encoding.UTF8, "application/json"), Ct);
        r.EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task The_devices_api_lists_a_slac_the_device_holds_before_it_reports_any_use()
    {
        // Arrange: a DNA_HSEC SLAC through SLP authrequest, no usage report
        await using var sim = await TestSimulator.StartAsync();
        await SubmitAndPollAsync(sim, AuthRequest, Reserve("HSEC-DEV-1", LicensesClient.Hsec, 2), "authorizations");

        // Act
        var device = await DeviceAsync(sim, "HSEC-DEV-1");

        // Assert: max(reported 0, authorized 2)
        var usage = device["licenseUsage"]!.AsArray().ShouldHaveSingleItem()!.AsObject();
        usage.ShouldHaveExactKeys("license", "quantity");
        usage["license"]!.GetValue<string>().ShouldBe(LicensesClient.HsecName);
        usage["quantity"]!.GetValue<long>().ShouldBe(2);
        device["status"]!.GetValue<string>().ShouldBe("In Compliance");
    }

    [Fact]
    public async Task The_devices_api_shows_reported_use_when_it_exceeds_the_authorization()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = sim.Device("HSEC-DEV-2");
        await device.EstablishTrustAsync((await sim.CreateTokenAsync())["token"]!.GetValue<string>());
        await SubmitAndPollAsync(sim, AuthRequest, Reserve("HSEC-DEV-2", LicensesClient.EnforcedDemo, 1), "authorizations");
        await device.ReportUsageAsync([(LicensesClient.EnforcedDemo, 3), (LicensesClient.NwStack, 4)]);

        var listed = await DeviceAsync(sim, "HSEC-DEV-2");

        var usage = listed["licenseUsage"]!.AsArray().ToDictionary(u => u!["license"]!.GetValue<string>(), u => u!["quantity"]!.GetValue<long>());
        usage[EnforcedName].ShouldBe(3);
        usage[LicensesClient.NwStackName].ShouldBe(4);
        listed["status"]!.GetValue<string>().ShouldBe("Out of Compliance", "two of the three enforced licenses it uses have no authorization code");
    }

    [Fact]
    public async Task Over_use_makes_the_license_the_summary_and_the_devices_out_of_compliance_with_the_insufficient_licenses_alert()
    {
        // Arrange: 100 DNA_NWStack in the pool, 120 reported by one device
        await using var sim = await TestSimulator.StartAsync();
        var device = sim.Device("OVER-1");
        await device.EstablishTrustAsync((await sim.CreateTokenAsync())["token"]!.GetValue<string>());
        var other = sim.Device("OVER-2");
        await other.EstablishTrustAsync((await sim.CreateTokenAsync())["token"]!.GetValue<string>());
        var beforeRow = await sim.RowAsync(LicensesClient.NwStackName);

        // Act
        await device.ReportUsageAsync([(LicensesClient.NwStack, 120)]);
        var row = await sim.RowAsync(LicensesClient.NwStackName);
        var summary = await SummaryRowAsync(sim, LicensesClient.NwStack);
        var listed = await DeviceAsync(sim, "OVER-1");
        var bystander = await DeviceAsync(sim, "OVER-2");

        // Assert: v1 row key by key (cssm-api.md, plus CSSM's alerts)
        beforeRow["status"]!.GetValue<string>().ShouldBe("In Compliance");
        beforeRow["alerts"]!.AsArray().Count.ShouldBe(0);
        row.ShouldHaveExactKeys("license", "virtualAccount", "quantity", "inUse", "available", "status", "billingType", "pendingQuantity", "reserved",
            "isPortable", "ahaApps", "licenseSubstitutions", "licenseDetails", "alerts");
        row["available"]!.GetValue<long>().ShouldBe(-20);
        row["status"]!.GetValue<string>().ShouldBe("Out of Compliance");
        row["alerts"]!.AsArray().Select(a => a!.GetValue<string>()).ShouldBe(["Insufficient Licenses"]);
        summary["compliance_status"]!.GetValue<string>().ShouldBe("Out of Compliance");
        listed["status"]!.GetValue<string>().ShouldBe("Out of Compliance");
        bystander["status"]!.GetValue<string>().ShouldBe("In Compliance", "it uses nothing of the over-used license");
    }

    [Fact]
    public async Task A_device_that_has_not_reported_for_more_than_90_days_is_out_of_compliance()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = sim.Device("SILENT-1");
        await device.EstablishTrustAsync((await sim.CreateTokenAsync())["token"]!.GetValue<string>());
        await device.ReportUsageAsync([(LicensesClient.NwStack, 1)]);
        var fresh = await DeviceAsync(sim, "SILENT-1");

        await ClockAsync(sim, """{"advance":"P91D"}""");
        var silent = await DeviceAsync(sim, "SILENT-1");

        fresh["status"]!.GetValue<string>().ShouldBe("In Compliance");
        silent["status"]!.GetValue<string>().ShouldBe("Out of Compliance");
    }

    [Fact]
    public async Task A_term_license_past_its_end_date_is_expired_and_leaves_the_pool()
    {
        // Arrange: the default seed's AIR-DNA-A TERM ×100 ends 365 days after the load date
        await using var sim = await TestSimulator.StartAsync();
        await sim.MergeSeedAsync($$"""
            accounts: [{domain: example.com, virtualAccounts: [{name: DEFAULT, licenses: [
              {tag: "regid.2020-02.com.cisco.DEMO_LIC,1.0_00000000-0000-4000-8000-00000000d3d0", displayName: "Demo license", type: DEMO, startDate: "2026-01-01", endDate: "2026-01-31", quantity: 3},
              {tag: "{{LicensesClient.AirDna}}", displayName: "{{LicensesClient.AirDnaName}}", type: TERM, startDate: "2026-01-01", endDate: "2027-01-31", quantity: 100}]}]}]
            """);
        await ClockAsync(sim, """{"set":"2027-01-31T12:00:00Z"}""");
        var lastDay = await sim.RowAsync(LicensesClient.AirDnaName);

        // Act
        await ClockAsync(sim, """{"set":"2027-02-01T00:00:00Z"}""");
        var expired = await sim.RowAsync(LicensesClient.AirDnaName);
        var demo = await sim.RowAsync("Demo license");
        var summary = await SummaryRowAsync(sim, LicensesClient.AirDna);

        // Assert
        lastDay["quantity"]!.GetValue<long>().ShouldBe(100);
        lastDay["licenseDetails"]![0]!["status"]!.GetValue<string>().ShouldBe("ACTIVE");
        expired["quantity"]!.GetValue<long>().ShouldBe(0);
        expired["available"]!.GetValue<long>().ShouldBe(0);
        var detail = expired["licenseDetails"]!.AsArray().ShouldHaveSingleItem()!.AsObject();
        detail.ShouldHaveExactKeys("licenseType", "quantity", "startDate", "endDate", "subscriptionId", "status");
        detail["licenseType"]!.GetValue<string>().ShouldBe("TERM");
        detail["endDate"]!.GetValue<string>().ShouldBe("2027-01-31");
        detail["status"]!.GetValue<string>().ShouldBe("EXPIRED");
        demo["quantity"]!.GetValue<long>().ShouldBe(0);
        demo["licenseDetails"]![0]!["status"]!.GetValue<string>().ShouldBe("EXPIRED");
        summary["entitled"]!.GetValue<long>().ShouldBe(0);
        summary["license_details"]![0]!["status"]!.GetValue<string>().ShouldBe("EXPIRED");
    }

    [Fact]
    public async Task An_expired_term_license_in_use_goes_negative_with_the_alert()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.MergeSeedAsync($$"""
            accounts: [{domain: example.com, virtualAccounts: [{name: DEFAULT, licenses: [
              {tag: "{{LicensesClient.AirDna}}", displayName: "{{LicensesClient.AirDnaName}}", type: TERM, startDate: "2026-01-01", endDate: "2027-01-31", quantity: 100}]}]}]
            """);
        await ClockAsync(sim, """{"set":"2027-01-30T00:00:00Z"}""");
        var device = sim.Device("TERM-USER");
        await device.EstablishTrustAsync((await sim.CreateTokenAsync())["token"]!.GetValue<string>());
        await device.ReportUsageAsync([(LicensesClient.AirDna, 5)]);

        await ClockAsync(sim, """{"advance":"P3D"}""");
        var row = await sim.RowAsync(LicensesClient.AirDnaName);

        row["available"]!.GetValue<long>().ShouldBe(-5);
        row["status"]!.GetValue<string>().ShouldBe("Out of Compliance");
        row["alerts"]!.AsArray().Select(a => a!.GetValue<string>()).ShouldBe(["Insufficient Licenses"]);
    }
}

/// <summary>Issue 15 item 11: trust with a token of another account than the one holding the product instance (seed 000 L6148).</summary>
public sealed class TrustAccountMismatchTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<string[]> SerialsInAsync(TestSimulator sim, string va) =>
        JsonNode.Parse(await sim.Http.GetStringAsync($"/_sim/accounts/example.com/virtual-accounts/{va}/product-instances", Ct))!["productInstances"]!
            .AsArray().Select(p => p!["udi_serial_number"]!.GetValue<string>()).ToArray();

    [Fact]
    public async Task Trust_with_a_token_of_another_virtual_account_is_refused_with_the_guides_reason_and_force_moves_it()
    {
        // Arrange: the Lab Virtual Account holds the product instance (no trust yet); the token is DEFAULT's
        await using var sim = await TestSimulator.StartAsync();
        await sim.MergeSeedAsync("""
            accounts: [{domain: example.com, virtualAccounts: [{name: Lab, productInstances: [{udi_pid: C9800-CL-K9, udi_serial_number: MISMATCH-1}]}]}]
            """);
        var token = await sim.CreateTokenAsync(maxUses: 5);
        var device = sim.Device("MISMATCH-1");

        // Act
        var refused = await device.EstablishTrustAsync(token["token"]!.GetValue<string>(), ct: Ct);
        var usesAfterRefusal = JsonNode.Parse(await sim.Http.GetStringAsync("/_sim/accounts/example.com/virtual-accounts/DEFAULT/tokens", Ct))!["tokens"]!.AsArray()
            .Single(t => t!["tokenId"]!.GetValue<string>() == token["tokenId"]!.GetValue<string>())!["usesCount"]!.GetValue<int>();
        var stillInLab = await SerialsInAsync(sim, "Lab");
        var forced = await device.EstablishTrustAsync(token["token"]!.GetValue<string>(), force: true, ct: Ct);
        var movedToDefault = await SerialsInAsync(sim, "DEFAULT");
        var events = await sim.Http.GetStringAsync("/_sim/events?type=PI_MOVED", Ct);

        // Assert
        refused.Status.ShouldBe("FAILED");
        refused.ErrorCode.ShouldBe("SA_VA_MISMATCH");
        refused.ErrorMessage.ShouldNotBeNull().ShouldContain("Smart Account-Virtual Account mismatch");
        refused.ErrorMessage.ShouldContain("PID:C9800-CL-K9,SN:MISMATCH-1");
        usesAfterRefusal.ShouldBe(0, "a refused request consumes no use");
        stillInLab.ShouldContain("MISMATCH-1");
        forced.Trusted.ShouldBeTrue();
        movedToDefault.ShouldContain("MISMATCH-1");
        events.ShouldContain("PID:C9800-CL-K9,SN:MISMATCH-1");
    }

    [Fact]
    public async Task Trust_with_a_token_of_the_virtual_account_that_holds_the_product_instance_is_granted()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.MergeSeedAsync("""
            accounts: [{domain: example.com, virtualAccounts: [{name: Lab, productInstances: [{udi_pid: C9800-CL-K9, udi_serial_number: MATCH-1}]}]}]
            """);
        var token = await sim.CreateTokenAsync(va: "Lab");

        var result = await sim.Device("MATCH-1").EstablishTrustAsync(token["token"]!.GetValue<string>(), ct: Ct);

        result.Trusted.ShouldBeTrue(result.Reply.ToJsonString());
    }
}
