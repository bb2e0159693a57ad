namespace CssmSim.Engine.Storage;

/// <summary>A registration token row.</summary>
public sealed record StoredToken(
    string Id,
    string VirtualAccountId,
    string Token,
    string Canonical,
    string Description,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    int ExpiresAfterDays,
    int? MaxUses,
    int Uses,
    bool ExportControlled,
    bool Revoked);

/// <summary>A product instance row (keyed by its UDI text <c>PID:x,SN:y</c>).</summary>
public sealed record StoredProductInstance(
    string Udi,
    string Pid,
    string Serial,
    string Piid,
    string VirtualAccountId,
    string Hostname,
    string? HaRole,
    string? HaGroup,
    string? TrustCodeId,
    DateTimeOffset? TrustedAt,
    string? TrustTokenId,
    bool? TrustExportControlled,
    bool? ExportControlled,
    string? RumKey,
    DateTimeOffset RegisteredAt,
    DateTimeOffset? LastContact);

/// <summary>One UDI to give trust to, with the HA role it reported.</summary>
public sealed record TrustTarget(string Pid, string Serial, string? HaRole);

/// <summary>
/// A trust issue, checked and applied in one transaction: the token rules in CSSM's order,
/// the already-registered rule, the one use consumed, product instances created or moved and
/// their trust codes superseded and replaced.
/// </summary>
/// <param name="TokenId">The token presented (null: trust from a trust request or the control API, which names the VA instead).</param>
/// <param name="VirtualAccountId">The VA for token-less trust.</param>
/// <param name="Targets">The UDIs in scope, the sender first.</param>
/// <param name="Hostname">The sender's hostname.</param>
/// <param name="Force">Replace existing trust (and move UDIs between VAs) instead of failing.</param>
/// <param name="Now">Virtual time of the issue.</param>
/// <param name="TrustCodeId">Derives a trust code id from a UDI and its generation.</param>
/// <param name="Piid">Derives a PIID from a UDI.</param>
/// <param name="RumKey">Derives a UDI's RUM key from its generation.</param>
/// <param name="ExistingOnly">Only UDIs that lack trust (TRUST_SYNC): the others are skipped, not refused.</param>
public sealed record TrustIssue(
    string? TokenId,
    string? VirtualAccountId,
    IReadOnlyList<TrustTarget> Targets,
    string Hostname,
    bool Force,
    DateTimeOffset Now,
    Func<string, long, string> TrustCodeId,
    Func<string, string> Piid,
    Func<string, long, string> RumKey,
    bool ExistingOnly = false);

/// <summary>A trust code as issued.</summary>
public sealed record IssuedTrust(string Udi, string Pid, string Serial, string TrustCodeId, string Piid, string RumKey, string? Superseded, string? MovedFromVirtualAccountId);

/// <summary>Why a trust issue changed nothing (the engine words it as CSSM does).</summary>
public enum TrustRefusal
{
    TokenNotFound,
    TokenRevoked,
    TokenExpired,
    TokenUsesExhausted,
    /// <summary>A UDI in scope already has trust and the request was not forced (<see cref="TrustIssueResult.Registered"/> names them).</summary>
    UdiAlreadyRegistered,
    /// <summary>
    /// A UDI in scope belongs to another Virtual Account than the token's and the request was not forced
    /// (seed 000 L6148, "Smart Account-Virtual Account mismatch"; <see cref="TrustIssueResult.Registered"/> names them).
    /// </summary>
    AccountMismatch,
}

/// <summary>What a trust issue did, or why it was refused (nothing changed then).</summary>
public sealed record TrustIssueResult(TrustRefusal? Refusal, string VirtualAccountId, IReadOnlyList<IssuedTrust> Issued, string? TokenId = null)
{
    public bool Succeeded => Refusal is null;

    /// <summary>The token's use cap, for <see cref="TrustRefusal.TokenUsesExhausted"/>.</summary>
    public long? MaxUses { get; init; }

