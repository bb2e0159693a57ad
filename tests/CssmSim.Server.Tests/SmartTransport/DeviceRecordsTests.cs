using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CssmSim.Engine.Authorizations.Codes;
using CssmSim.Engine.Signing;
using CssmSim.Server.Tests.Authorizations;
using CssmSim.Server.Tests.Support;
using CssmSim.Testing.Devices;
using Microsoft.Extensions.DependencyInjection;

namespace CssmSim.Server.Tests.SmartTransport;

/// <summary>
/// What real devices record (smart-transport.md §"What real devices record"; issue 18 items 6-10) over HTTP:
/// trust code content, PIIDs, trust sync and SLAC replies, artefact fault effects, partial ACKs.
/// </summary>
public sealed class DeviceRecordsTests
{
    private const string NwStack = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896";
    private const string AirDna = "regid.2017-08.com.cisco.AIR-DNA-A,1.0_b6308627-3ab0-4a11-a3d9-586911a0d790";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(SimulatedProductInstance Device, TrustResult Trust)> TrustedAsync(TestSimulator sim, string serial)
    {
        var device = sim.Device(serial);
        var token = await sim.CreateTokenAsync();
        var trust = await device.EstablishTrustAsync(token["token"]!.GetValue<string>(), ct: Ct);
        trust.Trusted.ShouldBeTrue(trust.Reply.ToJsonString());
        return (device, trust);
    }

    private static async Task AddFaultAsync(TestSimulator sim, string rule)
    {
        using var r = await sim.Http.PostAsync("/_sim/faults", new StringContent(rule, Encoding.UTF8, "application/json"), Ct);
        r.StatusCode.ShouldBe(HttpStatusCode.Created, await r.Content.ReadAsStringAsync(Ct));
    }

    private static async Task ClearFaultsAsync(TestSimulator sim) => (await sim.Http.DeleteAsync("/_sim/faults", Ct)).EnsureSuccessStatusCode();

    /// <summary>The reply that carries the result: the first one, or (OK_POLL, the default for usage on some branches) the poll's.</summary>
    private static async Task<JsonObject> ResultOfAsync(SimulatedProductInstance device, JsonObject reply)
    {
        if (reply["status"]!.GetValue<string>() != "OK_POLL") return reply;
        return await device.PollAsync(long.Parse(reply["poll_id"]!.ToJsonString().Trim('"'), System.Globalization.CultureInfo.InvariantCulture), ct: Ct);
    }

    private static JsonObject DataOf(string artefactXml, string element) => JsonNode.Parse(SignedArtefact.Read(artefactXml, element).Data)!.AsObject();

    [Fact]
    public async Task A_trust_code_carries_not_before_five_minutes_before_issue_type_CSSM_and_the_piid_and_no_not_after()
    {
        await using var sim = await TestSimulator.StartAsync();

        var (_, trust) = await TrustedAsync(sim, "TCF-1");
        var code = DataOf(trust.Reply["data"]!["trust_codes"]![0]!["smart_license"]!.GetValue<string>(), "smartLicenseTrustCode");

        code.ShouldHaveExactKeys("version", "trust_code_id", "piid", "sudi", "smart_account", "virtual_account", "issued_at", "not_before", "type", "token_id", "rum_key");
        code["type"]!.GetValue<string>().ShouldBe("CSSM");
        (code["issued_at"]!.GetValue<long>() - code["not_before"]!.GetValue<long>()).ShouldBe(300_000);
        Guid.TryParse(code["piid"]!.GetValue<string>(), out _).ShouldBeTrue();
    }

    [Fact]
    public async Task A_device_may_name_itself_by_its_piid_instead_of_its_sudi()
    {
        await using var sim = await TestSimulator.StartAsync();
        var (device, _) = await TrustedAsync(sim, "PIID-1");
        device.NameByPiid = true;

        var reply = await ResultOfAsync(device, await device.SendAsync("USAGE_REPORTING", new JsonObject
        {
            ["reports"] = new JsonArray(device.BuildReports([(NwStack, 2)]).Select(r => (JsonNode)new JsonObject { ["payload"] = r.Payload, ["signature"] = r.Signature }).ToArray()),
        }, Ct));

        device.LastHttpStatus.ShouldBe(200);
        reply["status"]!.GetValue<string>().ShouldBe("COMPLETE", reply.ToJsonString());
        var ack = DataOf(reply["data"]!["ack"]!.GetValue<string>(), "smartLicenseRumAck");
        ack["sudi"]!["udi_serial_number"]!.GetValue<string>().ShouldBe("PIID-1");
    }

