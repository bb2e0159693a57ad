using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace CssmSim.Testing.Tests;

/// <summary>Issue 15 items 6 and 9 through the fixture: SLR confirmation and update, product instance transfer.</summary>
public sealed class ReservationManagementTests
{
    private const string Enforced = "regid.2020-01.com.cisco.CSSMSIM_ENFORCED_DEMO,1.0_00000000-0000-4000-8000-000000000001";
    private const string NwStack = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<string> ReserveAsync(CssmSimulator cssm, Devices.SimulatedProductInstance device, long quantity)
    {
        using var http = cssm.CreateClient();
        using var tokenReply = await http.PostAsync("/as/token.oauth2?grant_type=client_credentials&client_id=cssmsim&client_secret=cssmsim", null, Ct);
        var token = JsonNode.Parse(await tokenReply.Content.ReadAsStringAsync(Ct))!["access_token"]!.GetValue<string>();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/services/api/smart-accounts-and-licensing/v1/accounts/example.com/virtual-accounts/DEFAULT/reserve-licenses")
        {
            Content = JsonContent.Create(new JsonObject
            {
                ["reservationRequests"] = new JsonArray(new JsonObject
                {
                    ["reservationCode"] = device.CreateReservationRequestCode(), ["reservationType"] = "SPECIFIC",
                    ["licenses"] = new JsonArray(new JsonObject { ["entitlementTag"] = Enforced, ["quantity"] = quantity }),
                }),
            }),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var reply = await http.SendAsync(request, Ct);
        return JsonNode.Parse(await reply.Content.ReadAsStringAsync(Ct))!["authorizationCodes"]![0]!["authorizationCode"]!.GetValue<string>();
    }

    [Fact]
    public async Task A_reservation_awaits_confirmation_until_the_devices_code_is_entered_and_an_update_asks_for_a_new_one()
    {
        // Arrange
        await using var cssm = await CssmSimulator.StartAsync(ct: Ct);
        var device = cssm.NewProductInstance("C8300-1N1S-4T2X", "FIX-SLR-1");
        (await device.InstallAuthorizationAsync(await ReserveAsync(cssm, device, 2), Ct)).ShouldBeTrue();

        // Act
        var awaiting = await cssm.ProductInstances.ReservationAsync(device, Ct);
        var wrong = await cssm.ProductInstances.ConfirmReservationAsync(device, "00000000", Ct);
        var right = await cssm.ProductInstances.ConfirmReservationAsync(device, device.ConfirmationCode!, Ct);
        var reserved = await cssm.ProductInstances.ReservationAsync(device, Ct);
        var newCode = await cssm.ProductInstances.UpdateReservationAsync(device, [(Enforced, 3)], Ct);
        var updated = await cssm.ProductInstances.ReservationAsync(device, Ct);

        // Assert
        awaiting.ShouldNotBeNull();
        awaiting.Kind.ShouldBe("SLR");
        awaiting.Label.ShouldBe("Awaiting confirmation");
        wrong.ShouldBeFalse();
        right.ShouldBeTrue();
        reserved!.Label.ShouldBe("Reserved Licenses");
        reserved.State.ShouldBe("CONFIRMED");
        updated!.AuthorizationCode.ShouldBe(newCode);
        updated.State.ShouldBe("IN_TRANSITION");
        updated.Licenses.ShouldHaveSingleItem().Count.ShouldBe(3);
        (await device.InstallAuthorizationAsync(newCode, Ct)).ShouldBeTrue();
        (await cssm.ProductInstances.ConfirmReservationAsync(device, device.ConfirmationCode!, Ct)).ShouldBeTrue();
        await Should.ThrowAsync<ArgumentException>(() => cssm.ProductInstances.UpdateReservationAsync(device, [(Enforced, 99)], Ct));
    }

    [Fact]
    public async Task A_product_instance_transfers_to_another_virtual_account_with_its_use()
    {
        await using var cssm = await CssmSimulator.StartAsync(ct: Ct);
        var token = await cssm.Tokens.CreateAsync("DEFAULT");
        var device = cssm.NewProductInstance("C9800-CL-K9", "FIX-MOVE-1");
        (await device.EstablishTrustAsync(token.Value, ct: Ct)).ShouldBeTrusted();
        await device.ReportUsageAsync([(NwStack, 2)], ct: Ct);

        var moved = await cssm.ProductInstances.TransferAsync(device, "Lab", Ct);

        moved.VirtualAccount.ShouldBe("Lab");
        (await cssm.ProductInstances.ListAsync("Lab")).ShouldContain(p => p.Serial == "FIX-MOVE-1");
        (await cssm.ProductInstances.ListAsync("DEFAULT")).ShouldNotContain(p => p.Serial == "FIX-MOVE-1");
        (await cssm.Events.ListAsync()).ShouldContain(e => e.Type == "PI_MOVED");
        await Should.ThrowAsync<ArgumentException>(() => cssm.ProductInstances.TransferAsync(device, "Nowhere", Ct));
    }
}
