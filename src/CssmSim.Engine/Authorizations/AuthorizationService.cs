using CssmSim.Engine.Accounts;
using CssmSim.Engine.Authorizations.Codes;
using CssmSim.Engine.Devices;
using CssmSim.Engine.Events;
using CssmSim.Engine.Ids;
using CssmSim.Engine.Licensing;
using CssmSim.Engine.ProductInstances;
using CssmSim.Engine.Signing;
using CssmSim.Engine.Storage;

namespace CssmSim.Engine.Authorizations;

/// <summary>A SLAC request for one product instance.</summary>
/// <param name="Udi">The product instance.</param>
/// <param name="Entitlements">Tags (dot or comma form) and counts asked for.</param>
/// <param name="Replace"><c>mode: replace</c> sets the counts; <c>add</c> (false) adds to what the device holds.</param>
/// <param name="Confirmed">True for the SLP authrequest API, which has no confirmation step.</param>
public sealed record SlacRequest(Udi Udi, IReadOnlyList<(string Tag, long Count)> Entitlements, bool Replace, bool Confirmed);

/// <summary>An issued SLAC, or the CSSM error code it failed with (nothing debited then).</summary>
public sealed record SlacOutcome(string? ErrorCode, string? ErrorMessage, StoredAuthorization? Authorization, SignedAuthorizationCode? Code)
{
    public bool Succeeded => ErrorCode is null;

    public static SlacOutcome Failed(string code, string message) => new(code, message, null, null);
}

/// <summary>SLACs for a set of product instances (an HA set): all issued, or none and the error.</summary>
public sealed record SlacSetOutcome(CssmError? Error, IReadOnlyList<SlacOutcome> Issued)
{
    public bool Succeeded => Error is null;
}

/// <summary>One reservation request entry (cssm-api.md §Reservations).</summary>
/// <param name="RequestCode">The device's request code.</param>
/// <param name="Universal">PLR (true) or SLR.</param>
/// <param name="Licenses">Tags and counts.</param>
/// <param name="Replace">True for CSSM's "Update Reserved Licenses": <paramref name="Licenses"/> is the whole new set, not an addition.</param>
public sealed record ReservationRequest(string RequestCode, bool Universal, IReadOnlyList<(string Tag, long Count)> Licenses, bool Replace = false);

/// <summary>A product instance's reservation as CSSM's inventory shows it.</summary>
public sealed record ReservationView(StoredAuthorization Authorization)
{
    /// <summary>The label CSSM puts beside a reserved product instance's last contact (seed 002 L2188, seed 000 L1758).</summary>
    public const string ReservedLabel = "Reserved Licenses";
    public const string AwaitingLabel = "Awaiting confirmation";

    public bool Confirmed => Authorization.State == "CONFIRMED";

    /// <summary><c>Reserved Licenses</c> once the device's confirmation code was entered, else <c>Awaiting confirmation</c>.</summary>
    public string Label => Confirmed ? ReservedLabel : AwaitingLabel;
}

/// <summary>A reservation entry's result: the code to give the device, or why it failed (nothing held then).</summary>
public sealed record ReservationOutcome(string? AuthorizationCode, string? ErrorMessage, StoredAuthorization? Authorization)
{
    public bool Succeeded => ErrorMessage is null;
}

/// <summary>The result of a return: the authorizations released and the confirmation code for the device.</summary>
public sealed record ReturnOutcome(string? ErrorCode, string? ErrorMessage, IReadOnlyList<StoredAuthorization> Returned, string? ConfirmationCode)
{
    public bool Succeeded => ErrorCode is null;
}

/// <summary>
/// Smart Licensing Authorization Codes (smart-transport.md §Rules, SLAC): only for enforced or
/// export-controlled licenses, only with a positive balance (checked in the store transaction),
/// export-controlled ones only with the product instance's export permission. A SLAC always lists
/// the full count the device holds for each of its tags, so installing it is idempotent.
/// </summary>
public sealed class AuthorizationService(ISimulatorStore store, TimeProvider clock, Func<DerivedIds> ids, ArtefactSigner signer, EventLog events)
{
    public async Task<SlacOutcome> RequestSlacAsync(SlacRequest request, CancellationToken ct = default)
    {
        var set = await RequestSlacsAsync([request], ct);
        return set.Succeeded ? set.Issued[0] : SlacOutcome.Failed(set.Error!.Code, set.Error.Message);
    }

