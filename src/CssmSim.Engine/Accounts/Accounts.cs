namespace CssmSim.Engine.Accounts;

/// <summary>A Smart Account: the customer's top-level container, keyed by domain.</summary>
public sealed record SmartAccount(string Id, string Domain, string Name);

/// <summary>A Virtual Account inside a Smart Account; names are case sensitive.</summary>
public sealed record VirtualAccount(
    string Id,
    string SmartAccountId,
    string Name,
    string Description,
    bool IsDefault,
    bool ExportControlledAllowed);

/// <summary>
/// Which Smart Accounts a caller may see: <see cref="All"/>, or the listed domains.
/// </summary>
public sealed class AccountScope
{
    private readonly HashSet<string>? _domains;

    private AccountScope(IEnumerable<string>? domains) =>
        _domains = domains is null ? null : new HashSet<string>(domains, StringComparer.OrdinalIgnoreCase);

    public static AccountScope All { get; } = new(null);

    public static AccountScope Of(IEnumerable<string>? domains) => domains is null ? All : new(domains);

    public bool IsAll => _domains is null;

    public IReadOnlyCollection<string>? Domains => _domains;

    public bool Allows(string domain) => _domains is null || _domains.Contains(domain);

    /// <summary>What two limits allow together (a user acting through a client).</summary>
    public AccountScope Intersect(AccountScope other) =>
        IsAll ? other : other.IsAll ? this : new AccountScope(_domains!.Where(other.Allows));
}

/// <summary>An OAuth client of the CSSM REST API (seed <c>apiClients</c>).</summary>
public sealed record ApiClient(string ClientId, string ClientSecret, AccountScope Scope);

/// <summary>A user for the OAuth password and authorization-code grants (seed <c>users</c>); <c>email</c> feeds userinfo.</summary>
public sealed record ApiUser(string Username, string Password, AccountScope Scope, string? Email = null);
