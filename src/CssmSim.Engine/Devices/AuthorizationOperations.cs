using CssmSim.Engine.Accounts;
using CssmSim.Engine.Authorizations;
using CssmSim.Engine.Authorizations.Codes;
using CssmSim.Engine.ProductInstances;
using CssmSim.Engine.Storage;

namespace CssmSim.Engine.Devices;

/// <summary>
/// AUTHORIZATION_REQUEST as a device sends it. <paramref name="Entitlements"/> null: an item without a tag
/// and a count; <paramref name="Mode"/> and <paramref name="Scope"/> as sent (null for the defaults).
/// </summary>
public sealed record AuthorizationAsk(IReadOnlyList<(string Tag, long Count)>? Entitlements, string? Mode, string? Scope);

/// <summary>One item of an SLP authrequest: SLACs for a UDI, or (no keys and a remove code) the return of its SLACs and reservations.</summary>
public sealed record SlpAuthorizationItem(Udi Udi, string Hostname, IReadOnlyList<(string Tag, long Count)> Keys, string? RemoveCode);

/// <summary>An SLP item's result: the product instance's PIID and the SLAC issued, or why not.</summary>
public sealed record SlpAuthorizationResult(string Piid, CssmError? Error, SignedAuthorizationCode? Code);

/// <summary>
/// The SLAC use cases of a device (smart-transport.md §Rules, SLAC; cssm-api.md §SLP authrequest):
/// request for the sender or its whole HA set (all or nothing, one transaction), confirm, return.
/// </summary>
public sealed class AuthorizationOperations(AuthorizationService authorizations, ISimulatorStore store, ProductInstanceRegistry instances,
    Policies.PolicyService? policies = null)
{
    /// <summary>
    /// The policy file in force for the sender's Virtual Account: a SLAC reply carries it, as a device installs
    /// the policy right after the SLAC (seed 002 L3770-3776); null for a sender in no account.
    /// </summary>
    public async Task<string?> PolicyInForceAsync(DeviceSender sender, CancellationToken ct = default) =>
        policies is not null && sender.Account is { } account && sender.VirtualAccount is { } va ? await policies.GetPolicyFileAsync(account, va, ct) : null;

    /// <summary>The SLAC files <paramref name="udis"/> hold (active, confirmed or in transition), for a trust sync reply.</summary>
    public async Task<IReadOnlyList<(Udi Udi, string File)>> HeldSlacsAsync(IEnumerable<Udi> udis, CancellationToken ct = default)
    {
        var held = new List<(Udi, string)>();
        foreach (var udi in udis.Distinct())
            held.AddRange((await store.Authorizations.ListActiveAsync(udi.ToString(), ct)).Where(a => a.Kind == "SLAC").OrderBy(a => a.IssuedAt)
                .Select(a => (udi, a.CodeXml)));
        return held;
    }

    /// <summary>SLACs for the sender (<c>scope: local</c>) or every member of its HA set (<c>all</c>): all issued or none.</summary>
    public async Task<SlacSetOutcome> RequestAsync(DeviceSender sender, AuthorizationAsk ask, CancellationToken ct = default)
    {
        if (!sender.Trusted) return Refused(CssmError.TrustRequired($"{sender.Udi} has no trust"));
        if (ask.Entitlements is null) return Refused(CssmError.InvalidMessage("data.entitlements items need a tag and a count"));
        if (ask.Entitlements.Count == 0) return Refused(CssmError.InvalidMessage("data.entitlements must list at least one {tag, count}"));
        var mode = ask.Mode ?? "add";
        var scope = ask.Scope ?? "local";
        if (mode is not ("add" or "replace") || scope is not ("local" or "all"))
            return Refused(CssmError.InvalidMessage("data.mode must be add|replace and data.scope local|all"));
        var udis = new List<Udi> { sender.Udi };
        if (scope == "all" && sender.Instance is { HaGroup: { } group } pi)
            udis.AddRange((await store.Inventory.ListProductInstancesAsync([pi.VirtualAccountId], ct)).Where(p => p.HaGroup == group && p.Udi != pi.Udi)
                .Select(p => new Udi(p.Pid, p.Serial)));
        return await authorizations.RequestSlacsAsync(udis.Select(u => new SlacRequest(u, ask.Entitlements, mode == "replace", Confirmed: false)).ToList(), ct);
    }

    /// <summary>AUTHORIZATION_CONFIRMATION: the device's confirmation code ends the SLAC's "in transition" state; null when accepted.</summary>
    public async Task<CssmError?> ConfirmAsync(DeviceSender sender, string? confirmationCode, CancellationToken ct = default)
    {
        if (!sender.Trusted) return CssmError.TrustRequired($"{sender.Udi} has no trust");
        if (string.IsNullOrWhiteSpace(confirmationCode)) return CssmError.InvalidMessage("data.confirmation_code is required");
        return await authorizations.ConfirmAsync(sender.Udi, confirmationCode, ct) is null
            ? CssmError.InvalidMessage($"confirmation code {confirmationCode.Trim()} matches no authorization of {sender.Udi} awaiting confirmation")
            : null;
    }

    /// <summary>AUTHORIZATION_RETURN: the SLACs a return code (or the tags) name go back to the pool.</summary>
    public async Task<ReturnOutcome> ReturnAsync(DeviceSender sender, string? returnCode, IReadOnlyList<string>? tags, CancellationToken ct = default)
    {
        if (!sender.Trusted) return new ReturnOutcome(CssmCodes.TrustRequired, $"{sender.Udi} has no trust", [], null);
        return await authorizations.ReturnSlacAsync(sender.Udi, returnCode, tags, ct);
    }

    /// <summary>
    /// One SLP authrequest item in <paramref name="va"/>: an unknown UDI joins the VA; SLACs are issued
    /// confirmed (this API has no confirmation step), or returned for an item with no keys and a remove code.
    /// </summary>
    public async Task<SlpAuthorizationResult> AuthorizeAsync(VirtualAccount va, SlpAuthorizationItem item, CancellationToken ct = default)
    {
        var pi = await instances.JoinAsync(item.Udi, va, item.Hostname, ct);
        if (item.Keys.Count == 0 && item.RemoveCode is not null)
        {
            // The device's code returns its SLACs and its SLR/PLR reservation alike (cssm-api.md §Reservations).
            var returned = await authorizations.ReturnAnyAsync(item.Udi, item.RemoveCode, ct);
            return new SlpAuthorizationResult(pi.Piid, returned.Succeeded ? null : new CssmError(returned.ErrorCode!, returned.ErrorMessage!), null);
        }
        var outcome = await authorizations.RequestSlacAsync(new SlacRequest(item.Udi, item.Keys, Replace: false, Confirmed: true), ct);
        return new SlpAuthorizationResult(pi.Piid, outcome.Succeeded ? null : new CssmError(outcome.ErrorCode!, outcome.ErrorMessage!), outcome.Code);
    }

    private static SlacSetOutcome Refused(CssmError error) => new(error, []);
}