    /// <summary>
    /// SLACs for several product instances, all or nothing (AUTHORIZATION_REQUEST with <c>scope: all</c>):
    /// every request is checked first, then all are issued in one store transaction on the simulator
    /// clock, and only then are their events written. A refusal leaves the pool, the SLACs they would
    /// replace and the event log as they were.
    /// </summary>
    public async Task<SlacSetOutcome> RequestSlacsAsync(IReadOnlyList<SlacRequest> requests, CancellationToken ct = default)
    {
        var prepared = new List<PreparedSlac>(requests.Count);
        foreach (var request in requests)
        {
            var slac = await PrepareAsync(request, ct);
            if (slac.Error is { } error) return new SlacSetOutcome(error, []);
            prepared.Add(slac);
        }
        var result = await store.Authorizations.IssueAllAsync(prepared.Select(p => p.Issue!).ToList(), ct);
        if (result.RefusedIndex is { } refused)
            return new SlacSetOutcome(new CssmError(CssmCodes.InsufficientLicenses,
                $"not enough {result.ShortTag} in {prepared[refused].Va!.Name}: {Math.Max(0, result.Available)} available"), []);
        await events.AppendAsync(prepared.Select(p => events.Create(EventTypes.SlacIssued, p.Account!.Id, p.Va!.Name, p.Issue!.Udi,
            new { authorization_id = p.Issue.Id, entitlements = p.Issue.Entitlements.Select(w => new { tag = w.Tag, count = w.Count }) })).ToList(), ct);
        return new SlacSetOutcome(null, prepared.Select((p, i) => new SlacOutcome(null, null, result.Issued[i], p.Code)).ToList());
    }

    private sealed record PreparedSlac(CssmError? Error, SmartAccount? Account = null, VirtualAccount? Va = null, AuthorizationIssue? Issue = null,
        SignedAuthorizationCode? Code = null);

    private static PreparedSlac Refuse(string code, string message) => new(new CssmError(code, message));

    /// <summary>Checks one request against the licenses and what the device holds, and signs its SLAC (nothing written).</summary>
    private async Task<PreparedSlac> PrepareAsync(SlacRequest request, CancellationToken ct)
    {
        var pi = await store.Inventory.FindProductInstanceAsync(request.Udi.ToString(), ct);
        if (pi is null) return Refuse(CssmCodes.TrustRequired, $"{request.Udi} is not a known product instance");
        var (account, va) = await store.Accounts.FindByVirtualAccountIdAsync(pi.VirtualAccountId, ct)
            ?? throw new InvalidOperationException("product instance in a vanished virtual account");
        var licenses = (await store.Accounts.ListLicensesAsync(va.Id, ct)).ToDictionary(l => l.Tag, StringComparer.Ordinal);
        var held = (await store.Authorizations.ListActiveAsync(pi.Udi, ct)).Where(a => a.Kind == "SLAC")
            .SelectMany(a => a.Entitlements).GroupBy(e => e.Tag).ToDictionary(g => g.Key, g => g.Sum(e => e.Count));

        if (UdiRef.Problem(pi.Pid, pi.Serial) is { } udiProblem)
            return Refuse(CssmCodes.InvalidMessage, $"{request.Udi} cannot be written in an authorization code: {udiProblem}");
        var wanted = new List<AuthorizedCount>();
        foreach (var (rawTag, count) in request.Entitlements)
        {
            var tag = EntitlementTag.Normalize(rawTag);
            if (count < 1) return Refuse(CssmCodes.InvalidMessage, $"count for {tag} must be at least 1");
            // A code carries 32-bit counts; more could never be in a pool anyway.
            if (count > int.MaxValue || held.GetValueOrDefault(tag) + count > int.MaxValue)
                return Refuse(CssmCodes.InvalidMessage, $"count for {tag} is more than {int.MaxValue}");
            if (!licenses.TryGetValue(tag, out var license)) return Refuse(CssmCodes.UnknownLicense, $"{va.Name} holds no license {tag}");
            if (license.Enforcement == Enforcement.Unenforced)
                return Refuse(CssmCodes.LicenseNotEnforced, $"{tag} is not enforced or export-controlled; it needs no authorization code");
            if (license.Enforcement == Enforcement.ExportControlled && !(pi.TrustExportControlled ?? pi.ExportControlled ?? va.ExportControlledAllowed))
                return Refuse(CssmCodes.ExportControlNotAllowed, $"{request.Udi} is not allowed export-controlled functionality ({tag})");
            var total = request.Replace ? count : held.GetValueOrDefault(tag) + count;
            var existing = wanted.FindIndex(w => w.Tag == tag);
            if (existing >= 0) wanted[existing] = wanted[existing] with { Count = request.Replace ? count : wanted[existing].Count + count };
            else wanted.Add(new AuthorizedCount(tag, total));
        }
        if (wanted.Count == 0) return Refuse(CssmCodes.InvalidMessage, "no entitlements asked for");
        // Tags the device holds but did not name stay authorized: the new SLAC lists them too.
        foreach (var (tag, count) in held.Where(h => wanted.All(w => w.Tag != h.Key))) wanted.Add(new AuthorizedCount(tag, count));

        var now = clock.GetUtcNow();
        var code = SlacCode.Create(Guid.Parse(pi.Piid), new UdiRef(pi.Pid, pi.Serial), now.ToUnixTimeMilliseconds(),
            wanted.Select(e => Entitlement(licenses[e.Tag], e.Count)), signer);
        var id = AuthorizationId.Of(code);
        return new PreparedSlac(null, account, va, new AuthorizationIssue(id.ToString(), "SLAC", pi.Udi, va.Id, wanted, "SLAC",
            request.Confirmed ? "CONFIRMED" : "IN_TRANSITION", now, _ => (code.ToSlacFileXml(), code.ExpectedConfirmationCode)), code);
    }

