using System.Security.Cryptography;
using System.Text;
using CssmSim.Engine.Ids;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Validation;

namespace CssmSim.Engine.Seeding;

/// <summary>
/// Owns the start-up seed: applies it to a new store, merges further seed documents, and puts
/// the store back to it on reset. The random seed behind derived ids lives here too.
/// </summary>
public sealed class SeedService
{
    public const string AppliedSeedSetting = "startup_seed_sha256";

    private readonly ISimulatorStore _store;
    private readonly TimeProvider _clock;
    private readonly SeedDocument _startup;
    private readonly string _startupFingerprint;
    private readonly long? _randomSeedOverride;
    private DerivedIds _ids;

    /// <param name="store">The store to seed.</param>
    /// <param name="clock">The simulator clock (load dates of TERM licenses).</param>
    /// <param name="startup">The start-up seed: <c>--seed FILE</c>, else <see cref="DefaultSeed"/>.</param>
    /// <param name="startupText">The start-up seed's source text, fingerprinted to notice a changed seed file.</param>
    /// <param name="randomSeedOverride"><c>--random-seed</c>, which wins over every document's <c>randomSeed</c>.</param>
    public SeedService(ISimulatorStore store, TimeProvider clock, SeedDocument startup, string startupText, long? randomSeedOverride)
    {
        _store = store;
        _clock = clock;
        _startup = startup;
        _randomSeedOverride = randomSeedOverride;
        _startupFingerprint = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(startupText + "\n#randomSeed=" + StartupRandomSeed)));
        _ids = new DerivedIds(StartupRandomSeed);
    }

    public long StartupRandomSeed => _randomSeedOverride ?? _startup.RandomSeed ?? 0;

    /// <summary>The random seed in force (the start-up one, or the last merged document's).</summary>
    public DerivedIds Ids => Volatile.Read(ref _ids);

    /// <summary>The start-up seed document (its fault rules are applied by <see cref="SimulatorState"/>).</summary>
    public SeedDocument Startup => _startup;

    /// <summary>What <see cref="InitializeAsync"/> did with the start-up seed (null before it ran).</summary>
    public StartupSeedOutcome? StartupOutcome { get; private set; }

    /// <summary>
    /// Migrates, then applies the start-up seed unless this very seed was applied to the store
    /// before: a restart keeps what users created, while a changed seed file is merged in.
    /// Returns true when the seed was applied.
    /// </summary>
    /// <param name="ct">Cancels the store calls.</param>
    /// <param name="markApplied">
    /// False when the caller applies more of the seed afterwards (fault rules, inventory) and calls
    /// <see cref="MarkStartupAppliedAsync"/> once all of it is in.
    /// </param>
    public async Task<bool> InitializeAsync(CancellationToken ct = default, bool markApplied = true)
    {
        await _store.State.MigrateAsync(ct);
        var applied = await _store.State.GetSettingAsync(AppliedSeedSetting, ct);
        if (applied == _startupFingerprint)
        {
            StartupOutcome = StartupSeedOutcome.AlreadyApplied;
            return false;
        }
        await _store.State.ApplySeedAsync(Plan(_startup, Ids), ct);
        if (markApplied) await MarkStartupAppliedAsync(ct);
        StartupOutcome = applied is null ? StartupSeedOutcome.NewStore : StartupSeedOutcome.MergedIntoExisting;
        return true;
    }

    /// <summary>
    /// Records the start-up seed as applied. Called once its fault rules and inventory are in too,
    /// never before: a start killed part-way applies the seed again on the next start.
    /// </summary>
    public Task MarkStartupAppliedAsync(CancellationToken ct = default) => _store.State.SetSettingAsync(AppliedSeedSetting, _startupFingerprint, ct);

    /// <summary>Before a full reset: until it is finished, the next start applies the start-up seed again.</summary>
    public Task MarkStartupPendingAsync(CancellationToken ct = default) => _store.State.SetSettingAsync(AppliedSeedSetting, "pending", ct);

    /// <summary>Merges <paramref name="doc"/> into the current state (upsert by natural keys).</summary>
    public async Task MergeAsync(SeedDocument doc, CancellationToken ct = default)
    {
        var ids = doc.RandomSeed is { } rs && _randomSeedOverride is null ? new DerivedIds(rs) : Ids;
        await _store.State.ApplySeedAsync(Plan(doc, ids), ct);
        Volatile.Write(ref _ids, ids);
    }

    /// <summary>Back to the start-up seed: everything, or one Smart Account.</summary>
    public async Task ResetAsync(string? smartAccountDomain, CancellationToken ct = default)
    {
        var ids = new DerivedIds(StartupRandomSeed);
        var plan = Plan(_startup, ids);
        if (smartAccountDomain is not null)
        {
            var scoped = plan.ForAccount(smartAccountDomain);
            if (scoped.Accounts.Count == 0 && await _store.Accounts.FindSmartAccountAsync(smartAccountDomain, ct) is null)
                throw new EntityNotFoundException($"no Smart Account '{smartAccountDomain}'");
            await _store.State.ResetAsync(scoped, smartAccountDomain, ct);
            return;
        }
        await _store.State.ResetAsync(plan, null, ct);
        Volatile.Write(ref _ids, ids);
    }

    private SeedPlan Plan(SeedDocument doc, DerivedIds ids) =>
        SeedPlan.From(doc, ids, DateOnly.FromDateTime(_clock.GetUtcNow().UtcDateTime));
}

/// <summary>What a start did with its seed: a new store got it, an existing one had it merged in, or already had it.</summary>
public enum StartupSeedOutcome
{
    NewStore,
    MergedIntoExisting,
    AlreadyApplied,
}
