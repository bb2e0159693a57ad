using System.Text.Json.Nodes;

namespace CssmSim.Engine.Seeding;

/// <summary>
/// A seed document (control.md §Seed document) as parsed: absent fields stay null so a merge
/// only touches what the document names.
/// </summary>
public sealed class SeedDocument
{
    public long? RandomSeed { get; init; }
    public IReadOnlyList<SeedApiClient> ApiClients { get; init; } = [];
    public IReadOnlyList<SeedUser> Users { get; init; } = [];
    /// <summary>Fault rules, kept as JSON: the fault engine validates and merges them.</summary>
    public IReadOnlyList<JsonObject> Faults { get; init; } = [];
    public IReadOnlyList<SeedAccount> Accounts { get; init; } = [];
}

public sealed record SeedApiClient(string ClientId, string? ClientSecret, IReadOnlyList<string>? Accounts);

public sealed record SeedUser(string Username, string? Password, IReadOnlyList<string>? Accounts, string? Email = null);

public sealed class SeedAccount
{
    public required string Domain { get; init; }
    public string? Name { get; init; }
    public string? AccountId { get; init; }
    /// <summary>Custom policy attributes (snake_case, as in the policy file).</summary>
    public JsonObject? Policy { get; init; }
    public IReadOnlyList<SeedVirtualAccount> VirtualAccounts { get; init; } = [];
}

public sealed class SeedVirtualAccount
{
    public required string Name { get; init; }
    public string? Id { get; init; }
    public bool? Default { get; init; }
    public string? Description { get; init; }
    public bool? ExportControlledAllowed { get; init; }
    public JsonObject? Policy { get; init; }
    public IReadOnlyList<SeedLicense> Licenses { get; init; } = [];
    public IReadOnlyList<SeedToken> Tokens { get; init; } = [];
    public IReadOnlyList<SeedProductInstance> ProductInstances { get; init; } = [];
}

public sealed record SeedLicense(
    string Tag,
    string? DisplayName,
    string? Enforcement,
    string? Type,
    long? Quantity,
    DateOnly? StartDate,
    DateOnly? EndDate);

public sealed record SeedToken(
    string? Token,
    string? Description,
    int? ExpiresAfterDays,
    int? MaxUses,
    bool? ExportControlled);

public sealed record SeedProductInstance(
    string UdiPid,
    string UdiSerialNumber,
    string? Hostname,
    bool? Trusted,
    bool? ExportControlled);
