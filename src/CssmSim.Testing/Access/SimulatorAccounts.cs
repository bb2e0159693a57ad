using CssmSim.Engine.Accounts;

namespace CssmSim.Testing;

/// <summary>A Smart Account and its Virtual Accounts.</summary>
/// <param name="Id">The numeric account id.</param>
/// <param name="Domain">The domain, e.g. <c>example.com</c>.</param>
/// <param name="Name">The display name.</param>
/// <param name="VirtualAccounts">Its Virtual Accounts, by name.</param>
public sealed record SmartAccountInfo(string Id, string Domain, string Name, IReadOnlyList<VirtualAccountInfo> VirtualAccounts);

/// <summary>A Virtual Account.</summary>
/// <param name="Id">The numeric id.</param>
/// <param name="Name">The name (case-sensitive).</param>
/// <param name="Description">The description.</param>
/// <param name="IsDefault">Whether it is its Smart Account's default.</param>
/// <param name="ExportControlledAllowed">Whether its product instances may use export-controlled functionality by default.</param>
public sealed record VirtualAccountInfo(string Id, string Name, string Description, bool IsDefault, bool ExportControlledAllowed);

/// <summary>Smart and Virtual Accounts: list them, or merge more in from a seed.</summary>
public sealed class SimulatorAccounts
{
    private readonly EngineAccess _engine;

    internal SimulatorAccounts(EngineAccess engine) => _engine = engine;

    /// <summary>Every Smart Account with its Virtual Accounts, by domain.</summary>
    public async Task<IReadOnlyList<SmartAccountInfo>> ListAsync(CancellationToken ct = default)
    {
        var accounts = await _engine.Store.Accounts.ListSmartAccountsAsync(ct);
        var vas = await _engine.Store.Accounts.ListVirtualAccountsAsync(null, ct);
        return accounts.Select(a => ToInfo(a, vas.Where(v => v.SmartAccountId == a.Id))).ToList();
    }

    /// <summary>A Smart Account by domain (case-insensitive), or null.</summary>
    public async Task<SmartAccountInfo?> FindAsync(string domain, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(domain);
        var account = await _engine.Store.Accounts.FindSmartAccountAsync(domain, ct);
        return account is null ? null : ToInfo(account, await _engine.Store.Accounts.ListVirtualAccountsAsync(account.Id, ct));
    }

    /// <summary>
    /// Merges a seed into the current state, upserting by natural keys (as <c>POST /_sim/seed</c>).
    /// A reset still returns to the start-up seed, not to this one.
    /// </summary>
    /// <exception cref="ArgumentException">The seed's fault rules are invalid (nothing is applied then).</exception>
    public Task SeedAsync(Seed seed, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(seed);
        return EngineAccess.CallAsync(() => _engine.State.MergeSeedAsync(seed.Document, ct));
    }

    private static SmartAccountInfo ToInfo(SmartAccount a, IEnumerable<VirtualAccount> vas) => new(a.Id, a.Domain, a.Name,
        vas.OrderBy(v => v.Name, StringComparer.Ordinal).Select(v => new VirtualAccountInfo(v.Id, v.Name, v.Description, v.IsDefault, v.ExportControlledAllowed)).ToList());
}