    /// <summary>
    /// Releases a product instance's SLACs: those a decodable return code names, else (the UDI known from
    /// context) all of them or those holding <paramref name="tags"/>; real devices' codes cannot be decoded.
    /// </summary>
    public Task<ReturnOutcome> ReturnSlacAsync(Udi udi, string? returnCode, IReadOnlyCollection<string>? tags, CancellationToken ct = default) =>
        ReturnForDeviceAsync(udi, returnCode, tags, includeReservations: false, ct);

    /// <summary>
    /// A return with the device known from context (SLP <c>authrequest</c> with a <c>remove_code</c>): like
    /// <see cref="ReturnSlacAsync"/>, but the code may also return the device's SLR or PLR reservation
    /// (cssm-api.md §Reservations: a reservation holds licenses until the device's return code is entered).
    /// </summary>
    public Task<ReturnOutcome> ReturnAnyAsync(Udi udi, string returnCode, CancellationToken ct = default) =>
        ReturnForDeviceAsync(udi, returnCode, null, includeReservations: true, ct);

    private async Task<ReturnOutcome> ReturnForDeviceAsync(Udi udi, string? returnCode, IReadOnlyCollection<string>? tags, bool includeReservations, CancellationToken ct)
    {
        if (returnCode is not null && !ReturnCode.IsWellFormed(returnCode.Trim()))
            return new ReturnOutcome(CssmCodes.UnknownReturnCode, "the return code is not well-formed (eight groups of six and one of three)", [], null);
        var active = (await store.Authorizations.ListActiveAsync(udi.ToString(), ct)).Where(a => a.Kind == "SLAC" || includeReservations).ToList();
        var normalized = tags?.Select(EntitlementTag.Normalize).ToHashSet(StringComparer.Ordinal);
        // A code of ours names one authorization; otherwise the UDI is known from the context, and any
        // well-formed code releases its authorizations (real devices' codes cannot be decoded).
        var named = returnCode is not null && ReturnCode.TryDecode(returnCode.Trim(), new UdiRef(udi.Pid, udi.Serial), out var decoded)
            ? active.Where(a => a.Id == decoded.ToString()).ToList()
            : [];
        var chosen = named.Count > 0 ? named
            : normalized is { Count: > 0 } ? active.Where(a => a.Entitlements.Any(e => normalized.Contains(e.Tag))).ToList()
            : active;
        if (chosen.Count == 0) return new ReturnOutcome(CssmCodes.UnknownReturnCode, $"{udi} holds no authorization to return", [], null);
        await store.Authorizations.ReturnAsync(chosen.Select(a => a.Id).ToList(), clock.GetUtcNow(), ct);
        var owner = await store.Accounts.FindByVirtualAccountIdAsync(chosen[0].VirtualAccountId, ct);
        if (chosen.Where(a => a.Kind == "SLAC").Select(a => a.Id).ToList() is { Count: > 0 } slacs)
            await events.AppendAsync(EventTypes.SlacReturned, owner?.Account.Id, owner?.VirtualAccount.Name, udi.ToString(),
                new { authorization_ids = slacs }, ct);
        foreach (var reservation in chosen.Where(a => a.Kind != "SLAC"))
            await events.AppendAsync(EventTypes.ReservationReturned, owner?.Account.Id, owner?.VirtualAccount.Name, udi.ToString(),
                new { authorization_id = reservation.Id }, ct);
        var proof = returnCode?.Trim() ?? string.Join(",", chosen.Select(a => a.Id));
        return new ReturnOutcome(null, null, chosen, ConfirmationCode.For(proof));
    }

