using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CssmSim.Engine.Authorizations.Codes;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.Authorizations;

/// <summary>SLR and PLR through reserve-licenses, and returns (issue acceptance).</summary>
public sealed class ReservationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(HttpStatusCode Status, JsonObject Body)> ReserveAsync(TestSimulator sim, string va, params JsonObject[] requests)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{TestSimulator.ApiPrefix}/v1/accounts/example.com/virtual-accounts/{va}/reserve-licenses")
        {
            Content = new StringContent(new JsonObject { ["reservationRequests"] = new JsonArray(requests) }.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await sim.TokenAsync());
        using var response = await sim.Http.SendAsync(request, Ct);
        return (response.StatusCode, await TestSimulator.ReadJsonAsync(response));
    }

    private static JsonObject Specific(string requestCode, string tag, object quantity) => new()
    {
        ["reservationCode"] = requestCode,
        ["reservationType"] = "SPECIFIC",
        ["licenses"] = new JsonArray(new JsonObject { ["entitlementTag"] = tag, ["quantity"] = JsonValue.Create(quantity), ["precedence"] = "LONGEST_TERM_FIRST" }),
    };

    private static async Task<long> AvailableAsync(TestSimulator sim, string tag, string va = "DEFAULT")
    {
        var list = JsonNode.Parse(await sim.Http.GetStringAsync($"/_sim/accounts/example.com/virtual-accounts/{va}/licenses", Ct))!["licenses"]!.AsArray();
        return list.Single(l => l!["tag"]!.GetValue<string>() == tag)!["available"]!.GetValue<long>();
    }

    [Fact]
    public async Task A_specific_reservation_gives_an_slr_code_the_device_installs_and_its_return_code_releases()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = sim.Device("SLR-1");
        var requestCode = device.CreateReservationRequestCode();

        var (status, body) = await ReserveAsync(sim, "DEFAULT", Specific(requestCode, SlacTests.Enforced, "2"));
        var entry = body["authorizationCodes"]![0]!;
        var installed = await device.InstallAuthorizationAsync(entry["authorizationCode"]!.GetValue<string>(), Ct);
        var held = await AvailableAsync(sim, SlacTests.Enforced);
        using var returned = await sim.Http.PostAsync("/_sim/accounts/example.com/virtual-accounts/DEFAULT/return-codes",
            new StringContent(new JsonObject { ["returnCode"] = device.ReturnCode() }.ToJsonString(), Encoding.UTF8, "application/json"), Ct);
        var released = await AvailableAsync(sim, SlacTests.Enforced);

        status.ShouldBe(HttpStatusCode.OK);
        body["status"]!.GetValue<string>().ShouldBe("SUCCESS");
        entry.AsObject().ShouldHaveExactKeys("reservationCode", "authorizationCode", "status", "statusMessage");
        entry["reservationCode"]!.GetValue<string>().ShouldBe(requestCode);
        entry["authorizationCode"]!.GetValue<string>().ShouldStartWith("<specificPLR><authorizationCode>");
        installed.ShouldBeTrue();
        held.ShouldBe(3);
        returned.StatusCode.ShouldBe(HttpStatusCode.OK, await returned.Content.ReadAsStringAsync(Ct));
        released.ShouldBe(5);
    }

    [Fact]
    public async Task An_slr_signature_verifies_with_openssl_over_the_exact_authorization_code_bytes()
    {
        Assert.SkipWhen(!File.Exists("/usr/bin/openssl") && !File.Exists("/usr/local/bin/openssl"), "openssl is not installed");
        await using var sim = await TestSimulator.StartAsync();
        var (_, body) = await ReserveAsync(sim, "DEFAULT", Specific(sim.Device("SLR-SSL").CreateReservationRequestCode(), SlacTests.Enforced, 1));
        var slr = body["authorizationCodes"]![0]!["authorizationCode"]!.GetValue<string>();
        var start = slr.IndexOf("<authorizationCode>", StringComparison.Ordinal);
        var end = slr.IndexOf("</authorizationCode>", StringComparison.Ordinal) + "</authorizationCode>".Length;
        var signature = slr[(slr.IndexOf("<signature>", StringComparison.Ordinal) + 11)..slr.IndexOf("</signature>", StringComparison.Ordinal)];
        var dir = Directory.CreateTempSubdirectory("cssmsim-slr-").FullName;
        try
        {
            await File.WriteAllBytesAsync(Path.Combine(dir, "data.bin"), Encoding.UTF8.GetBytes(slr[start..end]), Ct);
            await File.WriteAllBytesAsync(Path.Combine(dir, "sig.bin"), Convert.FromBase64String(signature), Ct);
            await File.WriteAllTextAsync(Path.Combine(dir, "signing.crt"), await sim.Http.GetStringAsync("/_sim/certs/signing.pem", Ct), Ct);

            Run(dir, "x509 -in signing.crt -pubkey -noout -out signing.pub");
            var (code, output) = Run(dir, "dgst -sha256 -verify signing.pub -signature sig.bin data.bin");

            code.ShouldBe(0, output);
            output.ShouldContain("Verified OK");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Updating_a_reservation_lists_every_reserved_license_again()
    {
        await using var sim = await TestSimulator.StartAsync();
        var code = sim.Device("SLR-UPD").CreateReservationRequestCode();
        await ReserveAsync(sim, "DEFAULT", Specific(code, SlacTests.Enforced, 1));

        var (_, body) = await ReserveAsync(sim, "DEFAULT", Specific(code, SlacTests.Hsec, 1));
        var slr = SlrCode.Parse(body["authorizationCodes"]![0]!["authorizationCode"]!.GetValue<string>());

        slr.Content.Entitlements.Select(e => e.Tag).ShouldBe([SlacTests.Hsec, SlacTests.Enforced], ignoreOrder: true);
        (await AvailableAsync(sim, SlacTests.Enforced)).ShouldBe(4, "the update replaced the first reservation, it did not add to it twice");
    }

    [Fact]
    public async Task A_udi_reserved_in_another_virtual_account_is_refused_with_a_clear_message()
    {
        await using var sim = await TestSimulator.StartAsync();
        var code = sim.Device("SLR-TWICE").CreateReservationRequestCode();
        await sim.MergeSeedAsync($"accounts: [{{domain: example.com, virtualAccounts: [{{name: Lab, licenses: [{{tag: \"{SlacTests.Enforced}\", enforcement: enforced, quantity: 5}}]}}]}}]");
        await ReserveAsync(sim, "DEFAULT", Specific(code, SlacTests.Enforced, 1));

        var (status, body) = await ReserveAsync(sim, "Lab", Specific(code, SlacTests.Enforced, 1));

        status.ShouldBe(HttpStatusCode.BadRequest, "every entry failed");
        var entry = body["authorizationCodes"]![0]!;
        entry["status"]!.GetValue<string>().ShouldBe("ERROR");
        entry["authorizationCode"].ShouldBeNull();
        entry["statusMessage"]!.GetValue<string>().ShouldContain("already reserved in Virtual Account 'DEFAULT'");
    }

    [Fact]
    public async Task A_universal_reservation_gives_a_plr_code_of_six_groups_of_six()
    {
        await using var sim = await TestSimulator.StartAsync();

        var (_, body) = await ReserveAsync(sim, "DEFAULT", new JsonObject
        {
            ["reservationCode"] = sim.Device("PLR-1").CreateReservationRequestCode(),
            ["reservationType"] = "UNIVERSAL",
        });

        var code = body["authorizationCodes"]![0]!["authorizationCode"]!.GetValue<string>();
        PlrCode.IsWellFormed(code).ShouldBeTrue(code);
        code.Split('-').ShouldAllBe(g => g.Length == 6);
    }

    [Fact]
    public async Task Entries_fail_on_their_own_and_the_top_level_says_error()
    {
        await using var sim = await TestSimulator.StartAsync();

        var (status, body) = await ReserveAsync(sim, "DEFAULT",
            Specific(sim.Device("OK-1").CreateReservationRequestCode(), SlacTests.Enforced, 1),
            Specific("garbage", SlacTests.Enforced, 1),
            Specific(sim.Device("BIG-1").CreateReservationRequestCode(), SlacTests.Enforced, 99),
            Specific(sim.Device("UNK-1").CreateReservationRequestCode(), "regid.2099-01.com.cisco.NOPE,1.0_00000000-0000-4000-8000-000000000009", 1));

        status.ShouldBe(HttpStatusCode.OK);
        body["status"]!.GetValue<string>().ShouldBe("ERROR");
        var statuses = body["authorizationCodes"]!.AsArray().Select(e => e!["status"]!.GetValue<string>()).ToList();
        statuses.ShouldBe(["SUCCESS", "ERROR", "ERROR", "ERROR"]);
        var messages = body["authorizationCodes"]!.AsArray().Select(e => e!["statusMessage"]!.GetValue<string>()).ToList();
        messages[1].ShouldContain("malformed request code");
        messages[2].ShouldContain("insufficient licenses");
        messages[3].ShouldContain("unknown license");
    }

    [Fact]
    public async Task A_return_code_that_decodes_to_nothing_is_refused()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.Http.PostAsync("/_sim/accounts/example.com/virtual-accounts/DEFAULT/return-codes",
            new StringContent("""{"returnCode":"CqaUPW-WSPYiq-ZNU2ci-SnWydS-hBCXHP-MuyPqy-PJ1GiG-tPTGQj-S2h"}""", Encoding.UTF8, "application/json"), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await TestSimulator.ReadJsonAsync(response))["code"]!.GetValue<string>().ShouldBe("UNKNOWN_RETURN_CODE");
    }

    [Fact]
    public async Task A_device_can_request_confirm_and_return_a_slac_itself()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = sim.Device("SELF-1");
        await device.EstablishTrustAsync((await sim.CreateTokenAsync())["token"]!.GetValue<string>());

        var granted = await device.RequestAuthorizationAsync([(SlacTests.Enforced, 1)]);
        var confirmed = await device.ConfirmAuthorizationAsync(Ct);
        var returned = await device.ReturnAuthorizationAsync(Ct);

        granted["status"]!.GetValue<string>().ShouldBe("COMPLETE");
        confirmed["status"]!.GetValue<string>().ShouldBe("COMPLETE");
        returned["status"]!.GetValue<string>().ShouldBe("COMPLETE");
        (await AvailableAsync(sim, SlacTests.Enforced)).ShouldBe(5);
    }

    private static (int ExitCode, string Output) Run(string dir, string args)
    {
        using var p = Process.Start(new ProcessStartInfo("openssl", args) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }
}
