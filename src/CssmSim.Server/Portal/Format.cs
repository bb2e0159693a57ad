using System.Globalization;

namespace CssmSim.Server.Portal;

/// <summary>How the portal writes times, counts and durations.</summary>
public static class Format
{
    public static string Date(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MMM-dd", CultureInfo.InvariantCulture);

    public static string DateTime(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MMM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";

    public static string DateTime(DateTimeOffset? t) => t is { } v ? DateTime(v) : "—";

    /// <summary>ISO-8601 UTC for machine-readable attributes.</summary>
    public static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// A journaled body as a person reads it: JSON indented, with JSON-escaped strings (smart
    /// transport's report payloads, ACK files) and base64 text (SLP's <c>smart_license</c>) shown
    /// decoded, and form bodies one field a line. Null when there is nothing to decode beyond the raw text.
    /// </summary>
    public static string? DecodedBody(string? body)
    {
        if (string.IsNullOrWhiteSpace(body) || body.StartsWith('<')) return null;
        try
        {
            if (System.Text.Json.Nodes.JsonNode.Parse(body) is { } node)
                return Decode(node, 0).ToJsonString(IndentedJson);
        }
        catch (System.Text.Json.JsonException)
        {
        }
        if (body.Contains('=') && !body.Contains('\n') && !body.Contains(' '))
        {
            var fields = body.Split('&').Select(p => p.Split('=', 2)).Select(kv =>
                Uri.UnescapeDataString(kv[0].Replace('+', ' ')) + " = " + (kv.Length > 1 ? Uri.UnescapeDataString(kv[1].Replace('+', ' ')) : ""));
            return string.Join('\n', fields);
        }
        return null;
    }

    private static readonly System.Text.Json.JsonSerializerOptions IndentedJson = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static System.Text.Json.Nodes.JsonNode Decode(System.Text.Json.Nodes.JsonNode node, int depth)
    {
        if (depth > 8) return node.DeepClone();
        switch (node)
        {
            case System.Text.Json.Nodes.JsonObject o:
                var copy = new System.Text.Json.Nodes.JsonObject();
                foreach (var (k, v) in o) copy[k] = v is null ? null : Decode(v, depth + 1);
                return copy;
            case System.Text.Json.Nodes.JsonArray a:
                return new System.Text.Json.Nodes.JsonArray(a.Select(v => v is null ? null : Decode(v, depth + 1)).ToArray());
            case System.Text.Json.Nodes.JsonValue v when v.TryGetValue<string>(out var text) && text.Length > 1:
                var t = text.TrimStart();
                if (t.StartsWith('{') || t.StartsWith('['))
                {
                    try
                    {
                        if (System.Text.Json.Nodes.JsonNode.Parse(text) is { } inner) return Decode(inner, depth + 1);
                    }
                    catch (System.Text.Json.JsonException)
                    {
                    }
                }
                else if (text.Length >= 16 && text.Length % 4 == 0 && Base64Text(text) is { } decoded)
                {
                    return System.Text.Json.Nodes.JsonValue.Create("(base64) " + decoded);
                }
                return node.DeepClone();
            default:
                return node.DeepClone();
        }
    }

    // Base64 whose bytes are printable UTF-8 text (an XML or JSON document), else null.
    private static string? Base64Text(string text)
    {
        var bytes = new byte[text.Length];
        if (!Convert.TryFromBase64String(text, bytes, out var n)) return null;
        try
        {
            var decoded = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, 0, n);
            return decoded.TrimStart() is { Length: > 0 } d && (d[0] == '<' || d[0] == '{') && !decoded.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')) ? decoded : null;
        }
        catch (System.Text.DecoderFallbackException)
        {
            return null;
        }
    }

    public static string Number(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A signed span in days, hours and minutes: <c>+30d 2h</c>, <c>-1h 5m</c>, <c>0</c>.</summary>
    public static string Offset(TimeSpan span)
    {
        if (Math.Abs(span.TotalSeconds) < 30) return "0";
        var sign = span < TimeSpan.Zero ? "-" : "+";
        // To the minute: an offset set "30 days ahead" is a few ticks short of it by the time it is read.
        var a = TimeSpan.FromMinutes(Math.Round(span.Duration().TotalMinutes));
        var parts = new List<string>();
        if (a.Days > 0) parts.Add($"{a.Days}d");
        if (a.Hours > 0) parts.Add($"{a.Hours}h");
        if (a.Minutes > 0 && a.Days == 0) parts.Add($"{a.Minutes}m");
        return sign + (parts.Count == 0 ? "0m" : string.Join(' ', parts));
    }

    /// <summary>The start and end of a long string with an ellipsis between (the full text goes to copy buttons).</summary>
    public static string Shorten(string text, int keep = 24) =>
        text.Length <= keep + 3 ? text : text[..(keep - 8)] + "…" + text[^8..];

    /// <summary>A <c>data:</c> URL for a download link that needs no server round trip.</summary>
    public static string DataUrl(string text, string mediaType = "text/plain") =>
        $"data:{mediaType};charset=utf-8;base64,{Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text))}";
}
