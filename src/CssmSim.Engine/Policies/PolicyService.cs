using System.Text.Json.Nodes;
using CssmSim.Engine.Accounts;
using CssmSim.Engine.Signing;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Validation;

namespace CssmSim.Engine.Policies;

/// <summary>A Smart Account's policy as the control API shows it.</summary>
/// <param name="SmartAccount">The account.</param>
/// <param name="Custom">The custom policy stored on the Smart Account, or null.</param>
/// <param name="DefaultVirtualAccount">The VA <paramref name="Effective"/> was resolved for (the default one), or null when the account has none.</param>
/// <param name="Effective">The policy that VA receives, or null when the account has no Virtual Account.</param>
public sealed record AccountPolicy(SmartAccount SmartAccount, JsonObject? Custom, VirtualAccount? DefaultVirtualAccount, ResolvedPolicy? Effective);

/// <summary>A custom policy was set or cleared.</summary>
/// <param name="SmartAccount">The account concerned.</param>
/// <param name="VirtualAccount">The VA concerned, or null for the Smart Account level.</param>
/// <param name="Custom">The new custom policy, or null when it was cleared.</param>
public sealed record PolicyChange(SmartAccount SmartAccount, VirtualAccount? VirtualAccount, JsonObject? Custom);

/// <summary>
/// Custom policies and the effective policy of each Virtual Account: the VA's custom policy if it
/// has one, else the Smart Account's, else none, merged attribute by attribute onto the Cisco
/// default (control.md §Seed document). The signed policy is made once per policy version and
/// reused: the same content gives byte-identical artefacts, with <c>issued_at</c> the simulator
/// time at which that version was first made. Thread-safe.
/// </summary>
public sealed class PolicyService
{
    private readonly ISimulatorStore _store;
    private readonly ArtefactSigner _signer;
    private readonly TimeProvider _clock;
    private readonly object _gate = new();
    // The latest version made for each VA (by VA id): a change replaces it, so a policy changed
    // and changed back is issued again with a new issued_at rather than an old one.
    private readonly Dictionary<string, Issued> _issued = new(StringComparer.Ordinal);

    private readonly Events.EventLog? _events;

    /// <param name="store">Where custom policies are kept.</param>
    /// <param name="signer">Signs policy files.</param>
    /// <param name="clock">The simulator clock (<c>issued_at</c>).</param>
    /// <param name="events">When given, each set or clear appends a <c>POLICY_CHANGED</c> event.</param>
    public PolicyService(ISimulatorStore store, ArtefactSigner signer, TimeProvider clock, Events.EventLog? events = null)
    {
        _events = events;
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(clock);
        _store = store;
        _signer = signer;
        _clock = clock;
    }

    /// <summary>Raised after a custom policy was set or cleared (for <c>POLICY_CHANGED</c> events).</summary>
    public event Action<PolicyChange>? Changed;

    /// <summary>The effective policy of <paramref name="va"/> (a VA of <paramref name="sa"/>).</summary>
    public async Task<ResolvedPolicy> ResolveAsync(SmartAccount sa, VirtualAccount va, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(sa);
        ArgumentNullException.ThrowIfNull(va);
        var (custom, origin) = await CustomInForceAsync(sa, va, ct);
        var merged = PolicyMerge.Merge(custom, origin);
        var version = PolicyMerge.VersionOf(PolicyMerge.Json(merged, sa, va, issuedAtMs: null));
        var issued = IssuedFor(va.Id, version, merged, sa, va);
        return issued.Policy;
    }

    /// <summary>The effective policy of a Virtual Account named by domain and VA name (or id).</summary>
    /// <exception cref="EntityNotFoundException">No such Smart Account or Virtual Account.</exception>
    public async Task<ResolvedPolicy> ResolveAsync(string domain, string virtualAccount, CancellationToken ct = default)
    {
        var (sa, va) = await FindAsync(domain, virtualAccount, ct);
        return await ResolveAsync(sa, va!, ct);
    }

    /// <summary>
    /// The signed <c>&lt;smartLicensePolicy&gt;</c> element alone (for trust replies and ACKs),
    /// byte-identical for as long as the policy version stays the same.
    /// </summary>
    public async Task<string> GetPolicyElementAsync(SmartAccount sa, VirtualAccount va, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(sa);
        ArgumentNullException.ThrowIfNull(va);
        // The stored custom policies are still read every time (another process may change them);
        // only when they and the names are what the last issue of this VA was made from is the merge,
        // the JSON and its hash skipped (every trust and every ACK carries the policy).
        var own = await _store.Accounts.GetPolicyJsonAsync(sa.Id, va.Id, ct);
        var inherited = own is null ? await _store.Accounts.GetPolicyJsonAsync(sa.Id, null, ct) : null;
        var inputs = new PolicyInputs(sa, va, own, inherited);
        lock (_gate)
        {
            if (_issued.TryGetValue(va.Id, out var last) && last.Inputs == inputs) return last.Element.Value;
        }
        var (custom, origin) = Custom(own, inherited);
        var merged = PolicyMerge.Merge(custom, origin);
        var version = PolicyMerge.VersionOf(PolicyMerge.Json(merged, sa, va, issuedAtMs: null));
        return IssuedFor(va.Id, version, merged, sa, va, inputs).Element.Value;
    }

