using System.Text.Json.Nodes;
using CssmSim.Engine.Authorizations.Codes;
using CssmSim.Engine.ProductInstances;
using CssmSim.Engine.Signing;

namespace CssmSim.Testing.Devices;

/// <summary>
/// A failed install as a device logs it (seed 000 L5876-5883, L5911, L6149):
/// <c>%SMART_LIC-3-POLICY_INSTALL_FAILED</c>, <c>AUTHORIZATION_INSTALL_FAILED</c> or <c>TRUST_CODE_INSTALL_FAILED</c>,
/// on <paramref name="Udi"/>, for <paramref name="Reason"/> (<c>A signature mismatch</c>, <c>A timestamp mismatch</c>).
/// </summary>
public sealed record InstallFailure(string Message, Udi Udi, string Reason)
{
    public const string PolicyInstallFailed = "POLICY_INSTALL_FAILED";
    public const string AuthorizationInstallFailed = "AUTHORIZATION_INSTALL_FAILED";
    public const string TrustCodeInstallFailed = "TRUST_CODE_INSTALL_FAILED";
    public const string SignatureMismatch = "A signature mismatch";
    public const string TimestampMismatch = "A timestamp mismatch";

    /// <inheritdoc/>
    public override string ToString() => $"%SMART_LIC-3-{Message}: {Udi}: {Reason}";
}

/// <summary>A RUM report the device sent that no ACK has acknowledged yet (it stays in the device's store, UNACK).</summary>
public sealed record PendingReport(string ReportId, string Payload, JsonObject Signature);

// What a device does with what it installs: verify each artefact (signature against the simulator's
// certificate, time against its own clock), log a failure the way a real device does, and keep
// reports that no ACK acknowledged to send them again.
public sealed partial class SimulatedProductInstance
{
    private readonly List<InstallFailure> _installFailures = [];
    private readonly Dictionary<string, PendingReport> _pending = new(StringComparer.Ordinal);
    private DateTimeOffset? _lastReplyTime;

    /// <summary>
    /// The device's own clock, synchronised with CSSM as the guides ask (NTP). The fixture sets the simulator's
    /// clock; when null the device takes the time of the last reply it read.
    /// </summary>
    public TimeProvider? Clock { get; set; }

    // Communication statistics are stamped with the device's clock (the virtual one under the fixture).
    private DateTimeOffset Now => (Clock ?? TimeProvider.System).GetUtcNow();

