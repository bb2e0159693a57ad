using CssmSim.Engine.Accounts;
using CssmSim.Engine.Storage;

namespace CssmSim.Engine.Licensing;

/// <summary>One entry of a license transfer request, as the client named things.</summary>
/// <param name="License">The license: its display name, or its tag in either form.</param>
/// <param name="LicenseType">PERPETUAL, STANDARD, TERM or DEMO (any case), or null for any.</param>
/// <param name="Quantity">How many to move (1–998).</param>
/// <param name="TargetVirtualAccount">The receiving Virtual Account of the same Smart Account, by name or id.</param>
public sealed record TransferEntry(string License, string? LicenseType, long Quantity, string TargetVirtualAccount);

/// <summary>A license a product instance consumes: max(reported, authorized) of one tag.</summary>
public sealed record DeviceLicense(string Tag, string DisplayName, long Quantity);

/// <summary>What a product instance consumes and whether it is in compliance.</summary>
public sealed record DeviceStanding(IReadOnlyList<DeviceLicense> Licenses, bool InCompliance);

/// <summary>The outcome of a transfer: all entries made, or none and why.</summary>
public sealed record TransferResult(bool Succeeded, string Message)
{
    public static readonly TransferResult Done = new(true, "");

    public static TransferResult Refused(string message) => new(false, message);
}

/// <summary>
/// License accounting per Virtual Account (SPEC §2 "License accounting") and transfers between
/// Virtual Accounts of one Smart Account.
/// </summary>
public sealed class LicenseService(ISimulatorStore store, TimeProvider clock, IAuthorizationSource? authorizations = null)
{
    public const int MaxTransferEntries = 10;
    public const long MinTransferQuantity = 1;
    public const long MaxTransferQuantity = 998;

    private readonly IAuthorizationSource? _authorizations = authorizations;

    /// <summary>
    /// The licenses of a Virtual Account with their accounting, ordered by tag: every pool entry,
    /// plus an entry without a pool (purchased 0) for each tag its product instances report or hold
    /// authorizations for that the VA has none of.
    /// </summary>
    public async Task<IReadOnlyList<LicenseBalance>> BalancesAsync(VirtualAccount virtualAccount, CancellationToken ct = default)
    {
        var pool = await store.Accounts.ListLicensesAsync(virtualAccount.Id, ct);
        var reported = (await store.Usage.InUseAsync(virtualAccount.Id, ct))
            .GroupBy(u => EntitlementTag.Normalize(u.Tag), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(u => u.InUse), StringComparer.Ordinal);
        var authorized = await AuthorizedInstancesAsync(virtualAccount.Id, ct);

        var tags = new SortedSet<string>(StringComparer.Ordinal);
        tags.UnionWith(pool.Select(l => EntitlementTag.Normalize(l.Tag)));
        tags.UnionWith(reported.Keys);
        tags.UnionWith(authorized.Keys);
        var byTag = pool.GroupBy(l => EntitlementTag.Normalize(l.Tag), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        Dictionary<string, License>? elsewhere = null;

        var result = new List<LicenseBalance>(tags.Count);
        foreach (var tag in tags)
        {
            var usage = LicenseAccounting.Combine(reported.GetValueOrDefault(tag), authorized.GetValueOrDefault(tag) ?? []);
            if (byTag.TryGetValue(tag, out var license))
            {
                result.Add(new LicenseBalance(virtualAccount.Id, license.Tag, license.DisplayName, license.Enforcement, license, usage,
                    license.StartDate is { } start && start > today, IsExpired(license, today)));
                continue;
            }
            // Use without a pool entry: named as the Smart Account's other Virtual Accounts name the tag.
            elsewhere ??= await AccountLicensesAsync(virtualAccount, ct);
            elsewhere.TryGetValue(tag, out var known);
            result.Add(new LicenseBalance(virtualAccount.Id, tag, known?.DisplayName ?? tag, known?.Enforcement ?? Enforcement.Unenforced, null, usage, false));
        }
        return result;
    }

    /// <summary>A TERM or DEMO license whose end date has passed on the simulator clock (its last day still counts).</summary>
    public static bool IsExpired(License license, DateOnly today) => license.Type.IsSubscription() && license.EndDate is { } end && end < today;

    /// <summary>Today on the simulator clock.</summary>
    public DateOnly Today => DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);

    /// <summary>How long a product instance may go without reporting before it is out of compliance (seed 004: "reporting license usage within 90 days").</summary>
    public static readonly TimeSpan ReportingWindow = TimeSpan.FromDays(90);

