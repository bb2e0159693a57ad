using System.Text.Json.Nodes;
using CssmSim.Engine.Accounts;
using CssmSim.Engine.Devices;
using CssmSim.Engine.Faults;
using CssmSim.Engine.Ids;
using CssmSim.Engine.Policies;
using CssmSim.Engine.ProductInstances;
using CssmSim.Engine.Signing;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Tokens;

namespace CssmSim.Engine.Trust;

/// <summary>Trust error codes beyond the token and registration ones.</summary>
public static class TrustErrors
{
    /// <summary>
    /// The token's Smart or Virtual Account does not hold the product instance (seed 000 L6148, "Smart Account-Virtual
    /// Account mismatch"); <c>force</c> moves it instead.
    /// </summary>
    public const string AccountMismatch = "SA_VA_MISMATCH";
}

/// <summary>An HA set member named in a trust request.</summary>
public sealed record HaMember(string? Role, Udi Udi);

/// <summary>A trust establishment request (smart-transport.md TRUST_ESTABLISHMENT).</summary>
public sealed record TrustRequest(Udi Sender, string Hostname, string IdToken, bool AllScope, bool Force, IReadOnlyList<HaMember> HaUdis);

/// <summary>A signed trust code file for one UDI, with the RUM key inside it.</summary>
public sealed record TrustCodeFile(Udi Udi, string TrustCodeId, string Piid, string RumKey, string Element)
{
    /// <summary>The standalone file: the element inside <c>&lt;smartLicense&gt;</c>.</summary>
    public string File => SignedArtefact.File(Element);
}

/// <summary>The result of a trust operation: codes, the VA's policy file and the account, or a CSSM error code.</summary>
public sealed record TrustOutcome(
    string? ErrorCode,
    string? ErrorMessage,
    SmartAccount? Account,
    VirtualAccount? VirtualAccount,
    IReadOnlyList<TrustCodeFile> Codes,
    string? PolicyFile)
{
    public bool Succeeded => ErrorCode is null;

    /// <summary>Why it failed, as the device is told.</summary>
    public CssmError? Error => ErrorCode is null ? null : new CssmError(ErrorCode, ErrorMessage!);

    public static TrustOutcome Failed(string code, string message) => new(code, message, null, null, [], null);

    public static TrustOutcome Failed(CssmError error) => Failed(error.Code, error.Message);
}

/// <summary>What a token says before any trust is issued: for fault rules (<c>token</c>, <c>tokenLimited</c>, account).</summary>
public sealed record TokenProbe(string TokenId, bool Limited, string? SmartAccount, string? VirtualAccount)
{
    /// <summary>The token's accounts as read for the probe: the reply reuses them when trust lands in that VA.</summary>
    internal (SmartAccount Account, VirtualAccount VirtualAccount)? Owner { get; init; }
}

/// <summary>
/// Trust establishment (smart-transport.md §Rules): token checks in CSSM's order, one trust code
/// per UDI in scope, UDI_ALREADY_REGISTERED unless forced, one use per request whatever the scope.
/// The checks and the use run in one store transaction; signing happens after it commits.
/// </summary>
public sealed class TrustService(ISimulatorStore store, TimeProvider clock, Func<DerivedIds> ids, ArtefactSigner signer, PolicyService policies, TokenService tokens)
{
    public const string TrustCodeElement = "smartLicenseTrustCode";

    /// <summary>How long before its issue a trust code is valid from (<c>not_before</c>, smart-transport.md).</summary>
    public static readonly TimeSpan NotBeforeMargin = TimeSpan.FromSeconds(300);

    public async Task<TokenProbe?> ProbeTokenAsync(string idToken, CancellationToken ct = default)
    {
        var token = await tokens.FindAsync(idToken, ct);
        if (token is null) return null;
        var owner = await store.Accounts.FindByVirtualAccountIdAsync(token.Token.VirtualAccountId, ct);
        return new TokenProbe(token.Token.Id, token.Token.MaxUses is not null, owner?.Account.Domain, owner?.VirtualAccount.Name) { Owner = owner };
    }