    /// <summary>What an issued policy was made from: equal inputs make the same version.</summary>
    private sealed record PolicyInputs(SmartAccount Sa, VirtualAccount Va, string? Own, string? Inherited);

    /// <summary>
    /// The standalone policy file: the bare <c>&lt;smartLicensePolicy&gt;</c> root (artefacts.md §Policy file),
    /// because Cisco's IOS XE SLP sample refuses any other root.
    /// </summary>
    public Task<string> GetPolicyFileAsync(SmartAccount sa, VirtualAccount va, CancellationToken ct = default) =>
        GetPolicyElementAsync(sa, va, ct);

    /// <summary>The standalone policy file of a Virtual Account named by domain and VA name (or id).</summary>
    /// <exception cref="EntityNotFoundException">No such Smart Account or Virtual Account.</exception>
    public async Task<string> GetPolicyFileAsync(string domain, string virtualAccount, CancellationToken ct = default)
    {
        var (sa, va) = await FindAsync(domain, virtualAccount, ct);
        return await GetPolicyFileAsync(sa, va!, ct);
    }

    /// <summary>
    /// The custom policy stored on a Smart Account (<paramref name="virtualAccount"/> null) or on one
    /// of its Virtual Accounts, or null when there is none.
    /// </summary>
    /// <exception cref="EntityNotFoundException">No such Smart Account or Virtual Account.</exception>
    public async Task<JsonObject?> GetCustomAsync(string domain, string? virtualAccount, CancellationToken ct = default)
    {
        var (sa, va) = await FindAsync(domain, virtualAccount, ct);
        return PolicyMerge.ParseStored(await _store.Accounts.GetPolicyJsonAsync(sa.Id, va?.Id, ct));
    }

    /// <summary>
    /// The Smart Account level: its stored custom policy and the effective policy of its default
    /// Virtual Account (else the VA named <c>DEFAULT</c>, else the first by name).
    /// </summary>
    /// <exception cref="EntityNotFoundException">No such Smart Account.</exception>
    public async Task<AccountPolicy> GetAccountPolicyAsync(string domain, CancellationToken ct = default)
    {
        var (sa, _) = await FindAsync(domain, null, ct);
        var custom = PolicyMerge.ParseStored(await _store.Accounts.GetPolicyJsonAsync(sa.Id, null, ct));
        var vas = await _store.Accounts.ListVirtualAccountsAsync(sa.Id, ct);
        var va = vas.FirstOrDefault(v => v.IsDefault)
            ?? vas.FirstOrDefault(v => v.Name == "DEFAULT")
            ?? vas.OrderBy(v => v.Name, StringComparer.Ordinal).FirstOrDefault();
        return new AccountPolicy(sa, custom, va, va is null ? null : await ResolveAsync(sa, va, ct));
    }

    /// <summary>
    /// Stores <paramref name="body"/> as the custom policy of a Smart Account (<paramref name="virtualAccount"/>
    /// null) or of one of its Virtual Accounts (by name, case-sensitive, or id), replacing any earlier one.
    /// </summary>
    /// <exception cref="EngineValidationException">The body is not a valid custom policy; errors are keyed by JSON path.</exception>
    /// <exception cref="EntityNotFoundException">No such Smart Account or Virtual Account.</exception>
    public async Task SetCustomAsync(string domain, string? virtualAccount, JsonNode body, CancellationToken ct = default)
    {
        if (body is not JsonObject) throw EngineValidationException.Single("$", "a custom policy must be a JSON object");
        var errors = new ValidationErrors();
        var clean = PolicyAttributes.Validate(body, "", errors);
        errors.ThrowIfAny("Invalid custom policy");
        var (sa, va) = await FindAsync(domain, virtualAccount, ct);
        await _store.Accounts.SetPolicyJsonAsync(sa.Id, va?.Id, PolicyAttributes.ToStorage(clean), ct);
        if (_events is not null)
            await _events.AppendAsync(Events.EventTypes.PolicyChanged, sa.Id, va?.Name, null, new { level = va is null ? "smartAccount" : "virtualAccount", custom = clean }, ct);
        Changed?.Invoke(new PolicyChange(sa, va, (JsonObject?)clean?.DeepClone()));
    }

