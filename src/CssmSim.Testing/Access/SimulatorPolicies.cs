using System.Text.Json.Nodes;
using CssmSim.Engine.Policies;

namespace CssmSim.Testing;

/// <summary>Where the custom part of a Virtual Account's policy comes from.</summary>
public enum PolicyLevel
{
    /// <summary>No custom policy: the Cisco default alone.</summary>
    CiscoDefault,
    /// <summary>The Smart Account's custom policy.</summary>
    SmartAccount,
    /// <summary>The Virtual Account's own custom policy.</summary>
    VirtualAccount,
}

/// <summary>The policy in force for a Virtual Account, as devices receive it.</summary>
/// <param name="Name">The custom policy's name, or <c>Cisco default</c>.</param>
/// <param name="Level">Which custom policy, if any, was merged onto the Cisco default.</param>
/// <param name="ReportingAckRequired">Whether reports need an ACK.</param>
/// <param name="IssuedAt">When this version was made (virtual clock).</param>
/// <param name="Json">The policy JSON as signed into artefacts.</param>
public sealed record PolicyInfo(string Name, PolicyLevel Level, bool ReportingAckRequired, DateTimeOffset IssuedAt, JsonObject Json);

/// <summary>Policies: the one in force per Virtual Account, and custom policies on Smart or Virtual Accounts.</summary>
public sealed class SimulatorPolicies
{
    private readonly EngineAccess _engine;

    internal SimulatorPolicies(EngineAccess engine) => _engine = engine;

    /// <summary>The policy in force for a Virtual Account (its own custom policy, else its Smart Account's, else the Cisco default).</summary>
    public Task<PolicyInfo> GetAsync(string virtualAccount = "DEFAULT", string? smartAccount = null, CancellationToken ct = default) =>
        EngineAccess.CallAsync(async () =>
        {
            var (sa, va) = await _engine.VirtualAccountAsync(smartAccount, virtualAccount, ct);
            var p = await _engine.Policies.ResolveAsync(sa, va, ct);
            var level = p.Origin switch
            {
                PolicyOrigin.SmartAccount => PolicyLevel.SmartAccount,
                PolicyOrigin.VirtualAccount => PolicyLevel.VirtualAccount,
                _ => PolicyLevel.CiscoDefault,
            };
            return new PolicyInfo(p.PolicyName, level, p.ReportingAckRequired, p.IssuedAt, p.ToJson());
        });

    /// <summary>
    /// Sets the custom policy of a Virtual Account, or of the Smart Account when <paramref name="virtualAccount"/>
    /// is null (control.md §Policies gives the attributes), replacing any earlier one.
    /// </summary>
    /// <exception cref="ArgumentException">The policy is invalid (the message names each attribute at fault), or no such account.</exception>
    public Task SetCustomAsync(JsonObject policy, string? virtualAccount = "DEFAULT", string? smartAccount = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return EngineAccess.CallAsync(async () =>
        {
            var sa = await _engine.SmartAccountAsync(smartAccount, ct);
            await _engine.Policies.SetCustomAsync(sa.Domain, virtualAccount, policy.DeepClone(), ct);
        });
    }

    /// <summary>Removes the custom policy of a Virtual Account, or of the Smart Account when <paramref name="virtualAccount"/> is null.</summary>
    public Task ClearCustomAsync(string? virtualAccount = "DEFAULT", string? smartAccount = null, CancellationToken ct = default) =>
        EngineAccess.CallAsync(async () =>
        {
            var sa = await _engine.SmartAccountAsync(smartAccount, ct);
            await _engine.Policies.ClearCustomAsync(sa.Domain, virtualAccount, ct);
        });
}