    /// <summary>The UDIs that already had trust, for <see cref="TrustRefusal.UdiAlreadyRegistered"/>.</summary>
    public IReadOnlyList<string> Registered { get; init; } = [];
}

/// <summary>An event to append.</summary>
public sealed record NewEvent(DateTimeOffset Time, string Type, string? SmartAccountId, string? VirtualAccountName, string? Udi, string DetailsJson);

/// <summary>An event log entry (control.md §Journal and events).</summary>
public sealed record StoredEvent(long Id, DateTimeOffset Time, string Type, string? SmartAccountId, string? VirtualAccountName, string? Udi, string DetailsJson);

/// <summary>One page of product instances in UDI order, and how many the Virtual Accounts hold in all.</summary>
public sealed record ProductInstancePageRows(int Total, IReadOnlyList<StoredProductInstance> Items);

/// <summary>Registration tokens, product instances, trust codes and the event log.</summary>
public interface IInventoryStore
{
    Task InsertTokenAsync(StoredToken token, CancellationToken ct = default);
    Task<IReadOnlyList<StoredToken>> ListTokensAsync(string virtualAccountId, CancellationToken ct = default);
    Task<StoredToken?> FindTokenAsync(string? id, string? canonical, CancellationToken ct = default);
    /// <summary>Marks a token revoked; false when it does not exist in that VA.</summary>
    Task<bool> RevokeTokenAsync(string virtualAccountId, string tokenId, CancellationToken ct = default);

    Task<TrustIssueResult> IssueTrustAsync(TrustIssue issue, CancellationToken ct = default);
    Task<bool> AcknowledgeTrustCodeAsync(string udi, string trustCodeId, DateTimeOffset at, CancellationToken ct = default);

    Task<StoredProductInstance?> FindProductInstanceAsync(string udi, CancellationToken ct = default);
    /// <summary>The product instance a PIID names (smart-transport <c>product_instance_identifier</c>), or null when none does (any more).</summary>
    Task<StoredProductInstance?> FindProductInstanceByPiidAsync(string piid, CancellationToken ct = default);
    Task<IReadOnlyList<StoredProductInstance>> ListProductInstancesAsync(IReadOnlyCollection<string> virtualAccountIds, CancellationToken ct = default);
    /// <summary>
    /// The instances of <paramref name="virtualAccountIds"/> at <paramref name="offset"/> (at most <paramref name="limit"/>),
    /// in the order of <see cref="ListProductInstancesAsync"/> (by UDI), read without the others.
    /// </summary>
    Task<ProductInstancePageRows> PageProductInstancesAsync(IReadOnlyCollection<string> virtualAccountIds, int offset, int limit, CancellationToken ct = default);
    /// <summary>Creates a product instance without trust (seed, SLP calls, uploads) or updates its hostname and VA.</summary>
    Task UpsertProductInstanceAsync(StoredProductInstance instance, CancellationToken ct = default);
    Task<bool> DeleteProductInstanceAsync(string udi, CancellationToken ct = default);
    /// <summary>
    /// Moves a product instance of <paramref name="fromVirtualAccountId"/> with its active authorizations to
    /// <paramref name="toVirtualAccountId"/> in one transaction (its reports follow it: usage is counted by the
    /// instance's Virtual Account); false when it is not in the source.
    /// </summary>
    Task<bool> MoveProductInstanceAsync(string udi, string fromVirtualAccountId, string toVirtualAccountId, CancellationToken ct = default);
    Task TouchAsync(string udi, DateTimeOffset at, CancellationToken ct = default);

    Task AppendEventAsync(DateTimeOffset time, string type, string? smartAccountId, string? virtualAccountName, string? udi, string detailsJson, CancellationToken ct = default);
    /// <summary>Appends <paramref name="events"/> in order, in one transaction.</summary>
    Task AppendEventsAsync(IReadOnlyList<NewEvent> events, CancellationToken ct = default);
    Task<IReadOnlyList<StoredEvent>> ListEventsAsync(string? smartAccountId, string? virtualAccountName, string? type, long? since, int limit, CancellationToken ct = default, bool newestFirst = false);
}
