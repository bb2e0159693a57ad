using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Engine.ProductInstances;
using CssmSim.Engine.Usage;

namespace CssmSim.Server.Wire;

/// <summary>The JSON field readers every device surface uses (smart transport, SLP): one reading of a string, a count, a sudi.</summary>
public static class WireJson
{
    /// <summary>A JSON string's value; null for anything else.</summary>
    public static string? Text(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    /// <summary>A JSON number or numeric string, read exactly (never through floating point).</summary>
    public static long? Number(JsonNode? node)
    {
        if (node is not JsonValue v) return null;
        if (v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var l)) return l;
        if (v.GetValueKind() == JsonValueKind.String && long.TryParse(v.GetValue<string>().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var s)) return s;
        return null;
    }

    /// <summary>True only for a JSON <c>true</c>.</summary>
    public static bool IsTrue(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.True;

    /// <summary>A <c>sudi</c> object (HA members, trust requests, SLP items); null when absent or not a valid UDI.</summary>
    public static Udi? ReadUdi(JsonNode? node) =>
        node is JsonObject s && Text(s["udi_pid"]) is { } pid && Text(s["udi_serial_number"]) is { } sn && Udi.Problem(pid, sn) is null
            ? new Udi(pid.Trim(), sn.Trim())
            : null;

    /// <summary>A report's <c>signature</c> object (SLP usage items and smart-transport reports alike).</summary>
    public static RumReportSignature? ReadSignature(JsonNode? node)
    {
        if (node is not JsonObject signature) return null;
        using var doc = JsonDocument.Parse(signature.ToJsonString());
        return RumReportSignature.FromJson(doc.RootElement);
    }

    /// <summary><c>[{tag|entitlement, count}]</c> items; null when one lacks either.</summary>
    public static List<(string Tag, long Count)>? ReadCounts(JsonNode? node, string tagField)
    {
        var counts = new List<(string, long)>();
        foreach (var e in node as JsonArray ?? [])
        {
            if (Text((e as JsonObject)?[tagField]) is not { } tag || Number((e as JsonObject)?["count"]) is not { } count) return null;
            counts.Add((tag, count));
        }
        return counts;
    }

    public static JsonObject SudiJson(Udi udi) => new() { ["udi_pid"] = udi.Pid, ["udi_serial_number"] = udi.Serial };
}
