using System.Globalization;
using System.Text.Json;

namespace CssmSim.Engine.Usage;

/// <summary>Small, strict readers for the JSON inside RUM files (no comments, no trailing commas).</summary>
internal static class RumJson
{
    public static JsonDocumentOptions Options(RumLimits limits) => new() { MaxDepth = limits.MaxJsonDepth };

    /// <summary>The property <paramref name="name"/> of an object, or null when absent or when <paramref name="obj"/> is not an object.</summary>
    public static JsonElement? Prop(JsonElement? obj, string name) =>
        obj is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) ? v : null;

    /// <summary>A JSON string's value; null for any other kind.</summary>
    public static string? Str(JsonElement? e) => e is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;

    /// <summary>A JSON string's value or a number's exact text; null for any other kind.</summary>
    public static string? Text(JsonElement? e) => e switch
    {
        { ValueKind: JsonValueKind.String } v => v.GetString(),
        { ValueKind: JsonValueKind.Number } v => v.GetRawText(),
        _ => null,
    };

    public static bool? Bool(JsonElement? e) => e?.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    /// <summary>An integer given as a JSON number (integral) or as a string of ASCII digits with an optional leading minus.</summary>
    public static bool TryInteger(JsonElement? e, out long value)
    {
        value = 0;
        return e switch
        {
            { ValueKind: JsonValueKind.Number } n => n.TryGetInt64(out value),
            { ValueKind: JsonValueKind.String } s => long.TryParse(s.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value),
            _ => false,
        };
    }

    public static long? Integer(JsonElement? e) => TryInteger(e, out var v) ? v : null;

    /// <summary>A <c>sudi</c> object with non-empty <c>udi_pid</c> and <c>udi_serial_number</c>; other keys are ignored.</summary>
    public static RumUdi? Udi(JsonElement? sudi)
    {
        var pid = Str(Prop(sudi, "udi_pid"));
        var sn = Str(Prop(sudi, "udi_serial_number"));
        return string.IsNullOrWhiteSpace(pid) || string.IsNullOrWhiteSpace(sn) ? null : new RumUdi(pid, sn);
    }

    /// <summary>An array of <c>{"role","sudi"}</c>; <paramref name="error"/> names the first bad member.</summary>
    public static List<RumHaUdi> HaUdis(JsonElement? array, string field, out string? error)
    {
        var list = new List<RumHaUdi>();
        error = null;
        if (array is null || array.Value.ValueKind == JsonValueKind.Null) return list;
        if (array.Value.ValueKind != JsonValueKind.Array)
        {
            error = field + " is not an array";
            return list;
        }
        var i = 0;
        foreach (var item in array.Value.EnumerateArray())
        {
            var udi = Udi(Prop(item, "sudi"));
            if (udi is null)
            {
                error = $"{field}[{i}] has no sudi with udi_pid and udi_serial_number";
                return list;
            }
            list.Add(new RumHaUdi(Str(Prop(item, "role")), udi));
            i++;
        }
        return list;
    }

    public static bool IsAsciiDigits(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty) return false;
        foreach (var c in s)
            if (!char.IsAsciiDigit(c)) return false;
        return true;
    }
}