    /// <summary>How far an artefact's time may be from the device's clock before it fails with "A timestamp mismatch" (default 1 h, the NX-OS guide's limit).</summary>
    public TimeSpan MaxClockDifference { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Installs that failed, oldest first (what <c>show logging</c> would hold).</summary>
    public IReadOnlyList<InstallFailure> InstallFailures => _installFailures;

    /// <summary>The policy file installed last (from a trust reply, an ACK or a SLAC reply), verified; null before any.</summary>
    public string? InstalledPolicy { get; private set; }

    /// <summary>
    /// Reports <see cref="ReportUsageAsync"/> sent that no ACK has acknowledged yet, in the order they were made
    /// (reports built with <see cref="BuildReports(IEnumerable{ValueTuple{string, long}}, DateTimeOffset?)"/> and sent by the caller are the caller's to track).
    /// </summary>
    public IReadOnlyList<PendingReport> PendingReports => _pending.Values.ToList();

    /// <summary>
    /// Once trusted, name this device by its PIID (<c>product_instance_identifier</c>) instead of <c>sudi</c> in every
    /// message but TRUST_ESTABLISHMENT, as real devices do after registration.
    /// </summary>
    public bool NameByPiid { get; set; }

    /// <summary>The HTTP status of the last smart-transport reply (400 for an unknown or removed PIID).</summary>
    public int LastHttpStatus { get; private set; }

    /// <summary>
    /// Sends every pending report again (USAGE_REPORTING, byte for byte) and reads the ACK, polling as
    /// <see cref="AwaitAckAsync"/> does when the reply is <c>OK_POLL</c>; reports the ACK acknowledges leave
    /// <see cref="PendingReports"/>. Null when nothing is pending.
    /// </summary>
    public async Task<UsageReportResult?> ResendPendingReportsAsync(CancellationToken ct = default)
    {
        var pending = PendingReports;
        if (pending.Count == 0) return null;
        var reports = new JsonArray(pending.Select(p => (JsonNode)new JsonObject { ["payload"] = p.Payload, ["signature"] = p.Signature.DeepClone() }).ToArray());
        return await ReportAndAwaitAckAsync("USAGE_REPORTING", new JsonObject { ["reports"] = reports }, pending.Select(p => p.ReportId).ToList(), pollForAck: true, ct);
    }

    private void KeepPending(string reportId, string payload, JsonObject signature) => _pending[reportId] = new PendingReport(reportId, payload, signature);

    private void NoteReply(int httpStatus, JsonObject reply)
    {
        LastHttpStatus = httpStatus;
        if (reply["header"]?["timestamp"] is JsonValue t && t.TryGetValue<long>(out var ms)) _lastReplyTime = DateTimeOffset.FromUnixTimeMilliseconds(ms);
    }

    private void NameSelf(string type, JsonObject body)
    {
        if (!NameByPiid || TrustCode is null || type == "TRUST_ESTABLISHMENT") return;
        body.Remove("sudi");
        body["product_instance_identifier"] = TrustCode.Piid;
    }

    private DateTimeOffset? DeviceNow => Clock?.GetUtcNow() ?? _lastReplyTime;

    // Dated after the device's clock by more than the limit; with pastToo, before it as well (for fresh artefacts).
    private bool TimeMismatch(long ms, bool pastToo)
    {
        if (DeviceNow is not { } now) return false;
        var difference = DateTimeOffset.FromUnixTimeMilliseconds(ms) - now;
        return difference > MaxClockDifference || (pastToo && -difference > MaxClockDifference);
    }

    private void Fail(string message, Udi udi, string reason) => _installFailures.Add(new InstallFailure(message, udi, reason));

    /// <summary>Checks a trust code for <paramref name="device"/> before it is installed there; false (and a failure logged there) when it must not be.</summary>
    private static bool AcceptTrustCode(SimulatedProductInstance device, InstalledTrustCode code)
    {
        if (!code.SignatureValid)
        {
            device.Fail(InstallFailure.TrustCodeInstallFailed, code.Udi, InstallFailure.SignatureMismatch);
            return false;
        }
        // A trust code is freshly issued: its time must agree with the device's clock either way.
        if (device.TimeMismatch(code.IssuedAt.ToUnixTimeMilliseconds(), pastToo: true))
        {
            device.Fail(InstallFailure.TrustCodeInstallFailed, code.Udi, InstallFailure.TimestampMismatch);
            return false;
        }
        return true;
    }

    /// <summary>Verifies and installs the policy in <paramref name="xml"/> (a policy file, or an ACK or reply holding one); none is no failure.</summary>
    private void InstallPolicyFrom(string? xml, string cert)
    {
        if (string.IsNullOrEmpty(xml) || !xml.Contains("<smartLicensePolicy>", StringComparison.Ordinal)) return;
        var policy = SignedArtefact.ReadAll(xml, "smartLicensePolicy").FirstOrDefault();
        if (policy is null) return;
        if (!policy.VerifyWith(cert))
        {
            Fail(InstallFailure.PolicyInstallFailed, Udi, InstallFailure.SignatureMismatch);
            return;
        }
        // A policy is signed once per version and reused, so only a time ahead of the device's clock is wrong.
        if (JsonNode.Parse(policy.Data)?["issued_at"] is JsonValue at && at.TryGetValue<long>(out var ms) && TimeMismatch(ms, pastToo: false))
        {
            Fail(InstallFailure.PolicyInstallFailed, Udi, InstallFailure.TimestampMismatch);
            return;
        }
        InstalledPolicy = $"<smartLicensePolicy><data>{Convert.ToBase64String(policy.Data)}</data><signature alg=\"{policy.Algorithm}\" keyId=\"{policy.KeyId}\">"
            + $"{Convert.ToBase64String(policy.Signature)}</signature></smartLicensePolicy>";
    }

    /// <summary>Verifies and installs a SLAC (file or ACK element) for this device; false, with the failure logged, when it does not verify.</summary>
    private bool InstallSlac(SignedAuthorizationCode code, string cert)
    {
        if (code.Udi.Pid != Udi.Pid || code.Udi.Serial != Udi.Serial) return false;
        if (!code.Verify(cert))
        {
            Fail(InstallFailure.AuthorizationInstallFailed, Udi, InstallFailure.SignatureMismatch);
            return false;
        }
        // SLACs held since earlier come back on a trust sync: only a time ahead of the clock is wrong.
        if (TimeMismatch(code.Content.TimestampMs, pastToo: false))
        {
            Fail(InstallFailure.AuthorizationInstallFailed, Udi, InstallFailure.TimestampMismatch);
            return false;
        }
        Authorization = code;
        return true;
    }

    /// <summary>What an ACK brings besides report fates: its policy, this device's SLACs; the reports it acknowledges stop being pending.</summary>
    private void InstallFromAck(string file, string cert, bool ackValid, IEnumerable<string> acknowledged)
    {
        if (ackValid)
            foreach (var id in acknowledged) _pending.Remove(id);
        InstallPolicyFrom(file, cert);
        foreach (var element in SlacElements(file))
            if (SlacCode.TryParse(element, out var code, out _)) InstallSlac(code, cert);
    }

    /// <summary>A trust sync reply's SLACs (<c>data.authorizations</c>) for this device, installed after verification.</summary>
    private void InstallSlacsFrom(JsonObject reply, string cert)
    {
        foreach (var item in reply["data"]?["authorizations"] as JsonArray ?? [])
        {
            if (item?["smart_license"] is JsonValue v && v.TryGetValue<string>(out var file) && SlacCode.TryParse(file, out var code, out _))
                InstallSlac(code, cert);
        }
    }

    private static IEnumerable<string> SlacElements(string file)
    {
        const string open = "<smartLicenseAuthorization>", close = "</smartLicenseAuthorization>";
        for (var at = file.IndexOf(open, StringComparison.Ordinal); at >= 0; at = file.IndexOf(open, at + 1, StringComparison.Ordinal))
        {
            var end = file.IndexOf(close, at, StringComparison.Ordinal);
            if (end < 0) yield break;
            yield return file[at..(end + close.Length)];
        }
    }
}
