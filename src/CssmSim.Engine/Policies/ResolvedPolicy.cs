using System.Text.Json.Nodes;
using CssmSim.Engine.Accounts;

namespace CssmSim.Engine.Policies;

/// <summary>Where the custom part of an effective policy came from.</summary>
public enum PolicyOrigin
{
    /// <summary>No custom policy: the Cisco default alone.</summary>
    CiscoDefault,
    /// <summary>The Smart Account's custom policy (the Virtual Account has none).</summary>
    SmartAccount,
    /// <summary>The Virtual Account's own custom policy.</summary>
    VirtualAccount,
}

/// <summary>
/// The policy in force for one Virtual Account: a custom policy merged attribute by attribute
/// onto the Cisco default, with the source of every attribute, as a device receives it
/// (artefacts.md §Policy file). Immutable; <see cref="Utf8Json"/> is the exact JSON that is signed.
/// </summary>
public sealed class ResolvedPolicy
{
    private readonly byte[] _utf8;
    private readonly IReadOnlyDictionary<PolicyClass, PolicyTerms> _terms;

    internal ResolvedPolicy(
        MergedPolicy merged, SmartAccount smartAccount, VirtualAccount virtualAccount,
        string version, DateTimeOffset issuedAt, byte[] utf8)
    {
        PolicyName = merged.PolicyName;
        Source = merged.Source;
        ReportingAckRequired = merged.ReportingAckRequired;
        _terms = merged.Terms;
        Sources = merged.Sources;
        Origin = merged.Origin;
        SmartAccount = smartAccount;
        VirtualAccount = virtualAccount;
        Version = version;
        IssuedAt = issuedAt;
        _utf8 = utf8;
    }

    /// <summary>
    /// A stable identifier of this policy's content: a hash of the JSON without <c>issued_at</c>.
    /// Equal for equal content (names and ids of the accounts included); a change makes a new one.
    /// </summary>
    public string Version { get; }

    /// <summary>The custom policy's name, or <c>Cisco default</c>.</summary>
    public string PolicyName { get; }

    /// <summary><c>CISCO default</c> when every attribute comes from the Cisco default, else <c>Customer Policy</c>.</summary>
    public string Source { get; }

    /// <summary>Whether the device's reports need an ACK.</summary>
    public bool ReportingAckRequired { get; }

    /// <summary>Which custom policy (if any) was merged onto the Cisco default.</summary>
    public PolicyOrigin Origin { get; }

    /// <summary>
    /// The source label of each attribute (<c>CISCO default</c> or <c>Customer Policy</c>), keyed as
    /// in the JSON's <c>sources</c>: <c>reporting_ack_required</c>, <c>enforced.first_report_days</c>, and so on.
    /// </summary>
    public IReadOnlyDictionary<string, string> Sources { get; }

    /// <summary>When this version of the policy was first made (the simulator clock, millisecond precision).</summary>
    public DateTimeOffset IssuedAt { get; }

    /// <summary><see cref="IssuedAt"/> as epoch milliseconds, the JSON's <c>issued_at</c>.</summary>
    public long IssuedAtMs => IssuedAt.ToUnixTimeMilliseconds();

    public SmartAccount SmartAccount { get; }

    public VirtualAccount VirtualAccount { get; }

    /// <summary>The terms of one license class.</summary>
    public PolicyTerms TermsOf(PolicyClass c) => _terms[c];

    /// <summary>The policy JSON (a fresh copy each call), keys in the order artefacts.md shows.</summary>
    public JsonObject ToJson() => JsonNode.Parse(_utf8)!.AsObject();

    /// <summary>The exact bytes of the signed <c>&lt;data&gt;</c>: compact UTF-8 JSON without BOM.</summary>
    public ReadOnlyMemory<byte> Utf8Json => _utf8;

    /// <summary>The JSON as text (the same bytes as <see cref="Utf8Json"/>).</summary>
    public string JsonText => System.Text.Encoding.UTF8.GetString(_utf8);
}