    /// <summary>
    /// Specific (SLR) or universal (PLR) reservation for the device a request code names. An SLR
    /// update lists every license the device holds again, not only the added ones.
    /// </summary>
    public async Task<ReservationOutcome> ReserveAsync(SmartAccount account, VirtualAccount va, ReservationRequest request, CancellationToken ct = default)
    {
        if (!RequestCode.TryParse(request.RequestCode.Trim(), out var parsed, out var problem))
            return new ReservationOutcome(null, $"malformed request code: {problem}", null);
        var udi = new Udi(parsed!.Udi.Pid, parsed.Udi.Serial);
        var pi = await store.Inventory.FindProductInstanceAsync(udi.ToString(), ct);
        if (pi is not null && pi.VirtualAccountId != va.Id)
        {
            var elsewhere = await store.Accounts.FindByVirtualAccountIdAsync(pi.VirtualAccountId, ct);
            var reserved = (await store.Authorizations.ListActiveAsync(pi.Udi, ct)).Any(a => a.Kind is "SLR" or "PLR");
            if (elsewhere is { } other && reserved)
                return new ReservationOutcome(null, $"{udi} is already reserved in Virtual Account '{other.VirtualAccount.Name}' of {other.Account.Domain}; return that reservation first", null);
        }
        var now = clock.GetUtcNow();
        var licenses = (await store.Accounts.ListLicensesAsync(va.Id, ct)).ToDictionary(l => l.Tag, StringComparer.Ordinal);
        var kind = request.Universal ? "PLR" : "SLR";
        var held = (pi is null ? [] : await store.Authorizations.ListActiveAsync(pi.Udi, ct)).Where(a => a.Kind == kind)
            .SelectMany(a => a.Entitlements).GroupBy(e => e.Tag).ToDictionary(g => g.Key, g => g.Sum(e => e.Count));
        var wanted = request.Replace ? [] : held.Select(h => new AuthorizedCount(h.Key, h.Value)).ToList();
        foreach (var (rawTag, count) in request.Licenses)
        {
            var tag = EntitlementTag.Normalize(rawTag);
            if (!licenses.ContainsKey(tag)) return new ReservationOutcome(null, $"unknown license {tag} in {va.Name}", null);
            if (count < 1) return new ReservationOutcome(null, $"quantity for {tag} must be at least 1", null);
            var i = wanted.FindIndex(w => w.Tag == tag);
            if (i >= 0) wanted[i] = wanted[i] with { Count = wanted[i].Count + count };
            else wanted.Add(new AuthorizedCount(tag, count));
            // A code carries 32-bit counts; more could never be in a pool anyway.
            if (wanted.Max(w => w.Count) > int.MaxValue) return new ReservationOutcome(null, $"quantity for {tag} is more than {int.MaxValue}", null);
        }
        if (!request.Universal && wanted.Count == 0) return new ReservationOutcome(null, "a SPECIFIC reservation needs at least one license", null);

        // The product instance is written only once the request is known to be valid, and put back as it was if the pool refuses it.
        var before = pi;
        await store.Inventory.UpsertProductInstanceAsync(ProductInstanceRegistry.Untrusted(udi, pi?.Piid ?? Piids.For(ids(), udi), va.Id, "", pi?.RegisteredAt ?? now, now), ct);
        pi = (await store.Inventory.FindProductInstanceAsync(udi.ToString(), ct))!;

        var udiRef = new UdiRef(pi.Pid, pi.Serial);
        var entitlements = wanted.Select(w => Entitlement(licenses[w.Tag], w.Count)).ToList();
        var code = request.Universal
            ? PlrCode.Create(Guid.Parse(pi.Piid), udiRef, now.ToUnixTimeMilliseconds(), entitlements, signer)
            : SlrCode.Create(Guid.Parse(pi.Piid), udiRef, now.ToUnixTimeMilliseconds(), entitlements, signer);
        var visible = request.Universal ? PlrCode.From(code) : code.ToSlrXml();
        var result = await store.Authorizations.IssueAsync(new AuthorizationIssue(AuthorizationId.Of(code).ToString(), kind, pi.Udi, va.Id, wanted, kind,
            "IN_TRANSITION", now, _ => (request.Universal ? code.ToUniversalPlrXml() : visible, code.ExpectedConfirmationCode), request.RequestCode.Trim()), ct);
        if (result.Authorization is null)
        {
            if (before is null) await store.Inventory.DeleteProductInstanceAsync(udi.ToString(), ct);
            else await store.Inventory.UpsertProductInstanceAsync(before, ct);
            return new ReservationOutcome(null, $"insufficient licenses: {result.ShortTag} has {Math.Max(0, result.Available)} available in {va.Name}", null);
        }
        await events.AppendAsync(EventTypes.ReservationIssued, account.Id, va.Name, pi.Udi,
            new { authorization_id = result.Authorization.Id, kind, entitlements = wanted.Select(w => new { tag = w.Tag, count = w.Count }) }, ct);
        return new ReservationOutcome(visible, null, result.Authorization);
    }

