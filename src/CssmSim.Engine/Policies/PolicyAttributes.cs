using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Engine.Seeding;
using CssmSim.Engine.Validation;

namespace CssmSim.Engine.Policies;

/// <summary>
/// The attributes a custom policy may set (artefacts.md §Policy file): a name, the ACK flag, and
/// three day counts for each of the four license classes. Stored as given; merged onto the Cisco
/// default when a policy is resolved.
/// </summary>
public static class PolicyAttributes
{
    public static readonly string[] Classes = ["unenforced_perpetual", "unenforced_subscription", "enforced", "export"];
    public static readonly string[] DayFields = ["first_report_days", "reporting_frequency_days", "report_on_change_days"];

    /// <summary>Checks a custom policy object; returns a clean copy, or null (errors recorded) when absent or invalid.</summary>
    public static JsonObject? Validate(JsonNode? node, string path, ValidationErrors errors)
    {
        if (node is null) return null;
        var r = new NodeReader(errors);
        if (node is not JsonObject obj) { errors.Add(path, "must be an object"); return null; }
        r.OnlyKeys(obj, path, ["policy_name", "reporting_ack_required", .. Classes]);
        var clean = new JsonObject();
        if (r.String(obj, "policy_name", path, maxLength: 256) is { } name) clean["policy_name"] = name;
        if (r.Bool(obj, "reporting_ack_required", path) is { } ack) clean["reporting_ack_required"] = ack;
        foreach (var cls in Classes)
        {
            if (obj[cls] is null) continue;
            var cp = NodeReader.Join(path, cls);
            if (r.Object(obj[cls], cp) is not { } co) continue;
            r.OnlyKeys(co, cp, DayFields);
            var cleanClass = new JsonObject();
            foreach (var f in DayFields)
            {
                if (r.Integer(co, f, cp, 0, 3650) is { } days) cleanClass[f] = days;
            }
            clean[cls] = cleanClass;
        }
        return clean;
    }

    /// <summary>Canonical text for storage (property order as validated, compact).</summary>
    public static string? ToStorage(JsonObject? policy) => policy?.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
}
