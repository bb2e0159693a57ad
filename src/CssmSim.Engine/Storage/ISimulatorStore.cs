using CssmSim.Engine.Accounts;
using CssmSim.Engine.Licensing;

namespace CssmSim.Engine.Storage;

/// <summary>
/// The simulator's persistent state, one capability per member. Implementations enforce in the
/// database whatever must hold across processes sharing it.
/// </summary>
public interface ISimulatorStore : IAsyncDisposable
{
    StoreLocation Location { get; }
    IAccountStore Accounts { get; }
    IStateStore State { get; }
    IFaultRuleStore Faults { get; }
    IJobStore Jobs { get; }
    IJournalStore Journal { get; }
    IInventoryStore Inventory { get; }
    IUsageStore Usage { get; }
    IUsageFileStore UsageFiles { get; }
    ILicenseStore Licenses { get; }
    IAuthorizationStore Authorizations { get; }
    IBulkStore Bulk { get; }
}

/// <summary>Smart and Virtual Accounts, their licenses, and the API's clients and users.</summary>
public interface IAccountStore
{
    /// <summary>All Smart Accounts, ordered by domain.</summary>
    Task<IReadOnlyList<SmartAccount>> ListSmartAccountsAsync(CancellationToken ct = default);
    /// <summary>Case-insensitive lookup by domain.</summary>
    Task<SmartAccount?> FindSmartAccountAsync(string domain, CancellationToken ct = default);
    /// <summary>Virtual Accounts of one Smart Account (all when null), ordered by account then name.</summary>
    Task<IReadOnlyList<VirtualAccount>> ListVirtualAccountsAsync(string? smartAccountId, CancellationToken ct = default);
    /// <summary>A Virtual Account of a Smart Account by its (case-sensitive) name, or by its id.</summary>
    Task<VirtualAccount?> FindVirtualAccountAsync(string smartAccountId, string nameOrId, CancellationToken ct = default);
    /// <summary>A Virtual Account and its Smart Account by the VA's id.</summary>
    Task<(SmartAccount Account, VirtualAccount VirtualAccount)?> FindByVirtualAccountIdAsync(string virtualAccountId, CancellationToken ct = default);
    /// <summary>Licenses of one Virtual Account, ordered by tag.</summary>
    Task<IReadOnlyList<License>> ListLicensesAsync(string virtualAccountId, CancellationToken ct = default);
    /// <summary>The custom policy JSON stored on a Smart Account (<paramref name="virtualAccountId"/> null) or Virtual Account.</summary>
    Task<string?> GetPolicyJsonAsync(string smartAccountId, string? virtualAccountId, CancellationToken ct = default);
    /// <summary>Sets (or with null clears) the custom policy of a Smart Account (<paramref name="virtualAccountId"/> null) or Virtual Account.</summary>
    Task SetPolicyJsonAsync(string smartAccountId, string? virtualAccountId, string? policyJson, CancellationToken ct = default);
    Task<ApiClient?> FindApiClientAsync(string clientId, CancellationToken ct = default);
    Task<ApiUser?> FindUserAsync(string username, CancellationToken ct = default);
    /// <summary>The seeded software-tag catalog (seed <c>slrCatalog</c>), ordered by software tag.</summary>
    Task<IReadOnlyList<SlrCatalogEntry>> ListSlrCatalogAsync(CancellationToken ct = default);
}

/// <summary>Whole-state operations: schema, seeding, reset, snapshots, internal settings.</summary>
public interface IStateStore
{
    /// <summary>Applies pending migrations; returns the schema version now in force.</summary>
    Task<int> MigrateAsync(CancellationToken ct = default);
    /// <summary>Upserts a seed plan by natural keys, in one transaction.</summary>
    Task ApplySeedAsync(Seeding.SeedPlan plan, CancellationToken ct = default);
    /// <summary>
    /// Removes all state (or one Smart Account's, when <paramref name="smartAccountDomain"/> is given)
    /// and applies <paramref name="plan"/>, in one transaction.
    /// </summary>
    Task ResetAsync(Seeding.SeedPlan plan, string? smartAccountDomain, CancellationToken ct = default);
    Task<StoreSnapshot> ExportAsync(CancellationToken ct = default);
    /// <summary>Replaces all state with <paramref name="snapshot"/>.</summary>
    Task ImportAsync(StoreSnapshot snapshot, CancellationToken ct = default);
    Task<string?> GetSettingAsync(string key, CancellationToken ct = default);
    /// <summary>Returns the stored value, storing <paramref name="value"/> first if there is none (first writer wins across processes).</summary>
    Task<string> GetOrAddSettingAsync(string key, string value, CancellationToken ct = default);
    Task SetSettingAsync(string key, string value, CancellationToken ct = default);
    /// <summary>Atomically increments the named counter and returns its new value (1 the first time).</summary>
    Task<long> NextCounterAsync(string key, CancellationToken ct = default);
    /// <summary>
    /// Versions of the state each process caches: any change to the fault rules or to the clock
    /// setting, by any process and any path (API, seed, reset, import), must change them. Read on
    /// every request, so it must be one cheap read.
    /// </summary>
    Task<SharedStateVersions> ReadVersionsAsync(CancellationToken ct = default);
}

/// <summary>See <see cref="IStateStore.ReadVersionsAsync"/>.</summary>
public readonly record struct SharedStateVersions(long FaultRules, long Clock);

/// <summary>A fault rule as stored: its canonical JSON, creation sequence and built-in flag.</summary>
public sealed record StoredFaultRule(string Id, long Seq, bool Builtin, string Json);

/// <summary>A fault rule's counters: requests it matched (candidates) and times it fired (applied).</summary>
public readonly record struct FaultRuleCounts(long Candidates, long Applied);

/// <summary>
/// Fault rules (control.md §Faults) and their counters. The counters live in the store so that
/// every process on it numbers requests in one sequence: each count is one conditional statement.
/// </summary>
public interface IFaultRuleStore
{
    Task<IReadOnlyList<StoredFaultRule>> ListAsync(CancellationToken ct = default);
    /// <summary>Inserts or replaces a rule by id; <paramref name="restartCounts"/> zeroes its counters in the same transaction (a new rule, a reset built-in).</summary>
    Task SaveAsync(StoredFaultRule rule, bool restartCounts = false, CancellationToken ct = default);
    /// <summary>Deletes a rule and its counters.</summary>
    Task<bool> DeleteAsync(string id, CancellationToken ct = default);
    /// <summary>Deletes every user rule and their counters; built-ins keep theirs.</summary>
    Task DeleteUserRulesAsync(CancellationToken ct = default);
    /// <summary>Counts one more candidate of a rule and returns its counters after the count.</summary>
    Task<FaultRuleCounts> CountCandidateAsync(string id, CancellationToken ct = default);
    /// <summary>Counts one more firing of a rule unless it has fired <paramref name="times"/> times already; the new applied count, or null when it had.</summary>
    Task<long?> CountAppliedAsync(string id, long? times, CancellationToken ct = default);
    /// <summary>Every rule's counters (a rule never counted has none).</summary>
    Task<IReadOnlyDictionary<string, FaultRuleCounts>> ReadCountsAsync(CancellationToken ct = default);
}