    /// <summary>
    /// A return code entered without device context (control API, return-file upload): it must decode to an
    /// active authorization of ours, whose UDI it must match.
    /// </summary>
    public async Task<ReturnOutcome> ReturnByCodeAsync(string returnCode, CancellationToken ct = default)
    {
        var code = returnCode.Trim();
        if (!ReturnCode.TryDecode(code, out var id, out _))
            return new ReturnOutcome(CssmCodes.UnknownReturnCode, "the return code does not decode to an authorization of this simulator", [], null);
        var authorization = await store.Authorizations.FindAsync(id.ToString(), ct);
        if (authorization is null || authorization.State == "RETURNED" || !Udi.TryParse(authorization.Udi, out var udi)
            || !ReturnCode.Matches(code, new UdiRef(udi.Pid, udi.Serial)))
            return new ReturnOutcome(CssmCodes.UnknownReturnCode, "no active authorization matches this return code", [], null);
        await store.Authorizations.ReturnAsync([authorization.Id], clock.GetUtcNow(), ct);
        var owner = await store.Accounts.FindByVirtualAccountIdAsync(authorization.VirtualAccountId, ct);
        await events.AppendAsync(authorization.Kind == "SLAC" ? EventTypes.SlacReturned : EventTypes.ReservationReturned, owner?.Account.Id,
            owner?.VirtualAccount.Name, authorization.Udi, new { authorization_id = authorization.Id }, ct);
        return new ReturnOutcome(null, null, [authorization], ConfirmationCode.For(code));
    }

    /// <summary>The product instance's active SLR or PLR reservation (the newest), or null.</summary>
    public async Task<ReservationView?> ReservationOfAsync(Udi udi, CancellationToken ct = default) =>
        (await store.Authorizations.ListActiveAsync(udi.ToString(), ct)).Where(a => a.Kind is "SLR" or "PLR")
            .OrderByDescending(a => a.IssuedAt).Select(a => new ReservationView(a)).FirstOrDefault();

    /// <summary>
    /// CSSM's "Update Reserved Licenses": a new authorization code for the changed set (every license listed again),
    /// replacing the old one in one store transaction; it is in transition until the device's confirmation code is
    /// entered (seed 002 L2337, L2445-2504).
    /// </summary>
    public async Task<ReservationOutcome> UpdateReservationAsync(SmartAccount account, VirtualAccount va, Udi udi, IReadOnlyList<(string Tag, long Count)> licenses,
        CancellationToken ct = default)
    {
        var current = await ReservationOfAsync(udi, ct);
        if (current is null || current.Authorization.VirtualAccountId != va.Id)
            return new ReservationOutcome(null, $"{udi} holds no reservation in Virtual Account '{va.Name}'", null);
        if (current.Authorization.Kind != "SLR" || current.Authorization.RequestCode is not { } requestCode)
            return new ReservationOutcome(null, $"only a specific reservation (SLR) can be updated; {udi} holds a {current.Authorization.Kind}", null);
        if (licenses.Count == 0) return new ReservationOutcome(null, "a SPECIFIC reservation needs at least one license", null);
        return await ReserveAsync(account, va, new ReservationRequest(requestCode, false, licenses, Replace: true), ct);
    }

    /// <summary>A device's confirmation code ends its authorization's "in transition" state.</summary>
    public async Task<StoredAuthorization?> ConfirmAsync(Udi udi, string confirmationCode, CancellationToken ct = default)
    {
        var confirmed = await store.Authorizations.ConfirmAsync(udi.ToString(), confirmationCode.Trim().ToLowerInvariant(), clock.GetUtcNow(), ct);
        if (confirmed is not null && await store.Accounts.FindByVirtualAccountIdAsync(confirmed.VirtualAccountId, ct) is { } owner)
            await events.AppendAsync(EventTypes.ConfirmationReceived, owner.Account.Id, owner.VirtualAccount.Name, udi.ToString(),
                new { authorization_id = confirmed.Id, confirmation_code = confirmationCode.Trim() }, ct);
        return confirmed;
    }

    private static CodeEntitlement Entitlement(License license, long count) => new(license.Tag, (int)count, license.DisplayName, license.DisplayName,
        license.Type.ToWire(), license.StartDate?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) ?? "",
        license.EndDate?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) ?? "");
}
