using System.Text.Json.Nodes;
using CssmSim.Testing.Devices;

namespace CssmSim.Testing.Tests;

/// <summary>
/// The simulated product instance verifies what it installs and logs failures as real devices do
/// (seed 000 L5876-5883, L5911, L6149), and keeps reports no ACK acknowledged (seed 000 L4321).
/// </summary>
public sealed class DeviceInstallTests
{
    private const string NetworkStack = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896";
    private const string AirDna = "regid.2017-08.com.cisco.AIR-DNA-A,1.0_b6308627-3ab0-4a11-a3d9-586911a0d790";
    private const string Enforced = "CSSMSIM_ENFORCED_DEMO";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<SimulatedProductInstance> TrustedAsync(CssmSimulator cssm, string serial)
    {
        var token = await cssm.Tokens.CreateAsync(ct: Ct);
        var device = cssm.NewProductInstance("C9800-CL-K9", serial);
        (await device.EstablishTrustAsync(token.Value, ct: Ct)).ShouldBeTrusted();
        return device;
    }

    /// <summary>Reports and reads the ACK, following the poll when the reply is OK_POLL (the default on some branches).</summary>
    private static async Task<ReceivedAck> ReportAsync(SimulatedProductInstance device, IEnumerable<(string Tag, long Count)> usage)
    {
        var result = await device.ReportUsageAsync(usage, ct: Ct);
        if (result.Ack is { } ack) return ack;
        result.Status.ShouldBe("OK_POLL", result.Reply.ToJsonString());
        var polled = await device.PollAsync(long.Parse(result.Reply["poll_id"]!.ToJsonString().Trim('"'), System.Globalization.CultureInfo.InvariantCulture), ct: Ct);
        return await device.ImportAckAsync(polled["data"]!["ack"]!.GetValue<string>(), Ct);
    }

    [Fact]
    public async Task A_corrupt_trust_code_is_not_installed_and_the_device_logs_TRUST_CODE_INSTALL_FAILED()
    {
        await using var cssm = await CssmSimulator.StartAsync(ct: Ct);
        await cssm.Faults.AddAsync(Fault.On(Operation.TrustEstablishment).Corrupt(Artefact.TrustCode), Ct);
        var token = await cssm.Tokens.CreateAsync(ct: Ct);
        var device = cssm.NewProductInstance("C9800-CL-K9", "BADTRUST1");

        var trust = await device.EstablishTrustAsync(token.Value, ct: Ct);

        trust.Status.ShouldBe("COMPLETE");
        device.TrustCode.ShouldBeNull();
        device.InstallFailures.ShouldHaveSingleItem().ShouldBe(new InstallFailure("TRUST_CODE_INSTALL_FAILED", device.Udi, "A signature mismatch"));
        device.InstalledPolicy.ShouldNotBeNull("the policy itself verified");
    }

    [Fact]
    public async Task A_corrupt_policy_is_not_installed_and_the_device_logs_POLICY_INSTALL_FAILED_while_its_trust_code_installs()
    {
        await using var cssm = await CssmSimulator.StartAsync(ct: Ct);
        await cssm.Faults.AddAsync(Fault.On(Operation.TrustEstablishment).Corrupt(Artefact.Policy), Ct);
        var token = await cssm.Tokens.CreateAsync(ct: Ct);
        var device = cssm.NewProductInstance("C9800-CL-K9", "BADPOL1");

        await device.EstablishTrustAsync(token.Value, ct: Ct);

        device.TrustCode.ShouldNotBeNull();
        device.InstalledPolicy.ShouldBeNull();
        device.InstallFailures.ShouldHaveSingleItem().ToString().ShouldBe($"%SMART_LIC-3-POLICY_INSTALL_FAILED: {device.Udi}: A signature mismatch");
    }

    [Fact]
    public async Task A_corrupt_policy_in_an_ack_is_logged_as_POLICY_INSTALL_FAILED()
    {
        await using var cssm = await CssmSimulator.StartAsync(ct: Ct);
        var device = await TrustedAsync(cssm, "BADPOL2");
        await cssm.Faults.AddAsync(Fault.On(Operation.UsageReporting).Corrupt(Artefact.Policy), Ct);

        var ack = await ReportAsync(device, [(NetworkStack, 1)]);

        ack.SignatureValid.ShouldBeTrue("only the policy was corrupted");
        device.InstallFailures.ShouldHaveSingleItem().Message.ShouldBe(InstallFailure.PolicyInstallFailed);
    }

    [Fact]
    public async Task A_corrupt_slac_is_not_installed_and_the_device_logs_AUTHORIZATION_INSTALL_FAILED()
    {
        await using var cssm = await CssmSimulator.StartAsync(ct: Ct);
        var device = await TrustedAsync(cssm, "BADSLAC1");
        await cssm.Faults.AddAsync(Fault.On(Operation.AuthorizationRequest).Corrupt(Artefact.Slac), Ct);

        var reply = await device.RequestAuthorizationAsync([(Enforced, 1)], ct: Ct);

        reply["status"]!.GetValue<string>().ShouldBe("COMPLETE");
        device.Authorization.ShouldBeNull();
        device.InstallFailures.ShouldHaveSingleItem().ShouldBe(new InstallFailure(InstallFailure.AuthorizationInstallFailed, device.Udi, InstallFailure.SignatureMismatch));
    }

