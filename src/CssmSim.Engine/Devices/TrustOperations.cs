using CssmSim.Engine.ProductInstances;
using CssmSim.Engine.Trust;

namespace CssmSim.Engine.Devices;

/// <summary>
/// TRUST_ESTABLISHMENT as a device sends it. Fields a surface could not read are null: <paramref name="Members"/>
/// null is a malformed <c>ha_udis</c>; <paramref name="Scope"/> is checked here, in CSSM's order.
/// </summary>
public sealed record EstablishTrust(Udi Sender, string Hostname, string? IdToken, string? Scope, bool Force, IReadOnlyList<HaMember>? Members,
    long? SentAtMs);

/// <summary>
/// The trust use cases of a device (smart-transport.md §Rules): establish with a token (local, all
/// or forced, for an HA set), sync an HA set's members, acknowledge a trust code.
/// </summary>
public sealed class TrustOperations(TrustService trust, DeviceGate gate)
{
    /// <summary>
    /// Token looked up (what fault rules match on), the fault question asked, then CSSM's checks in
    /// order: injected error, clock skew, a missing token, the scope and members, then the token rules.
    /// </summary>
    public async Task<TrustOutcome> EstablishAsync(EstablishTrust request, IFaultPoint faults, CancellationToken ct = default)
    {
        var idToken = request.IdToken;
        var probe = string.IsNullOrWhiteSpace(idToken) ? null : await trust.ProbeTokenAsync(idToken, ct);
        var decision = await faults.AskAsync(new FaultQuestion("TRUST_ESTABLISHMENT", probe?.SmartAccount, probe?.VirtualAccount,
            request.Sender.Pid, request.Sender.Serial, probe?.TokenId, idToken, probe?.Limited));
        if (decision?.Effect.Error is { } code) return TrustOutcome.Failed(CssmError.ServerError(code));
        if (gate.SkewProblem(request.SentAtMs) is { } skew) return TrustOutcome.Failed(skew);
        if (string.IsNullOrWhiteSpace(idToken)) return TrustOutcome.Failed(CssmCodes.TokenNotFound, "data.id_token is required");
        var scope = request.Scope ?? "local";
        if (scope is not ("local" or "all")) return TrustOutcome.Failed(CssmError.InvalidMessage("data.scope must be local or all"));
        if (request.Members is null) return TrustOutcome.Failed(MalformedMembers);
        return await trust.EstablishAsync(new TrustRequest(request.Sender, request.Hostname, idToken, scope == "all", request.Force, request.Members),
            decision, probe, ct);
    }

    /// <summary>TRUST_SYNC from an admitted sender: members that lack trust get it in the sender's VA.</summary>
    public Task<TrustOutcome> SyncAsync(Admission admitted, string hostname, IReadOnlyList<HaMember>? members, CancellationToken ct = default) =>
        members is null
            ? Task.FromResult(TrustOutcome.Failed(MalformedMembers))
            : trust.SyncAsync(admitted.Sender.Udi, hostname, members, admitted.Fault, ct);

    /// <summary>TRUST_ACKNOWLEDGEMENT: the device installed the trust code <paramref name="trustCodeId"/>; null when accepted.</summary>
    public async Task<CssmError?> AcknowledgeAsync(DeviceSender sender, string? trustCodeId, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(trustCodeId)) return CssmError.InvalidMessage("data.trust_code_id is required");
        if (!sender.Trusted) return CssmError.TrustRequired($"{sender.Udi} has no trust");
        return await trust.AcknowledgeAsync(sender.Udi, trustCodeId.Trim(), ct)
            ? null
            : CssmError.InvalidMessage($"trust code {trustCodeId} was not issued to {sender.Udi}");
    }

    private static CssmError MalformedMembers => CssmError.InvalidMessage("data.ha_udis must be a list of {role, sudi}");
}
