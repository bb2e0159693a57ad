using System.Net;
using CssmSim.Engine.Authorizations;
using CssmSim.Engine.Storage;
using CssmSim.Portal.Tests.Support;
using CssmSim.Testing.Devices;

namespace CssmSim.Portal.Tests;

/// <summary>Issue 15 in the portal: the reservation label, Enter Confirmation Code, the code download, Transfer, the Insufficient Licenses alert.</summary>
public sealed class RealClientsPortalTests
{
    private const string Enforced = "regid.2020-01.com.cisco.CSSMSIM_ENFORCED_DEMO,1.0_00000000-0000-4000-8000-000000000001";
    private const string NwStack = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896";
    private const string Page = "/portal/product-instances?sa=example.com&va=DEFAULT";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<SimulatedProductInstance> ReservedAsync(PortalHttp sim, string serial)
    {
        var store = sim.Service<ISimulatorStore>();
        var account = (await store.Accounts.FindSmartAccountAsync("example.com", Ct))!;
        var va = (await store.Accounts.FindVirtualAccountAsync(account.Id, "DEFAULT", Ct))!;
        var device = new SimulatedProductInstance(sim.Http, "C8300-1N1S-4T2X", serial);
        var outcome = await sim.Service<AuthorizationService>().ReserveAsync(account, va, new ReservationRequest(device.CreateReservationRequestCode(), false, [(Enforced, 2)]), Ct);
        (await device.InstallAuthorizationAsync(outcome.AuthorizationCode!, Ct)).ShouldBeTrue();
        return device;
    }

    [Fact]
    public async Task A_reserved_instance_awaits_confirmation_until_its_code_is_entered_then_shows_reserved_licenses_and_downloads_its_code()
    {
        await using var sim = await PortalHttp.StartAsync();
        var device = await ReservedAsync(sim, "PORTAL-SLR-1");
        var udi = Uri.EscapeDataString(device.Udi.ToString());
        var before = await sim.PageAsync(Page);

        using var wrong = await sim.PostFormAsync($"{Page}&handler=confirm&udi={udi}", new Dictionary<string, string> { ["confirmationCode"] = "00000000" }, Page);
        var wrongHtml = await PortalHttp.BodyAsync(wrong);
        using var right = await sim.PostFormAsync($"{Page}&handler=confirm&udi={udi}", new Dictionary<string, string> { ["confirmationCode"] = device.ConfirmationCode! }, Page);
        var after = await sim.PageAsync(Page);
        using var download = await sim.PostFormAsync($"{Page}&handler=downloadReservation&udi={udi}", new Dictionary<string, string>(), Page);
        var code = await download.Content.ReadAsStringAsync(Ct);

        before.ShouldContain("(Awaiting confirmation)");
        before.ShouldContain("Enter Confirmation Code");
        before.ShouldContain("Download Reservation Authorization Code");
        wrong.StatusCode.ShouldBe(HttpStatusCode.OK);
        wrongHtml.ShouldContain("is not the confirmation code");
        right.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        after.ShouldContain("(Reserved Licenses)");
        after.ShouldNotContain("(Awaiting confirmation)");
        download.Content.Headers.ContentDisposition!.FileName!.Trim('"').ShouldBe("slr_PORTAL-SLR-1.txt");
        code.ShouldStartWith("<specificPLR><authorizationCode>");
    }

    [Fact]
    public async Task Transfer_moves_an_instance_to_another_virtual_account_and_its_over_use_shows_insufficient_licenses_there()
    {
        await using var sim = await PortalHttp.StartAsync();
        var device = new SimulatedProductInstance(sim.Http, "C9800-CL-K9", "PORTAL-MOVE-1");
        using var tokenReply = await sim.Http.PostAsync("/_sim/accounts/example.com/virtual-accounts/DEFAULT/tokens",
            new StringContent("""{"description":"t","expiresAfterDays":30}""", System.Text.Encoding.UTF8, "application/json"), Ct);
        var idToken = System.Text.Json.Nodes.JsonNode.Parse(await tokenReply.Content.ReadAsStringAsync(Ct))!["token"]!.GetValue<string>();
        (await device.EstablishTrustAsync(idToken, ct: Ct)).Trusted.ShouldBeTrue();
        await device.ReportUsageAsync([(NwStack, 3)], ct: Ct);
        var udi = Uri.EscapeDataString(device.Udi.ToString());

        using var moved = await sim.PostFormAsync($"{Page}&handler=transfer&udi={udi}", new Dictionary<string, string> { ["targetVirtualAccount"] = "Lab" }, Page);
        var lab = await sim.PageAsync("/portal/product-instances?sa=example.com&va=Lab");
        var labLicenses = await sim.PageAsync("/portal/licenses?sa=example.com&va=Lab");
        var defaultLicenses = await sim.PageAsync("/portal/licenses?sa=example.com&va=DEFAULT");

        moved.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        lab.ShouldContain("PORTAL-MOVE-1");
        labLicenses.ShouldContain("Insufficient Licenses", customMessage: "Lab holds no DNA_NWStack, so the 3 in use are a balance of -3");
        labLicenses.ShouldContain("Out of Compliance");
        defaultLicenses.ShouldNotContain("Insufficient Licenses");
    }
}