    /// <summary>
    /// TRUST_ESTABLISHMENT with an ID token (a fired fault's error was answered before: see <see cref="Devices.TrustOperations"/>);
    /// <paramref name="fault"/> carries the effects on the codes issued. <paramref name="probe"/>, when the caller already looked the token up (for fault matching), saves reading it again;
    /// the store transaction re-checks it anyway.
    /// </summary>
    public async Task<TrustOutcome> EstablishAsync(TrustRequest request, FaultDecision? fault = null, TokenProbe? probe = null, CancellationToken ct = default)
    {
        var tokenId = probe?.TokenId ?? (await tokens.FindAsync(request.IdToken, ct))?.Token.Id;
        if (tokenId is null) return TrustOutcome.Failed(Refused(TrustRefusal.TokenNotFound, null));
        var targets = new List<TrustTarget> { new(request.Sender.Pid, request.Sender.Serial, request.AllScope ? RoleOf(request.Sender, request.HaUdis) : null) };
        if (request.AllScope) targets.AddRange(request.HaUdis.Select(m => new TrustTarget(m.Udi.Pid, m.Udi.Serial, m.Role)));
        var result = await store.Inventory.IssueTrustAsync(Issue(tokenId, null, targets, request.Hostname, request.Force), ct);
        return await RenderAsync(result, fault, ct, probe?.Owner);
    }

    /// <summary>
    /// TRUST_SYNC: members of the sender's HA set that lack trust get codes in the sender's VA;
    /// members trusted elsewhere move into it. The sender itself must have trust.
    /// </summary>
    public async Task<TrustOutcome> SyncAsync(Udi sender, string hostname, IReadOnlyList<HaMember> members, FaultDecision? fault = null, CancellationToken ct = default)
    {
        var pi = await store.Inventory.FindProductInstanceAsync(sender.ToString(), ct);
        if (pi?.TrustCodeId is null) return TrustOutcome.Failed(CssmError.TrustRequired($"{sender} has no trust; establish trust first."));
        var targets = members.Where(m => m.Udi != sender).Select(m => new TrustTarget(m.Udi.Pid, m.Udi.Serial, m.Role)).ToList();
        var result = await store.Inventory.IssueTrustAsync(Issue(null, pi.VirtualAccountId, targets, hostname, force: false, existingOnly: true), ct);
        return await RenderAsync(result, fault, ct);
    }

    /// <summary>Trust without a token, in a named VA: the control API's trust-code files and <c>trust_requests</c> in reports.</summary>
    public async Task<TrustOutcome> IssueAsync(VirtualAccount va, IReadOnlyList<Udi> udis, bool force, CancellationToken ct = default)
    {
        var targets = udis.Select(u => new TrustTarget(u.Pid, u.Serial, null)).ToList();
        var result = await store.Inventory.IssueTrustAsync(Issue(null, va.Id, targets, "", force), ct);
        return await RenderAsync(result, null, ct);
    }

    public Task<bool> AcknowledgeAsync(Udi udi, string trustCodeId, CancellationToken ct = default) =>
        store.Inventory.AcknowledgeTrustCodeAsync(udi.ToString(), trustCodeId, clock.GetUtcNow(), ct);

    private TrustIssue Issue(string? tokenId, string? vaId, IReadOnlyList<TrustTarget> targets, string hostname, bool force, bool existingOnly = false)
    {
        var derived = ids();
        return new TrustIssue(tokenId, vaId, targets, hostname, force, clock.GetUtcNow(),
            (udi, generation) => derived.Uuid5($"trust/{udi}/{generation}").ToString(),
            udi => Piids.For(derived, udi),
            (udi, generation) => Convert.ToBase64String(derived.Hmac($"rumkey/{udi}/{generation}")),
            existingOnly);
    }

