using System.Net;
using System.Text.Json.Nodes;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Tokens;
using CssmSim.Portal.Tests.Support;
using CssmSim.Testing.Devices;

namespace CssmSim.Portal.Tests;

/// <summary>Removing a product instance in the portal ends what its PIID may do over smart transport (smart-transport.md, issue 18 item 6).</summary>
public sealed class PortalRemovalPiidTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_product_instance_removed_in_the_portal_gets_the_verbatim_400_on_its_next_message_by_piid()
    {
        await using var sim = await PortalHttp.StartAsync();
        var store = sim.Service<ISimulatorStore>();
        var va = (await store.Accounts.FindVirtualAccountAsync("123456", "DEFAULT", Ct))!;
        var account = (await store.Accounts.FindSmartAccountAsync("example.com", Ct))!;
        var token = await sim.Service<TokenService>().CreateAsync(account, va, new TokenRequest("piid", 30, null, true, "test"), Ct);
        var device = new SimulatedProductInstance(sim.Http, "C9800-CL-K9", "PIID-PORTAL-1") { NameByPiid = true };
        (await device.EstablishTrustAsync(token.Token.Token, ct: Ct)).Trusted.ShouldBeTrue();
        var piid = device.TrustCode!.Piid;
        var before = await device.SendAsync("HELLO", new JsonObject(), Ct);

        using var removed = await sim.PostFormAsync($"/portal/product-instances?handler=remove&udi={Uri.EscapeDataString(device.Udi.ToString())}", [],
            "/portal/product-instances");
        var after = await device.SendAsync("HELLO", new JsonObject(), Ct);

        before["status"]!.GetValue<string>().ShouldBe("COMPLETE");
        removed.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        device.LastHttpStatus.ShouldBe(400);
        after.ToJsonString().ShouldBe(
            $$"""{"product_instance_identifier":["The identity for the instance {{piid}} is not valid.Please re-register the instance."]}""");
    }
}