    /// <summary>
    /// The licenses each product instance of one Virtual Account consumes, per tag max(reported, authorized)
    /// (SPEC §2), and whether it is in compliance: every license it consumes is in compliance in the
    /// Virtual Account, it uses no enforced license beyond its authorization, and it reported within
    /// <see cref="ReportingWindow"/> (its last contact, else its registration).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, DeviceStanding>> DevicesAsync(VirtualAccount virtualAccount, IReadOnlyList<StoredProductInstance> instances,
        CancellationToken ct = default)
    {
        var balances = (await BalancesAsync(virtualAccount, ct)).ToDictionary(b => EntitlementTag.Normalize(b.Tag), StringComparer.Ordinal);
        var now = clock.GetUtcNow();
        var result = new Dictionary<string, DeviceStanding>(StringComparer.Ordinal);
        var mine = instances.Where(p => p.VirtualAccountId == virtualAccount.Id).ToList();
        var reportedBy = (await store.Usage.InUseOfEachAsync(mine.Select(p => p.Udi).ToList(), ct)).ToLookup(u => u.Udi, StringComparer.Ordinal);
        foreach (var pi in mine)
        {
            var reported = reportedBy[pi.Udi].GroupBy(u => EntitlementTag.Normalize(u.Tag), StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Sum(u => Math.Max(0, u.InUse)), StringComparer.Ordinal);
            var authorized = (await store.Authorizations.ListActiveAsync(pi.Udi, ct)).SelectMany(a => a.Entitlements)
                .GroupBy(e => EntitlementTag.Normalize(e.Tag), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(e => e.Count), StringComparer.Ordinal);
            var licenses = new List<DeviceLicense>();
            var inCompliance = now - (pi.LastContact ?? pi.TrustedAt ?? pi.RegisteredAt) <= ReportingWindow;
            foreach (var tag in reported.Keys.Union(authorized.Keys).Order(StringComparer.Ordinal))
            {
                var used = reported.GetValueOrDefault(tag);
                var held = authorized.GetValueOrDefault(tag);
                var quantity = Math.Max(used, held);
                if (quantity <= 0) continue;
                balances.TryGetValue(tag, out var balance);
                licenses.Add(new DeviceLicense(tag, balance?.DisplayName ?? tag, quantity));
                if (balance is { InCompliance: false } || (balance?.Enforcement ?? Enforcement.Unenforced) != Enforcement.Unenforced && used > held)
                    inCompliance = false;
            }
            result[pi.Udi] = new DeviceStanding(licenses, inCompliance);
        }
        return result;
    }

    /// <summary>
    /// Moves licenses from <paramref name="source"/> to other Virtual Accounts of
    /// <paramref name="account"/>: all entries in one transaction, or none. Only licenses nothing
    /// consumes can move (purchased − consumption at the source).
    /// </summary>
    public async Task<TransferResult> TransferAsync(SmartAccount account, VirtualAccount source, IReadOnlyList<TransferEntry> entries, CancellationToken ct = default)
    {
        if (entries.Count == 0) return TransferResult.Refused("licenses must list at least one license to transfer");
        if (entries.Count > MaxTransferEntries)
            return TransferResult.Refused($"at most {MaxTransferEntries} licenses can be transferred in one request; got {entries.Count}");

        var balances = await BalancesAsync(source, ct);
        var pooled = balances.Where(b => b.Pool is not null).ToList();
        var moves = new List<LicenseMove>(entries.Count);
        var names = new List<string>(entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            var at = $"licenses[{i}]";
            if (e.Quantity is < MinTransferQuantity or > MaxTransferQuantity)
                return TransferResult.Refused($"{at}.quantity must be from {MinTransferQuantity} to {MaxTransferQuantity}; got {e.Quantity}");
            var (balance, problem) = Resolve(pooled, e.License);
            if (balance is null) return TransferResult.Refused($"{at}.license: {problem} in Virtual Account '{source.Name}'");
            // An expired TERM or DEMO license has left the pool: nothing of it can move.
            if (balance.Expired)
                return TransferResult.Refused($"{at}.license: '{balance.DisplayName}' in Virtual Account '{source.Name}' expired on {balance.Pool!.EndDate:yyyy-MM-dd}");
            if (!string.IsNullOrWhiteSpace(e.LicenseType) && !string.Equals(e.LicenseType.Trim(), balance.Pool!.Type.ToWire(), StringComparison.OrdinalIgnoreCase))
                return TransferResult.Refused($"{at}.licenseType: '{balance.DisplayName}' in Virtual Account '{source.Name}' is {balance.Pool!.Type.ToWire()}, not {e.LicenseType.Trim()}");
            var target = string.IsNullOrWhiteSpace(e.TargetVirtualAccount) ? null
                : await store.Accounts.FindVirtualAccountAsync(account.Id, e.TargetVirtualAccount.Trim(), ct);
            if (target is null)
                return TransferResult.Refused($"{at}.targetVirtualAccount: no Virtual Account '{e.TargetVirtualAccount}' in Smart Account {account.Domain}");
            if (target.Id == source.Id)
                return TransferResult.Refused($"{at}.targetVirtualAccount: '{target.Name}' is the Virtual Account the licenses are in");
            moves.Add(new LicenseMove(source.Id, target.Id, balance.Pool!.Tag, e.Quantity, Math.Max(0, balance.Usage.Consumption)));
            names.Add(balance.DisplayName);
        }

        var refusal = await store.Licenses.TransferAsync(account.Id, moves, ct);
        if (refusal is null) return TransferResult.Done;
        var where = $"licenses[{refusal.Index}]";
        return TransferResult.Refused(refusal.Problem switch
        {
            LicenseMoveProblem.InsufficientQuantity =>
                $"{where}: insufficient licenses: {refusal.Available} of '{names[refusal.Index]}' can be transferred from Virtual Account '{source.Name}', {moves[refusal.Index].Quantity} requested",
            LicenseMoveProblem.UnknownLicense => $"{where}.license: no license '{names[refusal.Index]}' in Virtual Account '{source.Name}'",
            _ => $"{where}.targetVirtualAccount: the Virtual Account is no longer in Smart Account {account.Domain}",
        });
    }

    /// <summary>A license by tag (either form), else by display name (exact, then ignoring case); an ambiguous name is refused.</summary>
    private static (LicenseBalance? Balance, string Problem) Resolve(IReadOnlyList<LicenseBalance> pooled, string? name)
    {
        var n = name?.Trim() ?? "";
        if (n.Length == 0) return (null, "a license name or tag is required");
        var tag = EntitlementTag.Normalize(n);
        var byTag = pooled.FirstOrDefault(b => string.Equals(EntitlementTag.Normalize(b.Tag), tag, StringComparison.Ordinal));
        if (byTag is not null) return (byTag, "");
        foreach (var comparison in new[] { StringComparison.Ordinal, StringComparison.OrdinalIgnoreCase })
        {
            var matches = pooled.Where(b => string.Equals(b.DisplayName, n, comparison)).ToList();
            if (matches.Count == 1) return (matches[0], "");
            if (matches.Count > 1) return (null, $"'{n}' names {matches.Count} licenses; name it by its tag");
        }
        return (null, $"no license '{n}'");
    }

    /// <summary>Authorized counts per tag, one entry per product instance, with each instance's own reported count.</summary>
    private async Task<Dictionary<string, List<InstanceUsage>>> AuthorizedInstancesAsync(string virtualAccountId, CancellationToken ct)
    {
        var result = new Dictionary<string, List<InstanceUsage>>(StringComparer.Ordinal);
        if (_authorizations is null) return result;
        var active = await _authorizations.ActiveAsync(virtualAccountId, ct);
        if (active.Count == 0) return result;
        // Every authorized instance's own reported counts in one read, not one read per instance.
        var reportedBy = (await store.Usage.InUseOfEachAsync(active.Select(a => a.Udi).ToHashSet(StringComparer.Ordinal), ct))
            .ToLookup(u => u.Udi, StringComparer.Ordinal);
        foreach (var instance in active.GroupBy(a => a.Udi, StringComparer.Ordinal))
        {
            var reported = reportedBy[instance.Key]
                .GroupBy(u => EntitlementTag.Normalize(u.Tag), StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Sum(u => u.InUse), StringComparer.Ordinal);
            foreach (var perTag in instance.GroupBy(a => EntitlementTag.Normalize(a.Tag), StringComparer.Ordinal))
            {
                if (!result.TryGetValue(perTag.Key, out var list)) result[perTag.Key] = list = [];
                list.Add(new InstanceUsage(reported.GetValueOrDefault(perTag.Key), perTag.Sum(a => a.Count), perTag.Sum(a => a.InTransition)));
            }
        }
        return result;
    }

    /// <summary>The licenses of every Virtual Account of the Smart Account, by tag (first by VA name).</summary>
    private async Task<Dictionary<string, License>> AccountLicensesAsync(VirtualAccount virtualAccount, CancellationToken ct)
    {
        var result = new Dictionary<string, License>(StringComparer.Ordinal);
        foreach (var va in await store.Accounts.ListVirtualAccountsAsync(virtualAccount.SmartAccountId, ct))
        {
            foreach (var license in await store.Accounts.ListLicensesAsync(va.Id, ct))
                result.TryAdd(EntitlementTag.Normalize(license.Tag), license);
        }
        return result;
    }
}
