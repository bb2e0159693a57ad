using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Engine.Accounts;
using CssmSim.Engine.Seeding;
using CssmSim.Engine.Validation;

namespace CssmSim.Engine.Policies;

/// <summary>A custom policy merged onto the Cisco default, before accounts and time are attached.</summary>
internal sealed record MergedPolicy(
    string PolicyName,
    string Source,
    bool ReportingAckRequired,
    IReadOnlyDictionary<PolicyClass, PolicyTerms> Terms,
    IReadOnlyDictionary<string, string> Sources,
    PolicyOrigin Origin);

/// <summary>
/// Attribute-by-attribute merging and the policy JSON (artefacts.md §Policy file). An attribute
/// the custom policy sets is labelled <c>Customer Policy</c> (even when its value equals the
/// default, as devices show "Reporting ACK required: yes (Customer Policy)"); one it leaves out
/// keeps the Cisco default value and label.
/// </summary>
internal static class PolicyMerge
{
    private static readonly JsonSerializerOptions Compact = new()
    {
        WriteIndented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Merges <paramref name="custom"/> (a validated custom policy, or null) onto the Cisco default.</summary>
    public static MergedPolicy Merge(JsonObject? custom, PolicyOrigin origin)
    {
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        var terms = new Dictionary<PolicyClass, PolicyTerms>();
        var anyCustom = false;

        var ack = PolicyDefaults.ReportingAckRequired;
        if (custom?[PolicyDefaults.ReportingAckRequiredKey] is JsonValue ackValue && ackValue.TryGetValue<bool>(out var customAck))
        {
            ack = customAck;
            anyCustom = true;
            sources[PolicyDefaults.ReportingAckRequiredKey] = PolicyDefaults.CustomerSource;
        }
        else
        {
            sources[PolicyDefaults.ReportingAckRequiredKey] = PolicyDefaults.CiscoSource;
        }

        foreach (var c in PolicyClasses.All)
        {
            var defaults = PolicyDefaults.TermsOf(c);
            var customClass = custom?[c.JsonName()] as JsonObject;
            var values = new int[PolicyAttributes.DayFields.Length];
            for (var i = 0; i < values.Length; i++)
            {
                var field = PolicyAttributes.DayFields[i];
                var key = c.JsonName() + "." + field;
                if (customClass?[field] is JsonValue v && NodeReader.TryGetWhole(v, out var days))
                {
                    values[i] = checked((int)days);
                    sources[key] = PolicyDefaults.CustomerSource;
                    anyCustom = true;
                }
                else
                {
                    values[i] = defaults[field];
                    sources[key] = PolicyDefaults.CiscoSource;
                }
            }
            terms[c] = new PolicyTerms(values[0], values[1], values[2]);
        }

        var name = custom is null
            ? PolicyDefaults.PolicyName
            : custom["policy_name"] is JsonValue n && n.TryGetValue<string>(out var s) ? s : PolicyDefaults.UnnamedCustomPolicyName;
        return new MergedPolicy(name, anyCustom ? PolicyDefaults.CustomerSource : PolicyDefaults.CiscoSource, ack, terms, sources,
            custom is null ? PolicyOrigin.CiscoDefault : origin);
    }

    /// <summary>
    /// Reads a stored custom policy. Stored text was validated when it was written; anything that no
    /// longer validates (a hand-edited snapshot) is dropped attribute by attribute, never fatal.
    /// </summary>
    public static JsonObject? ParseStored(string? stored)
    {
        if (string.IsNullOrWhiteSpace(stored)) return null;
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(stored);
        }
        catch (JsonException)
        {
            return null;
        }
        if (node is not JsonObject) return null;
        return PolicyAttributes.Validate(node, "", new ValidationErrors());
    }

    /// <summary>
    /// The policy JSON in artefacts.md's key order; <c>issued_at</c> left out when
    /// <paramref name="issuedAtMs"/> is null (the form <see cref="VersionOf"/> hashes).
    /// </summary>
    public static JsonObject Json(MergedPolicy p, SmartAccount sa, VirtualAccount va, long? issuedAtMs)
    {
        var json = new JsonObject
        {
            ["version"] = PolicyDefaults.FormatVersion,
            ["policy_name"] = p.PolicyName,
            ["source"] = p.Source,
            [PolicyDefaults.ReportingAckRequiredKey] = p.ReportingAckRequired,
        };
        foreach (var c in PolicyClasses.All)
        {
            var t = p.Terms[c];
            json[c.JsonName()] = new JsonObject
            {
                ["first_report_days"] = t.FirstReportDays,
                ["reporting_frequency_days"] = t.ReportingFrequencyDays,
                ["report_on_change_days"] = t.ReportOnChangeDays,
            };
        }
        var sources = new JsonObject();
        foreach (var key in PolicyDefaults.AttributeKeys) sources[key] = p.Sources[key];
        json["sources"] = sources;
        if (issuedAtMs is { } ms) json["issued_at"] = ms;
        json["smart_account"] = new JsonObject { ["id"] = sa.Id, ["domain"] = sa.Domain, ["name"] = sa.Name };
        json["virtual_account"] = new JsonObject { ["id"] = va.Id, ["name"] = va.Name };
        return json;
    }

    /// <summary>Compact UTF-8 without BOM; non-ASCII text is written as is.</summary>
    public static byte[] Utf8(JsonObject json) => JsonSerializer.SerializeToUtf8Bytes(json, Compact);

    /// <summary>First 16 lowercase hex characters of SHA-256 over the JSON without <c>issued_at</c>.</summary>
    public static string VersionOf(JsonObject jsonWithoutIssuedAt) =>
        Convert.ToHexStringLower(SHA256.HashData(Utf8(jsonWithoutIssuedAt)), 0, 8);
}
