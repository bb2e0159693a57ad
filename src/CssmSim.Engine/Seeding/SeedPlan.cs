using CssmSim.Engine.Ids;
using CssmSim.Engine.Licensing;
using CssmSim.Engine.Policies;

namespace CssmSim.Engine.Seeding;

/// <summary>
/// A seed document resolved for the store: derived ids and load-date defaults computed, and each
/// item's JSON path kept so a conflict the store finds can name the field. Null means "not given":
/// an upsert leaves that column as it is on an existing row.
/// </summary>
public sealed record SeedPlan(
    IReadOnlyList<PlannedAccount> Accounts,
    IReadOnlyList<PlannedClient> Clients,
    IReadOnlyList<PlannedUser> Users,
    IReadOnlyList<SeedSlrCatalogEntry>? SlrCatalog = null)
{
    public static SeedPlan Empty { get; } = new([], [], []);

    /// <summary>The same plan restricted to one Smart Account (clients and users left out).</summary>
    public SeedPlan ForAccount(string domain) => new(
        Accounts.Where(a => a.Domain.Equals(domain, StringComparison.OrdinalIgnoreCase)).ToList(), [], []);

    /// <summary>Resolves <paramref name="doc"/> with ids derived from <paramref name="ids"/>, dated <paramref name="loadDate"/>.</summary>
    public static SeedPlan From(SeedDocument doc, DerivedIds ids, DateOnly loadDate)
    {
        var accounts = doc.Accounts.Select((a, i) =>
        {
            var path = $"accounts[{i}]";
            var firstDefault = a.VirtualAccounts.FirstOrDefault()?.Name;
            return new PlannedAccount(
                path,
                a.Domain,
                a.Name,
                a.AccountId,
                ids.Decimal("sa/" + a.Domain.ToLowerInvariant()),
                a.Policy is not null,
                PolicyAttributes.ToStorage(a.Policy),
                firstDefault,
                a.VirtualAccounts.Select((v, j) => new PlannedVirtualAccount(
                    $"{path}.virtualAccounts[{j}]",
                    v.Name,
                    v.Id,
                    ids.Decimal("va/" + a.Domain.ToLowerInvariant() + "/" + v.Name),
                    v.Default,
                    v.Description,
                    v.ExportControlledAllowed,
                    v.Policy is not null,
                    PolicyAttributes.ToStorage(v.Policy),
                    v.Licenses.Select((l, k) => PlanLicense($"{path}.virtualAccounts[{j}].licenses[{k}]", l, loadDate)).ToList(),
                    v.Tokens,
                    v.ProductInstances)).ToList());
        }).ToList();
        return new SeedPlan(
            accounts,
            doc.ApiClients.Select(c => new PlannedClient(c.ClientId, c.ClientSecret, c.Accounts)).ToList(),
            doc.Users.Select(u => new PlannedUser(u.Username, u.Password, u.Accounts, u.Email)).ToList(),
            doc.SlrCatalog);
    }

    private static PlannedLicense PlanLicense(string path, SeedLicense l, DateOnly loadDate)
    {
        LicenseNames.TryParseType(l.Type, out var type);
        LicenseNames.TryParseEnforcement(l.Enforcement, out var enforcement);
        // TERM and DEMO without dates run from the load date for 365 days (control.md §Seed document).
        var defaultStart = l.StartDate ?? loadDate;
        var defaultEnd = l.EndDate ?? defaultStart.AddDays(365);
        return new PlannedLicense(
            path,
            l.Tag,
            l.DisplayName,
            l.Enforcement is null ? null : enforcement,
            l.Type is null ? null : type,
            l.Quantity,
            l.StartDate,
            l.EndDate,
            defaultStart,
            defaultEnd);
    }
}

public sealed record PlannedAccount(
    string Path,
    string Domain,
    string? Name,
    string? IdGiven,
    string DerivedId,
    bool PolicyGiven,
    string? PolicyJson,
    string? FirstVirtualAccount,
    IReadOnlyList<PlannedVirtualAccount> VirtualAccounts);

public sealed record PlannedVirtualAccount(
    string Path,
    string Name,
    string? IdGiven,
    string DerivedId,
    bool? Default,
    string? Description,
    bool? ExportControlledAllowed,
    bool PolicyGiven,
    string? PolicyJson,
    IReadOnlyList<PlannedLicense> Licenses,
    IReadOnlyList<SeedToken> Tokens,
    IReadOnlyList<SeedProductInstance> ProductInstances);

public sealed record PlannedLicense(
    string Path,
    string Tag,
    string? DisplayName,
    Enforcement? Enforcement,
    LicenseType? Type,
    long? Quantity,
    DateOnly? StartDate,
    DateOnly? EndDate,
    DateOnly DefaultStart,
    DateOnly DefaultEnd);

public sealed record PlannedClient(string ClientId, string? ClientSecret, IReadOnlyList<string>? Accounts);

public sealed record PlannedUser(string Username, string? Password, IReadOnlyList<string>? Accounts, string? Email = null);
