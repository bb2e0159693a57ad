namespace CssmSim.Engine.Storage;

/// <summary>An entitlement count an authorization holds.</summary>
public sealed record AuthorizedCount(string Tag, long Count);

/// <summary>An authorization (SLAC, SLR or PLR) of one product instance.</summary>
public sealed record StoredAuthorization(
    string Id,
    string Kind,
    string Udi,
    string VirtualAccountId,
    string State,
    string CodeXml,
    string ConfirmationCode,
    DateTimeOffset IssuedAt,
    IReadOnlyList<AuthorizedCount> Entitlements,
    string? RequestCode);

/// <summary>
/// A request to authorize licenses for one product instance, applied in one transaction: the
/// authorizations it replaces are returned, the VA's balance is checked for every tag with the
/// change applied, and only then is the new authorization stored.
/// </summary>
/// <param name="Id">The new authorization's id.</param>
/// <param name="Kind"><c>SLAC</c>, <c>SLR</c> or <c>PLR</c>.</param>
/// <param name="Udi">The product instance (<c>PID:x,SN:y</c>).</param>
/// <param name="VirtualAccountId">Whose pool is debited.</param>
/// <param name="Entitlements">What the new authorization holds (all of it, for a replacement).</param>
/// <param name="Replaces">Which active authorizations of the UDI it replaces (by kind; for SLAC only those overlapping the tags).</param>
/// <param name="InitialState"><c>IN_TRANSITION</c> until confirmed, or <c>CONFIRMED</c> (SLP authrequest has no confirmation step).</param>
/// <param name="Now">Virtual time.</param>
/// <param name="BuildCode">Makes the signed code from the entitlements: (code XML, expected confirmation code).</param>
/// <param name="RequestCode">The device's request code (reservations).</param>
public sealed record AuthorizationIssue(
    string Id,
    string Kind,
    string Udi,
    string VirtualAccountId,
    IReadOnlyList<AuthorizedCount> Entitlements,
    string Replaces,
    string InitialState,
    DateTimeOffset Now,
    Func<IReadOnlyList<AuthorizedCount>, (string CodeXml, string ConfirmationCode)> BuildCode,
    string? RequestCode = null);

/// <summary>The outcome: the stored authorization, or the tag whose balance was short.</summary>
public sealed record AuthorizationIssueResult(StoredAuthorization? Authorization, string? ShortTag, long Available);

/// <summary>The outcome of a set: every authorization stored, or the index of the first one the pool refused (nothing stored then).</summary>
public sealed record AuthorizationSetResult(IReadOnlyList<StoredAuthorization> Issued, int? RefusedIndex, string? ShortTag, long Available)
{
    public bool Succeeded => RefusedIndex is null;
}

public interface IAuthorizationStore
{
    Task<AuthorizationIssueResult> IssueAsync(AuthorizationIssue issue, CancellationToken ct = default);
    /// <summary>
    /// Issues every authorization of a set in one transaction, each checked against the pool with the
    /// earlier ones applied: all are stored, or (the first refusal) none is and nothing they replace changes.
    /// </summary>
    Task<AuthorizationSetResult> IssueAllAsync(IReadOnlyList<AuthorizationIssue> issues, CancellationToken ct = default);
    Task<IReadOnlyList<StoredAuthorization>> ListActiveAsync(string udi, CancellationToken ct = default);
    Task<StoredAuthorization?> FindAsync(string id, CancellationToken ct = default);
    /// <summary>Marks the given authorizations returned; their licenses go back to the pool.</summary>
    Task<int> ReturnAsync(IReadOnlyCollection<string> ids, DateTimeOffset at, CancellationToken ct = default);
    /// <summary>Confirms the in-transition authorization of the UDI whose expected code matches; null when none does.</summary>
    Task<StoredAuthorization?> ConfirmAsync(string udi, string confirmationCode, DateTimeOffset at, CancellationToken ct = default);
    /// <summary>Active authorized counts per product instance and tag in a Virtual Account, and how much of each is still in transition.</summary>
    Task<IReadOnlyList<(string Udi, string Tag, long Count, long InTransition)>> AuthorizedAsync(string virtualAccountId, CancellationToken ct = default);
}