    /// <summary>Removes the custom policy of a Smart Account (<paramref name="virtualAccount"/> null) or Virtual Account; no error when there is none.</summary>
    /// <exception cref="EntityNotFoundException">No such Smart Account or Virtual Account.</exception>
    public async Task ClearCustomAsync(string domain, string? virtualAccount, CancellationToken ct = default)
    {
        var (sa, va) = await FindAsync(domain, virtualAccount, ct);
        await _store.Accounts.SetPolicyJsonAsync(sa.Id, va?.Id, null, ct);
        if (_events is not null)
            await _events.AppendAsync(Events.EventTypes.PolicyChanged, sa.Id, va?.Name, null, new { level = va is null ? "smartAccount" : "virtualAccount", custom = (object?)null }, ct);
        Changed?.Invoke(new PolicyChange(sa, va, null));
    }

    /// <summary>
    /// Forgets every policy made so far, so the next request makes each again with the current time
    /// as <c>issued_at</c> (for a full reset or a snapshot import).
    /// </summary>
    public void Forget()
    {
        lock (_gate) _issued.Clear();
    }

    /// <summary>The Smart Account by domain (case-insensitive) and, when named, its Virtual Account.</summary>
    /// <exception cref="EntityNotFoundException">No such Smart Account or Virtual Account.</exception>
    public async Task<(SmartAccount SmartAccount, VirtualAccount? VirtualAccount)> FindAsync(
        string domain, string? virtualAccount, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(domain);
        var sa = await _store.Accounts.FindSmartAccountAsync(domain, ct)
            ?? throw new EntityNotFoundException($"no Smart Account '{domain}'");
        if (virtualAccount is null) return (sa, null);
        var va = await _store.Accounts.FindVirtualAccountAsync(sa.Id, virtualAccount, ct)
            ?? throw new EntityNotFoundException($"no Virtual Account '{virtualAccount}' in Smart Account '{sa.Domain}'");
        return (sa, va);
    }

    private async Task<(JsonObject? Custom, PolicyOrigin Origin)> CustomInForceAsync(SmartAccount sa, VirtualAccount va, CancellationToken ct)
    {
        var own = await _store.Accounts.GetPolicyJsonAsync(sa.Id, va.Id, ct);
        return Custom(own, own is null ? await _store.Accounts.GetPolicyJsonAsync(sa.Id, null, ct) : null);
    }

    private static (JsonObject? Custom, PolicyOrigin Origin) Custom(string? own, string? inherited)
    {
        if (own is not null) return (PolicyMerge.ParseStored(own) ?? new JsonObject(), PolicyOrigin.VirtualAccount);
        if (inherited is not null) return (PolicyMerge.ParseStored(inherited) ?? new JsonObject(), PolicyOrigin.SmartAccount);
        return (null, PolicyOrigin.CiscoDefault);
    }

    private Issued IssuedFor(string vaId, string version, MergedPolicy merged, SmartAccount sa, VirtualAccount va, PolicyInputs? inputs = null)
    {
        lock (_gate)
        {
            if (_issued.TryGetValue(vaId, out var existing) && existing.Policy.Version == version)
            {
                if (inputs is not null) existing.Inputs = inputs;
                return existing;
            }
            // Millisecond precision, so IssuedAt and the JSON's issued_at agree exactly.
            var issuedAt = DateTimeOffset.FromUnixTimeMilliseconds(_clock.GetUtcNow().ToUnixTimeMilliseconds());
            var json = PolicyMerge.Json(merged, sa, va, issuedAt.ToUnixTimeMilliseconds());
            var utf8 = PolicyMerge.Utf8(json);
            var made = new Issued(new ResolvedPolicy(merged, sa, va, version, issuedAt, utf8), _signer) { Inputs = inputs };
            _issued[vaId] = made;
            return made;
        }
    }

    /// <summary>One policy version as issued: its JSON now, its signature on first use.</summary>
    private sealed class Issued
    {
        public Issued(ResolvedPolicy policy, ArtefactSigner signer)
        {
            Policy = policy;
            Element = new Lazy<string>(
                () => SignedArtefact.Element(PolicyDefaults.ElementName, policy.Utf8Json.Span, signer),
                LazyThreadSafetyMode.ExecutionAndPublication);
        }

        public ResolvedPolicy Policy { get; }

        public Lazy<string> Element { get; }

        /// <summary>The stored policies and names this version was last found for (guarded by the service's gate).</summary>
        public PolicyInputs? Inputs { get; set; }
    }
}
