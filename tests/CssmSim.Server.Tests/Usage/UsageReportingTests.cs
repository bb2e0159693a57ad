using System.Text;
using System.Text.Json.Nodes;
using CssmSim.Server.Tests.Support;
using CssmSim.Testing.Devices;

namespace CssmSim.Server.Tests.Usage;

/// <summary>Smart transport USAGE_REPORTING and the ACK a device gets back.</summary>
public sealed class UsageReportingTests
{
    public const string NwStack = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896";
    public const string AirDna = "regid.2017-08.com.cisco.AIR-DNA-A,1.0_b6308627-3ab0-4a11-a3d9-586911a0d790";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<SimulatedProductInstance> TrustedAsync(TestSimulator sim, string serial)
    {
        var device = sim.Device(serial);
        (await device.EstablishTrustAsync((await sim.CreateTokenAsync())["token"]!.GetValue<string>())).Trusted.ShouldBeTrue();
        return device;
    }

    [Fact]
    public async Task A_trusted_device_gets_a_signed_ack_listing_every_report_with_the_policy_and_account()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = await TrustedAsync(sim, "RUM-1");

        var result = await device.ReportUsageAsync([(NwStack, 3), (AirDna, 7)]);

        result.Acknowledged.ShouldBeTrue(result.Reply.ToJsonString());
        var ack = result.Ack!;
        ack.SignatureValid.ShouldBeTrue();
        ack.ReportStatuses.Keys.ShouldBe(result.ReportIds, ignoreOrder: true);
        ack.ReportStatuses.Values.ShouldAllBe(s => s == "ACKED");
        ack.HasPolicy.ShouldBeTrue();
        ack.SmartAccountDomain.ShouldBe("example.com");
        ack.VirtualAccountName.ShouldBe("DEFAULT");
    }

    [Fact]
    public async Task Report_ids_are_echoed_as_json_numbers_exactly()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = await TrustedAsync(sim, "RUM-NUM");

        var result = await device.ReportUsageAsync([(NwStack, 1)]);
        var ackJson = JsonNode.Parse(Engine.Signing.SignedArtefact.Read(result.Ack!.File, "smartLicenseRumAck").Data)!;

        var reportId = ackJson["acknowledgements"]![0]!["report_id"]!;
        reportId.GetValueKind().ShouldBe(System.Text.Json.JsonValueKind.Number);
        reportId.ToJsonString().ShouldBe(result.ReportIds[0]);
    }

    [Fact]
    public async Task A_report_sent_twice_is_acknowledged_again_and_counted_once_while_a_changed_one_is_dropped()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = await TrustedAsync(sim, "RUM-DUP");
        var (payload, signature, id) = device.BuildReports([(NwStack, 4)])[0];

        var first = await device.ResendAsync(payload, signature, Ct);
        var again = await device.ResendAsync(payload, signature, Ct);
        var changed = await device.ResendAsync(payload.Replace("\"4\"", "\"9\""), signature, Ct);
        var againAck = await device.ImportAckAsync(again["data"]!["ack"]!.GetValue<string>(), Ct);
        var changedAck = await device.ImportAckAsync(changed["data"]!["ack"]!.GetValue<string>(), Ct);
        var events = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/events?type=REPORT_RECEIVED", Ct));

        first["status"]!.GetValue<string>().ShouldBe("COMPLETE");
        againAck.ReportStatuses[id].ShouldBe("ACKED");
        changedAck.ReportStatuses[id].ShouldBe("DROPPED");
        events["events"]!.AsArray().Count.ShouldBe(1, "only the first copy was stored");
    }

    [Fact]
    public async Task Ack_timestamps_rise_strictly_per_device_even_when_the_clock_stands_still()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.Http.PostAsync("/_sim/clock", new StringContent("""{"mode":"frozen"}""", Encoding.UTF8, "application/json"), Ct);
        var device = await TrustedAsync(sim, "RUM-TIME");

        var first = await device.ReportUsageAsync([(NwStack, 1)]);
        var second = await device.ReportUsageAsync([(NwStack, 2)]);

        second.Ack!.Timestamp.ShouldBe(first.Ack!.Timestamp.AddMilliseconds(1));
    }

    [Fact]
    public async Task A_device_without_trust_is_refused_trust_required()
    {
        await using var sim = await TestSimulator.StartAsync();

        var result = await sim.Device("NO-TRUST").ReportUsageAsync([(NwStack, 1)]);

        result.ErrorCode.ShouldBe("TRUST_REQUIRED");
    }

    [Fact]
    public async Task A_known_device_asking_for_trust_in_its_report_gets_a_trust_code_in_the_ack()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.MergeSeedAsync("""
            accounts: [{domain: example.com, virtualAccounts: [{name: DEFAULT, productInstances: [{udi_pid: C9800-CL-K9, udi_serial_number: CSLU-1}]}]}]
            """);
        var device = sim.Device("CSLU-1");

        var result = await device.ReportUsageAsync([(NwStack, 2)], askForTrust: true);

        result.Acknowledged.ShouldBeTrue(result.Reply.ToJsonString());
        result.Ack!.TrustCodeIds.Count.ShouldBe(1);
        device.TrustCode.ShouldNotBeNull();
        device.TrustCode.TokenId.ShouldBeNull();
        (await device.ReportUsageAsync([(NwStack, 3)])).Acknowledged.ShouldBeTrue("the device has trust now");
    }

    [Fact]
    public async Task Ack_fault_effects_mark_reports_leave_out_the_policy_and_corrupt_the_signature()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = await TrustedAsync(sim, "RUM-FAULT");
        await sim.Http.PostAsync("/_sim/faults", new StringContent(
            """{"match":{"surface":"smart-transport","operation":"USAGE_REPORTING"},"effect":{"ack":{"reportStatus":"REMOVED","omitPolicy":true,"corruptSignature":true}}}""",
            Encoding.UTF8, "application/json"), Ct);

        var result = await device.ReportUsageAsync([(NwStack, 1)]);

        result.Ack!.ReportStatuses.Values.ShouldAllBe(s => s == "REMOVED");
        result.Ack.HasPolicy.ShouldBeFalse();
        result.Ack.SignatureValid.ShouldBeFalse();
    }

    [Fact]
    public async Task With_a_polls_transition_the_ack_arrives_by_result_polling()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = await TrustedAsync(sim, "RUM-POLL");
        await sim.Http.PostAsync("/_sim/poll-transitions", new StringContent("""{"action":"acknowledgements","progression":"polls","times":1}""", Encoding.UTF8, "application/json"), Ct);

        var submitted = await device.ReportUsageAsync([(NwStack, 1)], pollForAck: false);
        var polled = await device.AwaitAckAsync(submitted, Ct);

        submitted.Status.ShouldBe("OK_POLL");
        polled.FirstStatus.ShouldBe("OK_POLL");
        polled.Polls.ShouldBe(2, "the first poll is still OK_POLL, the second brings the ACK");
        polled.Status.ShouldBe("COMPLETE");
        polled.Ack!.SignatureValid.ShouldBeTrue();
    }

    [Fact]
    public async Task A_payload_that_is_not_a_rum_report_is_a_business_failure()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = await TrustedAsync(sim, "RUM-BAD");

        var reply = await device.SendAsync("USAGE_REPORTING", new JsonObject { ["reports"] = new JsonArray(new JsonObject { ["payload"] = "not json" }) }, Ct);

        reply["status"]!.GetValue<string>().ShouldBe("FAILED");
        reply["error"]!["code"]!.GetValue<string>().ShouldBe("INVALID_MESSAGE");
    }
}

