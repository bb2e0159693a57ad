using System.Text.Json.Nodes;

namespace CssmSim.Server.Tests.Hostile;

/// <summary>Values put in place of one field of an otherwise valid body.</summary>
public static class HostileValues
{
    /// <summary>Injection strings: SQL, markup, traversal, NUL, very long, bidi and emoji, template and JNDI, lone surrogate.</summary>
    public static readonly IReadOnlyList<string> Injections =
    [
        "'; DROP TABLE tokens;--",
        "\" OR \"1\"=\"1",
        "<script>alert(1)</script>",
        "../../../../etc/passwd",
        "..\\..\\windows\\win.ini",
        "a\u0000b",
        "\r\nX-Injected: 1",
        new string('x', 100_000),
        "\u202Eevil\u202C \U0001F600 \u0645\u0631\u062D\u0628\u0627",
        "{{7*7}}${jndi:ldap://127.0.0.1/a}%s%n",
        "\ud800",
        "",
        "   ",
    ];

    /// <summary>Counts and sizes: negative, zero, overflowing, fractional, exponent.</summary>
    public static readonly IReadOnlyList<JsonNode> Numbers =
    [
        JsonValue.Create(-1), JsonValue.Create(0), JsonValue.Create(long.MinValue), JsonValue.Create(long.MaxValue),
        JsonNode.Parse("18446744073709551616")!, JsonNode.Parse("1e308")!, JsonNode.Parse("-1e308")!, JsonValue.Create(2.5), JsonValue.Create(int.MaxValue + 1L),
        JsonValue.Create("-1"), JsonValue.Create("99999999999999999999999"),
    ];

    /// <summary>Absurd dates and durations, for fields that hold one.</summary>
    public static readonly IReadOnlyList<string> Dates =
    [
        "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z", "10000-01-01T00:00:00Z", "-0001-01-01T00:00:00Z", "2024-02-30T00:00:00Z",
        "not a date", "1700000000000", "P99999999999D", "-P1D", "PT-1S", "P1Y", "P", "PT99999999999999999999S",
    ];

    /// <summary>The wrong JSON type for any field.</summary>
    public static IEnumerable<JsonNode?> WrongTypes(JsonNode? original)
    {
        yield return null;
        yield return new JsonArray();
        yield return new JsonObject();
        yield return JsonValue.Create(true);
        if (original is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String) yield return JsonValue.Create(12345);
        else yield return JsonValue.Create("12345");
        yield return new JsonArray(JsonValue.Create(1), JsonValue.Create("x"));
    }

    /// <summary>Every replacement worth trying in place of <paramref name="original"/>.</summary>
    public static IEnumerable<(string Name, JsonNode? Value)> For(JsonNode? original)
    {
        foreach (var w in WrongTypes(original)) yield return ("wrong type " + (w?.ToJsonString() ?? "null"), w);
        var kind = original?.GetValueKind();
        if (kind == System.Text.Json.JsonValueKind.Number)
            foreach (var n in Numbers) yield return ("number " + n.ToJsonString(), n.DeepClone());
        if (kind == System.Text.Json.JsonValueKind.String)
        {
            var text = original!.GetValue<string>();
            foreach (var s in Injections) yield return ("text " + Describe(s), JsonValue.Create(s));
            // Dates and numeric strings where the field holds one: elsewhere they are just more text.
            if (LooksLikeTime(text)) foreach (var d in Dates) yield return ("date " + d, JsonValue.Create(d));
            if (text.Length > 0 && text.All(char.IsAsciiDigit))
                foreach (var n in Numbers.Where(n => n.GetValueKind() == System.Text.Json.JsonValueKind.String)) yield return ("number " + n.ToJsonString(), n.DeepClone());
        }
        if (original is JsonArray a && a.Count > 0)
        {
            yield return ("empty array", new JsonArray());
            yield return ("10,000 copies", new JsonArray([.. Enumerable.Repeat(0, 10_000).Select(_ => a[0]!.DeepClone())]));
        }
    }

    private static bool LooksLikeTime(string s) =>
        (s.Length >= 10 && char.IsAsciiDigit(s[0]) && s[4] == '-') || (s.StartsWith('P') && s.Length < 16 && s.Skip(1).All(c => char.IsAsciiDigit(c) || "DTHMS".Contains(c)))
        || (s.Length >= 10 && s.All(char.IsAsciiDigit));

    private static string Describe(string s) => s.Length > 40 ? $"{s[..10]}…({s.Length} chars)" : System.Text.Json.JsonSerializer.Serialize(s);
}