    [Fact]
    public async Task Artefacts_dated_two_hours_ahead_fail_with_a_timestamp_mismatch()
    {
        await using var cssm = await CssmSimulator.StartAsync(ct: Ct);
        await cssm.Faults.AddAsync(Fault.On(Operation.TrustEstablishment).ClockSkew(TimeSpan.FromHours(2)), Ct);
        var token = await cssm.Tokens.CreateAsync(ct: Ct);
        var device = cssm.NewProductInstance("C9800-CL-K9", "SKEW1");

        var trust = await device.EstablishTrustAsync(token.Value, ct: Ct);

        trust.TrustCodes.ShouldHaveSingleItem().SignatureValid.ShouldBeTrue("a skewed artefact is signed again");
        device.TrustCode.ShouldBeNull();
        device.InstallFailures.Select(f => (f.Message, f.Reason)).ShouldBe([
            (InstallFailure.TrustCodeInstallFailed, InstallFailure.TimestampMismatch),
            (InstallFailure.PolicyInstallFailed, InstallFailure.TimestampMismatch),
        ]);
    }

    [Fact]
    public async Task A_skew_within_the_devices_limit_installs_as_usual()
    {
        await using var cssm = await CssmSimulator.StartAsync(ct: Ct);
        await cssm.Faults.AddAsync(Fault.On(Operation.TrustEstablishment).ClockSkew(TimeSpan.FromMinutes(10)), Ct);
        var token = await cssm.Tokens.CreateAsync(ct: Ct);
        var device = cssm.NewProductInstance("C9800-CL-K9", "SKEW2");

        await device.EstablishTrustAsync(token.Value, ct: Ct);

        device.TrustCode.ShouldNotBeNull();
        device.InstallFailures.ShouldBeEmpty();
    }

    [Fact]
    public async Task Reports_left_out_of_a_partial_ack_stay_pending_and_are_acknowledged_when_sent_again()
    {
        await using var cssm = await CssmSimulator.StartAsync(ct: Ct);
        var device = await TrustedAsync(cssm, "PARTIAL1");
        await cssm.Faults.AddAsync(Fault.On(Operation.UsageReporting).PartialAck(tag: "AIR-DNA-A").Times(1), Ct);

        var ack = await ReportAsync(device, [(NetworkStack, 1), (AirDna, 2)]);
        var pending = device.PendingReports.Select(p => p.ReportId).ToList();
        var resent = await device.ResendPendingReportsAsync(ct: Ct);

        ack.ReportStatuses.ShouldBe(new Dictionary<string, string> { [device.SentReportIds[0]] = "ACKED" });
        pending.ShouldBe([device.SentReportIds[1]]);
        resent.ShouldNotBeNull();
        resent.Ack!.ReportStatuses.ShouldBe(new Dictionary<string, string> { [device.SentReportIds[1]] = "ACKED" });
        device.PendingReports.ShouldBeEmpty();
    }

    [Fact]
    public async Task Dropped_and_removed_reports_count_as_answered_and_do_not_stay_pending()
    {
        await using var cssm = await CssmSimulator.StartAsync(ct: Ct);
        var device = await TrustedAsync(cssm, "PARTIAL2");
        await cssm.Faults.AddAsync(Fault.On(Operation.UsageReporting).PartialAck(count: 1, reportStatus: "DROPPED"), Ct);

        var ack = await ReportAsync(device, [(NetworkStack, 1), (NetworkStack, 2)]);

        ack.ReportStatuses.Values.ShouldBe(["DROPPED", "ACKED"]);
        device.PendingReports.ShouldBeEmpty();
        (await device.ResendPendingReportsAsync(ct: Ct)).ShouldBeNull();
    }

    [Fact]
    public async Task A_device_named_by_its_piid_reports_as_usual()
    {
        await using var cssm = await CssmSimulator.StartAsync(ct: Ct);
        var device = await TrustedAsync(cssm, "BYPIID1");
        device.NameByPiid = true;

        var ack = await ReportAsync(device, [(NetworkStack, 4)]);

        device.LastHttpStatus.ShouldBe(200);
        ack.ReportStatuses.Values.ShouldBe(["ACKED"]);
    }

    [Fact]
    public async Task The_fault_builder_writes_the_control_api_json_of_the_new_effects()
    {
        Fault.On(Operation.TrustSync).Corrupt(Artefact.TrustCode, Artefact.Slac).ToJson()["effect"]!.ToJsonString()
            .ShouldBe("""{"corrupt":["trustCode","slac"]}""");
        Fault.On(Operation.UsageReporting).PartialAck(udi: "SN1", tag: "t", count: 2, reportStatus: "REMOVED").ToJson()["effect"]!.ToJsonString()
            .ShouldBe("""{"ack":{"reports":{"udi":"SN1","tag":"t","count":2},"reportStatus":"REMOVED"}}""");
        await Task.CompletedTask;
    }
}