    [Fact]
    public async Task An_unknown_piid_is_answered_400_with_the_body_real_devices_log_verbatim()
    {
        await using var sim = await TestSimulator.StartAsync();
        const string piid = "0f3c9a8e-1111-4222-8333-444455556666";

        using var r = await sim.Http.PostAsync("/licservice/license", new StringContent(
            $$$"""{"header":{"version":"1.3","type":"USAGE_REPORTING","message_id":"m-1"},"product_instance_identifier":"{{{piid}}}","data":{"reports":[]}}""",
            Encoding.UTF8, "application/json"), Ct);
        var body = await r.Content.ReadAsStringAsync(Ct);

        r.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        body.ShouldBe($$"""{"product_instance_identifier":["The identity for the instance {{piid}} is not valid.Please re-register the instance."]}""");
    }

    [Fact]
    public async Task A_piid_that_names_another_device_than_the_sudi_is_refused_the_same_way()
    {
        await using var sim = await TestSimulator.StartAsync();
        var (first, _) = await TrustedAsync(sim, "PIID-A");
        var (second, _) = await TrustedAsync(sim, "PIID-B");

        using var r = await sim.Http.PostAsync("/licservice/license", new StringContent(new JsonObject
        {
            ["header"] = new JsonObject { ["type"] = "HELLO", ["message_id"] = "m-2" },
            ["sudi"] = new JsonObject { ["udi_pid"] = second.Udi.Pid, ["udi_serial_number"] = second.Udi.Serial },
            ["product_instance_identifier"] = first.TrustCode!.Piid,
            ["data"] = new JsonObject(),
        }.ToJsonString(), Encoding.UTF8, "application/json"), Ct);

        r.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await r.Content.ReadAsStringAsync(Ct)).ShouldContain($"The identity for the instance {first.TrustCode.Piid} is not valid.Please re-register the instance.");
    }

    [Fact]
    public async Task A_product_instance_removed_through_the_control_api_fails_its_next_piid_message_with_400()
    {
        await using var sim = await TestSimulator.StartAsync();
        var (device, _) = await TrustedAsync(sim, "PIID-GONE");
        device.NameByPiid = true;

        using var removed = await sim.Http.DeleteAsync("/_sim/accounts/example.com/virtual-accounts/DEFAULT/product-instances/" + Uri.EscapeDataString(device.Udi.ToString()), Ct);
        var reply = await device.SendAsync("HELLO", new JsonObject(), Ct);

        removed.IsSuccessStatusCode.ShouldBeTrue(await removed.Content.ReadAsStringAsync(Ct));
        device.LastHttpStatus.ShouldBe(400);
        reply.ShouldHaveExactKeys("product_instance_identifier");
    }

    [Fact]
    public async Task A_trust_sync_reply_carries_the_account_names_the_sync_time_and_the_slacs_the_device_holds()
    {
        await using var sim = await TestSimulator.StartAsync();
        var (device, _) = await TrustedAsync(sim, "SYNC-1");
        await device.RequestAuthorizationAsync([(SlacTests.Enforced, 1)], ct: Ct);
        var now = sim.Server.Services.GetRequiredService<TimeProvider>().GetUtcNow().ToUnixTimeMilliseconds();

        var sync = await device.SyncTrustAsync([], Ct);
        var data = sync.Reply["data"]!.AsObject();

        sync.Status.ShouldBe("COMPLETE", sync.Reply.ToJsonString());
        data["smart_account"]!["name"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace();
        data["virtual_account"]!["name"]!.GetValue<string>().ShouldBe("DEFAULT");
        data["sync_time"]!.GetValue<long>().ShouldBeInRange(now, now + 60_000);
        var held = data["authorizations"]!.AsArray().ShouldHaveSingleItem()!;
        held["sudi"]!["udi_serial_number"]!.GetValue<string>().ShouldBe("SYNC-1");
        SlacCode.Parse(held["smart_license"]!.GetValue<string>()).Verify(await device.SigningCertificateAsync(Ct)).ShouldBeTrue();
    }

    [Fact]
    public async Task A_slac_reply_carries_the_policy_in_force_signed()
    {
        await using var sim = await TestSimulator.StartAsync();
        var (device, _) = await TrustedAsync(sim, "SLACPOL-1");

        var reply = await device.RequestAuthorizationAsync([(SlacTests.Enforced, 1)], ct: Ct);
        var policy = reply["data"]!["policy"]!.GetValue<string>();

        reply["status"]!.GetValue<string>().ShouldBe("COMPLETE", reply.ToJsonString());
        SignedArtefact.Read(policy, "smartLicensePolicy").VerifyWith(await device.SigningCertificateAsync(Ct)).ShouldBeTrue();
        DataOf(policy, "smartLicensePolicy")["virtual_account"]!["name"]!.GetValue<string>().ShouldBe("DEFAULT");
        device.InstalledPolicy.ShouldNotBeNull();
    }

    [Theory]
    [InlineData("trustCode", false, true)]
    [InlineData("policy", true, false)]
    public async Task A_corrupt_effect_breaks_only_the_named_artefacts_of_a_trust_reply(string target, bool codeValid, bool policyValid)
    {
        await using var sim = await TestSimulator.StartAsync();
        await AddFaultAsync(sim, $$$"""{"match":{"surface":"smart-transport","operation":"TRUST_ESTABLISHMENT"},"effect":{"corrupt":["{{{target}}}"]}}""");
        var device = sim.Device("CORRUPT-" + target);
        var token = await sim.CreateTokenAsync();

        var trust = await device.EstablishTrustAsync(token["token"]!.GetValue<string>(), ct: Ct);
        var cert = await device.SigningCertificateAsync(Ct);

        SignedArtefact.Read(trust.Reply["data"]!["trust_codes"]![0]!["smart_license"]!.GetValue<string>(), "smartLicenseTrustCode").VerifyWith(cert).ShouldBe(codeValid);
        SignedArtefact.Read(trust.Reply["data"]!["policy"]!.GetValue<string>(), "smartLicensePolicy").VerifyWith(cert).ShouldBe(policyValid);
    }

    [Fact]
    public async Task A_corrupt_slac_effect_breaks_the_slac_of_an_authorization_reply()
    {
        await using var sim = await TestSimulator.StartAsync();
        var (device, _) = await TrustedAsync(sim, "CORRUPT-SLAC");
        await AddFaultAsync(sim, """{"match":{"surface":"smart-transport","operation":"AUTHORIZATION_REQUEST"},"effect":{"corrupt":["slac"]}}""");

        var reply = await device.RequestAuthorizationAsync([(SlacTests.Enforced, 1)], ct: Ct);
        var slac = SlacCode.Parse(reply["data"]!["authorizations"]![0]!["smart_license"]!.GetValue<string>());

        slac.Verify(await device.SigningCertificateAsync(Ct)).ShouldBeFalse();
        SignedArtefact.Read(reply["data"]!["policy"]!.GetValue<string>(), "smartLicensePolicy").VerifyWith(await device.SigningCertificateAsync(Ct)).ShouldBeTrue();
    }

    [Fact]
    public async Task A_clock_skew_effect_shifts_every_time_an_ack_states_and_signs_it_again()
    {
        await using var sim = await TestSimulator.StartAsync();
        var (device, _) = await TrustedAsync(sim, "SKEW-ACK");
        var now = sim.Server.Services.GetRequiredService<TimeProvider>().GetUtcNow().ToUnixTimeMilliseconds();
        await AddFaultAsync(sim, """{"match":{"surface":"smart-transport","operation":"USAGE_REPORTING"},"effect":{"clockSkewMs":7200000}}""");

        var reply = await ResultOfAsync(device, await device.SendAsync("USAGE_REPORTING", new JsonObject
        {
            ["reports"] = new JsonArray(device.BuildReports([(NwStack, 1)]).Select(r => (JsonNode)new JsonObject { ["payload"] = r.Payload, ["signature"] = r.Signature }).ToArray()),
        }, Ct));
        var file = reply["data"]!["ack"]!.GetValue<string>();
        var cert = await device.SigningCertificateAsync(Ct);

        SignedArtefact.Read(file, "smartLicenseRumAck").VerifyWith(cert).ShouldBeTrue("skewed artefacts are signed again");
        DataOf(file, "smartLicenseRumAck")["timestamp"]!.GetValue<long>().ShouldBeGreaterThanOrEqualTo(now + 7_200_000);
        DataOf(file, "smartLicensePolicy")["issued_at"]!.GetValue<long>().ShouldBeGreaterThan(now + 3_600_000);
    }

    [Fact]
    public async Task A_partial_ack_leaves_the_picked_reports_out_and_acknowledges_them_when_sent_again()
    {
        await using var sim = await TestSimulator.StartAsync();
        var (device, _) = await TrustedAsync(sim, "PARTIAL-1");
        await AddFaultAsync(sim, new JsonObject
        {
            ["match"] = new JsonObject { ["surface"] = "smart-transport", ["operation"] = "USAGE_REPORTING" },
            ["effect"] = new JsonObject { ["ack"] = new JsonObject { ["reports"] = new JsonObject { ["tag"] = AirDna } } },
        }.ToJsonString());
        var built = device.BuildReports([(NwStack, 1), (AirDna, 2), (AirDna, 3)]);
        JsonObject Body() => new() { ["reports"] = new JsonArray(built.Select(r => (JsonNode)new JsonObject { ["payload"] = r.Payload, ["signature"] = r.Signature.DeepClone() }).ToArray()) };

        var first = await ResultOfAsync(device, await device.SendAsync("USAGE_REPORTING", Body(), Ct));
        await ClearFaultsAsync(sim);
        var again = await ResultOfAsync(device, await device.SendAsync("USAGE_REPORTING", Body(), Ct));

        var firstAcks = DataOf(first["data"]!["ack"]!.GetValue<string>(), "smartLicenseRumAck")["acknowledgements"]!.AsArray();
        firstAcks.Select(a => (a!["report_id"]!.ToJsonString(), a["status"]!.GetValue<string>())).ShouldBe([(built[0].ReportId, "ACKED")]);
        var againAcks = DataOf(again["data"]!["ack"]!.GetValue<string>(), "smartLicenseRumAck")["acknowledgements"]!.AsArray();
        againAcks.Select(a => a!["status"]!.GetValue<string>()).ShouldBe(["ACKED", "ACKED", "ACKED"]);
    }

    [Fact]
    public async Task A_partial_ack_with_a_status_marks_only_the_first_count_of_the_picked_reports()
    {
        await using var sim = await TestSimulator.StartAsync();
        var (device, _) = await TrustedAsync(sim, "PARTIAL-2");
        await AddFaultAsync(sim, """{"match":{"surface":"smart-transport","operation":"USAGE_REPORTING"},"effect":{"ack":{"reportStatus":"DROPPED","reports":{"udi":"PARTIAL-2","count":2}}}}""");

        var reply = await ResultOfAsync(device, await device.SendAsync("USAGE_REPORTING", new JsonObject
        {
            ["reports"] = new JsonArray(device.BuildReports([(NwStack, 1), (NwStack, 2), (AirDna, 3)]).Select(r => (JsonNode)new JsonObject { ["payload"] = r.Payload, ["signature"] = r.Signature }).ToArray()),
        }, Ct));

        DataOf(reply["data"]!["ack"]!.GetValue<string>(), "smartLicenseRumAck")["acknowledgements"]!.AsArray().Select(a => a!["status"]!.GetValue<string>())
            .ShouldBe(["DROPPED", "DROPPED", "ACKED"]);
    }

    [Theory]
    [InlineData("""{"corrupt":["signature"]}""", "effect.corrupt")]
    [InlineData("""{"corrupt":[]}""", "effect.corrupt")]
    [InlineData("""{"corrupt":["policy"],"error":"X"}""", "effect")]
    [InlineData("""{"ack":{"reports":{"count":0}}}""", "effect.ack.reports.count")]
    [InlineData("""{"ack":{"reports":{"serial":"x"}}}""", "effect.ack.reports.serial")]
    public async Task A_bad_artefact_or_partial_ack_effect_is_refused_naming_the_field(string effect, string field)
    {
        await using var sim = await TestSimulator.StartAsync();

        using var r = await sim.Http.PostAsync("/_sim/faults", new StringContent($$"""{"match":{"surface":"smart-transport"},"effect":{{effect}}}""", Encoding.UTF8, "application/json"), Ct);
        var body = await r.Content.ReadAsStringAsync(Ct);

        r.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        body.ShouldContain($"\"{field}\"");
    }

    [Fact]
    public async Task Artefact_and_partial_ack_effects_read_back_as_they_were_given()
    {
        await using var sim = await TestSimulator.StartAsync();
        await AddFaultAsync(sim, """{"id":"c","match":{"surface":"smart-transport"},"effect":{"corrupt":["policy","slac"]}}""");
        await AddFaultAsync(sim, """{"id":"p","match":{"surface":"smart-transport"},"effect":{"ack":{"reportStatus":"REMOVED","reports":{"udi":"SN1","tag":"t","count":1}}}}""");

        var c = JsonNode.Parse(await sim.Http.GetStringAsync("/_sim/faults/c", Ct))!;
        var p = JsonNode.Parse(await sim.Http.GetStringAsync("/_sim/faults/p", Ct))!;

        c["effect"]!.ToJsonString().ShouldBe("""{"corrupt":["policy","slac"]}""");
        p["effect"]!.ToJsonString().ShouldBe("""{"ack":{"reportStatus":"REMOVED","reports":{"udi":"SN1","tag":"t","count":1}}}""");
    }
}
