using System.Text.Json.Nodes;
using CssmSim.Engine.Faults;

namespace CssmSim.Testing;

/// <summary>A fault rule in force, with this simulator's counters.</summary>
/// <param name="Id">The rule's id (e.g. <c>token-max-uses-bottleneck</c>).</param>
/// <param name="Name">Its name, if given.</param>
/// <param name="Enabled">Whether it is on.</param>
/// <param name="Builtin">Whether it is built in (it can be patched and disabled, not deleted).</param>
/// <param name="Candidates">How many requests matched it.</param>
/// <param name="Applied">How many times its effect was applied.</param>
/// <param name="Exhausted">Whether its <c>times</c> cap was reached.</param>
/// <param name="Json">The rule as the control API shows it.</param>
public sealed record FaultRuleInfo(string Id, string? Name, bool Enabled, bool Builtin, long Candidates, long Applied, bool Exhausted, JsonObject Json);

/// <summary>Fault rules (control.md §Faults), built with <see cref="Fault"/>.</summary>
public sealed class SimulatorFaults
{
    private readonly EngineAccess _engine;

    internal SimulatorFaults(EngineAccess engine) => _engine = engine;

    /// <summary>The id of the built-in token max-uses bottleneck rule.</summary>
    public const string TokenBottleneckId = FaultEngine.BottleneckId;

    /// <summary>Every rule in the order they are tried.</summary>
    public IReadOnlyList<FaultRuleInfo> List() => _engine.Faults.List().Select(ToInfo).ToList();

    /// <summary>A rule by id, or null.</summary>
    public FaultRuleInfo? Find(string id) => _engine.Faults.Find(id) is { } v ? ToInfo(v) : null;

    /// <summary>Adds a rule and returns it with its id.</summary>
    /// <exception cref="ArgumentException">The rule is invalid; the message names each field at fault.</exception>
    public Task<FaultRuleInfo> AddAsync(Fault fault, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(fault);
        return AddAsync(fault.ToJson(), ct);
    }

    /// <summary>Adds a rule from the control API's JSON.</summary>
    /// <exception cref="ArgumentException">The rule is invalid.</exception>
    /// <exception cref="InvalidOperationException">Its id is taken.</exception>
    public Task<FaultRuleInfo> AddAsync(JsonObject rule, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return EngineAccess.CallAsync(async () => ToInfo(await _engine.Faults.AddAsync(rule.DeepClone(), ct)));
    }

    /// <summary>
    /// Adds a rule, blocking until it is stored (an in-memory store answers at once). Prefer
    /// <see cref="AddAsync(Fault, CancellationToken)"/> in async code.
    /// </summary>
    public FaultRuleInfo Add(Fault fault) => AddAsync(fault).GetAwaiter().GetResult();

    /// <summary>
    /// Applies a JSON merge patch to a rule, built-ins included, e.g.
    /// <c>PatchAsync(SimulatorFaults.TokenBottleneckId, """{"when":{"concurrentAbove":8}}""")</c>.
    /// </summary>
    /// <exception cref="ArgumentException">No such rule, or the patched rule is invalid.</exception>
    public Task<FaultRuleInfo> PatchAsync(string id, string jsonMergePatch, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jsonMergePatch);
        return PatchAsync(id, JsonNode.Parse(jsonMergePatch) as JsonObject ?? throw new ArgumentException("a merge patch must be a JSON object", nameof(jsonMergePatch)), ct);
    }

    /// <summary>Applies a JSON merge patch (RFC 7386) to a rule, built-ins included.</summary>
    public Task<FaultRuleInfo> PatchAsync(string id, JsonObject patch, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentNullException.ThrowIfNull(patch);
        return EngineAccess.CallAsync(async () => ToInfo(await _engine.Faults.PatchAsync(id, patch.DeepClone(), ct)));
    }

    /// <summary>Switches a rule on or off (built-ins included).</summary>
    public Task<FaultRuleInfo> EnableAsync(string id, bool enabled, CancellationToken ct = default) =>
        PatchAsync(id, new JsonObject { ["enabled"] = enabled }, ct);

    /// <summary>Removes a user rule.</summary>
    /// <exception cref="ArgumentException">No such rule.</exception>
    /// <exception cref="InvalidOperationException">A built-in rule: disable it instead.</exception>
    public Task DeleteAsync(string id, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        return EngineAccess.CallAsync(() => _engine.Faults.DeleteAsync(id, ct));
    }

    /// <summary>Removes every user rule; built-in rules stay as they are.</summary>
    public Task ClearAsync(CancellationToken ct = default) => _engine.Faults.DeleteUserRulesAsync(ct);

    private static FaultRuleInfo ToInfo(FaultRuleView v) =>
        new(v.Rule.Id, v.Rule.Name, v.Rule.Enabled, v.Rule.Builtin, v.Candidates, v.Applied, v.Exhausted, v.ToJson());
}