    // known: the accounts already read in this request (the token's), not read again when trust landed in that VA.
    private async Task<TrustOutcome> RenderAsync(TrustIssueResult result, FaultDecision? fault, CancellationToken ct,
        (SmartAccount Account, VirtualAccount VirtualAccount)? known = null)
    {
        if (!result.Succeeded) return TrustOutcome.Failed(Refused(result.Refusal!.Value, result));
        var (account, va) = known is { } k && k.VirtualAccount.Id == result.VirtualAccountId ? k
            : await store.Accounts.FindByVirtualAccountIdAsync(result.VirtualAccountId, ct)
            ?? throw new InvalidOperationException("trust issued into a virtual account that vanished");
        var issuedAt = clock.GetUtcNow();
        var codes = new List<TrustCodeFile>();
        foreach (var t in result.Issued)
        {
            var json = new JsonObject
            {
                ["version"] = "1.0",
                ["trust_code_id"] = t.TrustCodeId,
                ["piid"] = t.Piid,
                ["sudi"] = new JsonObject { ["udi_pid"] = t.Pid, ["udi_serial_number"] = t.Serial },
                ["smart_account"] = new JsonObject { ["id"] = account.Id, ["domain"] = account.Domain, ["name"] = account.Name },
                ["virtual_account"] = new JsonObject { ["id"] = va.Id, ["name"] = va.Name },
                ["issued_at"] = issuedAt.ToUnixTimeMilliseconds(),
                // Devices show "Valid on" about five minutes before the install time and "Trust Code Type: CSSM"
                // (device-captures.md §3); no "Expired on" unless something sets one, so not_after is absent.
                ["not_before"] = (issuedAt - NotBeforeMargin).ToUnixTimeMilliseconds(),
                ["type"] = "CSSM",
                ["token_id"] = result.TokenId,
                ["rum_key"] = t.RumKey,
            };
            var element = SignedArtefact.Element(TrustCodeElement, System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()), signer);
            // The artefact effects of a fired rule (corrupt, clockSkewMs) apply to the codes and policy of this reply.
            element = ArtefactTampering.Apply(element, fault?.Effect, signer);
            codes.Add(new TrustCodeFile(new Udi(t.Pid, t.Serial), t.TrustCodeId, t.Piid, t.RumKey, element));
        }
        return new TrustOutcome(null, null, account, va, codes, ArtefactTampering.Apply(await policies.GetPolicyFileAsync(account, va, ct), fault?.Effect, signer));
    }

    /// <summary>CSSM's words for each refusal, in the order CSSM checks a token.</summary>
    private static CssmError Refused(TrustRefusal refusal, TrustIssueResult? result) => refusal switch
    {
        TrustRefusal.TokenNotFound => new(CssmCodes.TokenNotFound, "The ID token is not valid."),
        TrustRefusal.TokenRevoked => new(CssmCodes.TokenRevoked, "The ID token has been revoked."),
        TrustRefusal.TokenExpired => new(CssmCodes.TokenExpired, "The ID token has expired."),
        TrustRefusal.TokenUsesExhausted => new(CssmCodes.TokenUsesExhausted, $"The ID token has been used the maximum number of times ({result?.MaxUses})."),
        TrustRefusal.UdiAlreadyRegistered => new(CssmCodes.UdiAlreadyRegistered, "The product instance is already registered: " + string.Join(", ", result?.Registered ?? [])),
        TrustRefusal.AccountMismatch => new(TrustErrors.AccountMismatch, "Smart Account-Virtual Account mismatch: the Smart Account or Virtual Account the ID token was "
            + "generated for does not include the product instance " + string.Join(", ", result?.Registered ?? [])),
        _ => throw new ArgumentOutOfRangeException(nameof(refusal), refusal, null),
    };

    private static string? RoleOf(Udi sender, IReadOnlyList<HaMember> members) =>
        members.FirstOrDefault(m => m.Udi == sender)?.Role ?? "Active";
}
