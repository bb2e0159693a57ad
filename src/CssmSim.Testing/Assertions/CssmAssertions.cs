using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Engine.Signing;
using CssmSim.Engine.Trust;
using CssmSim.Testing.Devices;

namespace CssmSim.Testing;

/// <summary>
/// Assertions over what devices got back and what the simulator holds. They need no assertion
/// library; a failure throws <see cref="CssmAssertionException"/> saying what was expected, what
/// came back, and the reply or journal entries behind it.
/// </summary>
public static class CssmAssertions
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// The request was answered <c>COMPLETE</c> with trust codes whose signatures verified with the
    /// simulator's signing certificate; with <paramref name="signedBy"/>, each is verified again here
    /// against that simulator's certificate.
    /// </summary>
    public static TrustResult ShouldBeTrusted(this TrustResult result, CssmSimulator? signedBy = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Status != "COMPLETE")
            throw Fail($"expected trust, but CSSM answered {Describe(result)}", result.Reply);
        if (result.TrustCodes.Count == 0)
            throw Fail("expected trust, but the COMPLETE reply carried no trust code", result.Reply);
        if (result.TrustCodes.FirstOrDefault(c => !c.SignatureValid) is { } bad)
            throw Fail($"expected trust, but the trust code for {bad.Udi} ({bad.TrustCodeId}) did not verify with the simulator's signing certificate", result.Reply);
        if (signedBy is not null)
        {
            foreach (var code in result.TrustCodes) code.ShouldBeSignedBy(signedBy);
        }
        return result;
    }

    /// <summary>The request failed with <paramref name="errorCode"/> (e.g. <c>TOKEN_EXPIRED</c>) in <c>error.code</c>.</summary>
    public static TrustResult ShouldFailWith(this TrustResult result, string errorCode)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentException.ThrowIfNullOrWhiteSpace(errorCode);
        if (result.Status == "COMPLETE" || result.ErrorCode != errorCode)
            throw Fail($"expected the trust request to fail with {errorCode}, but CSSM answered {Describe(result)}", result.Reply);
        return result;
    }

    /// <summary>The request failed with <paramref name="error"/>.</summary>
    public static TrustResult ShouldFailWith(this TrustResult result, CssmError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return result.ShouldFailWith(error.Code);
    }

    /// <summary>The trust code's signature verifies with <paramref name="simulator"/>'s signing certificate.</summary>
    public static InstalledTrustCode ShouldBeSignedBy(this InstalledTrustCode code, CssmSimulator simulator)
    {
        ArgumentNullException.ThrowIfNull(code);
        ArgumentNullException.ThrowIfNull(simulator);
        var artefact = SignedArtefact.Read(code.File, TrustService.TrustCodeElement);
        if (!artefact.VerifyWith(simulator.SigningCertificatePem))
            throw new CssmAssertionException($"expected the trust code for {code.Udi} ({code.TrustCodeId}) to be signed by the simulator at {simulator.BaseAddress}, "
                + $"but its {artefact.Algorithm} signature (key {artefact.KeyId}) does not verify with that simulator's signing certificate\nfile: {code.File}");
        return code;
    }

    /// <summary>
    /// The usage report was answered <c>COMPLETE</c> with an ACK whose signature verified and which
    /// marks every report sent <c>ACKED</c>.
    /// </summary>
    public static UsageReportResult ShouldBeAcknowledged(this UsageReportResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Status != "COMPLETE" || result.Ack is null)
            throw Fail($"expected an ACK, but CSSM answered status {(result.Status.Length == 0 ? "(none)" : result.Status)}"
                + (result.ErrorCode is null ? "" : $", error {result.ErrorCode}") + (result.ErrorMessage is null ? "" : $" \"{result.ErrorMessage}\""), result.Reply);
        if (!result.Ack.SignatureValid)
            throw Fail($"expected an ACK, but ACK {result.Ack.AckId} did not verify with the simulator's signing certificate", result.Reply);
        var notAcked = result.ReportIds.Where(id => !result.Ack.ReportStatuses.TryGetValue(id, out var s) || s != "ACKED").ToList();
        if (notAcked.Count > 0)
            throw Fail($"expected every report ACKED, but ACK {result.Ack.AckId} says: "
                + string.Join(", ", notAcked.Select(id => $"{id} {(result.Ack.ReportStatuses.TryGetValue(id, out var s) ? s : "missing")}")), result.Reply);
        return result;
    }

    /// <summary>Every device of the fleet got a verified trust code.</summary>
    public static FleetTrustResult ShouldAllBeTrusted(this FleetTrustResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Failed.Count == 0) return result;
        var first = result.Failed[0];
        throw Fail($"expected all {result.Count} devices to be trusted, but {result}; first failure, {first.Device.Udi}: {Describe(first.Result)}", first.Result.Reply);
    }

    /// <summary>
    /// The journal holds requests of <paramref name="operation"/>: exactly <paramref name="count"/> of
    /// them, or at least one when <paramref name="count"/> is null. Returns them.
    /// </summary>
    public static IReadOnlyList<JournaledRequest> ShouldContain(this SimulatorJournal journal, Operation operation, int? count = null)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return journal.ShouldContain(new JournalQuery(operation), count);
    }

    /// <summary>The journal holds requests matching <paramref name="query"/>: exactly <paramref name="count"/>, or at least one.</summary>
    public static IReadOnlyList<JournaledRequest> ShouldContain(this SimulatorJournal journal, JournalQuery query, int? count = null)
    {
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(query);
        var found = journal.Where(query);
        var ok = count is { } n ? found.Count == n : found.Count > 0;
        if (!ok)
            throw new CssmAssertionException($"expected {(count is { } c ? c.ToString(System.Globalization.CultureInfo.InvariantCulture) : "at least one")} journal "
                + $"{(count == 1 ? "entry" : "entries")} of {query}, but found {found.Count}" + JournalText.Describe(found, journal.Entries));
        return found;
    }

    /// <summary>The journal holds no request of <paramref name="operation"/>.</summary>
    public static void ShouldNotContain(this SimulatorJournal journal, Operation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        journal.ShouldContain(new JournalQuery(operation), 0);
    }

    /// <summary>
    /// Reads the token again and checks it has given trust <paramref name="uses"/> times (a token's
    /// uses change after it is read, so this asks the simulator rather than the snapshot).
    /// </summary>
    public static async Task<RegistrationToken> ShouldHaveUsesAsync(this RegistrationToken token, int uses, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        var now = await token.RefreshAsync(ct);
        if (now.Uses != uses)
            throw new CssmAssertionException($"expected {token.Id} to have {uses} use{(uses == 1 ? "" : "s")}, but it has {now.Uses} (now: {now})");
        return now;
    }

    /// <summary>The simulator's inventory holds the device with trust (in <paramref name="virtualAccount"/>, when given).</summary>
    public static async Task<ProductInstanceInfo> ShouldHaveTrustedAsync(this SimulatorProductInstances inventory, SimulatedProductInstance device,
        string? virtualAccount = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(device);
        var found = await inventory.FindAsync(device, ct) ?? throw new CssmAssertionException($"expected product instance {device.Udi} in the inventory, but CSSM does not know it");
        if (!found.Trusted) throw new CssmAssertionException($"expected {device.Udi} to have trust, but it has none (in {found.SmartAccount}/{found.VirtualAccount})");
        if (virtualAccount is not null && found.VirtualAccount != virtualAccount)
            throw new CssmAssertionException($"expected {device.Udi} in Virtual Account '{virtualAccount}', but it is in '{found.VirtualAccount}'");
        return found;
    }

    private static string Describe(TrustResult r) =>
        $"status {(r.Status.Length == 0 ? "(none)" : r.Status)}" + (r.ErrorCode is null ? "" : $", error {r.ErrorCode}") + (r.ErrorMessage is null ? "" : $" \"{r.ErrorMessage}\"");

    private static CssmAssertionException Fail(string message, JsonObject reply) => new(message + "\nreply: " + Abbreviate(reply));

    // Signed files are long and say little in a failure message: show their start only.
    private static string Abbreviate(JsonObject reply)
    {
        var copy = (JsonObject)reply.DeepClone();
        Shorten(copy);
        return copy.ToJsonString(Indented);
    }

    private static void Shorten(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var key in o.Select(kv => kv.Key).ToList())
                {
                    if (o[key] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 200) o[key] = s[..120] + $"... ({s.Length} chars)";
                    else Shorten(o[key]);
                }
                break;
            case JsonArray a:
                foreach (var item in a) Shorten(item);
                break;
        }
    }
}