public sealed class StrictSignatureTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task In_strict_mode_a_report_signed_with_the_devices_rum_key_is_accepted_and_a_forged_one_refused()
    {
        await using var sim = await TestSimulator.StartAsync(o => o.RumStrictSignatures = true);
        var device = sim.Device("STRICT-1");
        await device.EstablishTrustAsync((await sim.CreateTokenAsync())["token"]!.GetValue<string>());
        var (payload, signature, _) = device.BuildReports([(UsageReportingTests.NwStack, 1)])[0];
        var forged = (JsonObject)signature.DeepClone();
        forged["value"] = Convert.ToBase64String(new byte[32]);

        var good = await device.ResendAsync(payload, signature, Ct);
        var bad = await device.ResendAsync(payload.Replace("\"1\"", "\"2\""), forged, Ct);

        good["status"]!.GetValue<string>().ShouldBe("COMPLETE", good.ToJsonString());
        bad["error"]!["code"]!.GetValue<string>().ShouldBe("INVALID_SIGNATURE");
    }

    [Fact]
    public async Task By_default_signatures_are_not_checked_since_real_devices_keys_are_unknown()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = sim.Device("LAX-1");
        await device.EstablishTrustAsync((await sim.CreateTokenAsync())["token"]!.GetValue<string>());
        var (payload, signature, _) = device.BuildReports([(UsageReportingTests.NwStack, 1)])[0];
        signature["value"] = "not-even-base64";

        var reply = await device.ResendAsync(payload, signature, Ct);

        reply["status"]!.GetValue<string>().ShouldBe("COMPLETE");
    }
}
