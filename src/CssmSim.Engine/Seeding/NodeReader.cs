using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Engine.Validation;

namespace CssmSim.Engine.Seeding;

/// <summary>
/// Typed reads from a <see cref="JsonObject"/> that record every problem under its JSON path
/// instead of stopping at the first, and refuse keys the format does not define.
/// </summary>
public sealed class NodeReader(ValidationErrors errors)
{
    public ValidationErrors Errors { get; } = errors;

    public static string Join(string path, string key) => path.Length == 0 ? key : path + "." + key;

    public static string Index(string path, int i) => $"{path}[{i}]";

    /// <summary>Records an error for each key of <paramref name="obj"/> not in <paramref name="allowed"/>.</summary>
    public void OnlyKeys(JsonObject obj, string path, params string[] allowed)
    {
        foreach (var (key, _) in obj)
        {
            if (System.Array.IndexOf(allowed, key) < 0)
                Errors.Add(Join(path, key), $"unknown field; expected one of: {string.Join(", ", allowed)}");
        }
    }

    public JsonObject? Object(JsonNode? node, string path, bool required = false)
    {
        if (node is null) { if (required) Errors.Add(path, "is required"); return null; }
        if (node is JsonObject o) return o;
        Errors.Add(path, "must be an object");
        return null;
    }

    public JsonArray? Array(JsonObject obj, string key, string path)
    {
        var node = obj[key];
        if (node is null) return null;
        if (node is JsonArray a) return a;
        Errors.Add(Join(path, key), "must be a list");
        return null;
    }

    public string? String(JsonObject obj, string key, string path, bool required = false, int maxLength = 1024)
    {
        var node = obj[key];
        var p = Join(path, key);
        if (node is null) { if (required) Errors.Add(p, "is required"); return null; }
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            var s = v.GetValue<string>();
            if (required && string.IsNullOrWhiteSpace(s)) { Errors.Add(p, "must not be empty"); return null; }
            if (s.Length > maxLength) { Errors.Add(p, $"must be at most {maxLength} characters"); return null; }
            return s;
        }
        Errors.Add(p, "must be a string");
        return null;
    }

    /// <summary>A string, or a number written without quotes (ids such as <c>accountId: 100001</c>).</summary>
    public string? StringOrInteger(JsonObject obj, string key, string path)
    {
        if (obj[key] is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
        {
            if (v.TryGetValue<long>(out var l)) return l.ToString(CultureInfo.InvariantCulture);
            Errors.Add(Join(path, key), "must be a string or a whole number");
            return null;
        }
        return String(obj, key, path);
    }

    /// <summary>
    /// A whole number from a parsed document or from a node built in code (which holds an int,
    /// long or double rather than JSON text); integral floats count.
    /// </summary>
    public static bool TryGetWhole(JsonValue v, out long value)
    {
        value = 0;
        if (v.TryGetValue<long>(out var l)) { value = l; return true; }
        if (v.TryGetValue<int>(out var i)) { value = i; return true; }
        if (v.TryGetValue<double>(out var d) && Math.Abs(d) < 9e15 && d == Math.Floor(d)) { value = (long)d; return true; }
        if (v.TryGetValue<decimal>(out var m) && m == decimal.Truncate(m) && Math.Abs(m) < 9e15m) { value = (long)m; return true; }
        return false;
    }

    public bool? Bool(JsonObject obj, string key, string path)
    {
        var node = obj[key];
        if (node is null) return null;
        if (node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False) return v.GetValue<bool>();
        Errors.Add(Join(path, key), "must be true or false");
        return null;
    }

    /// <summary>An integer; integral floats (<c>30.0</c>) are accepted as clients send them.</summary>
    public long? Integer(JsonObject obj, string key, string path, long min = long.MinValue, long max = long.MaxValue)
    {
        var node = obj[key];
        if (node is null) return null;
        var p = Join(path, key);
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
        {
            if (!TryGetWhole(v, out var value)) { Errors.Add(p, "must be a whole number"); return null; }
            if (value < min || value > max) { Errors.Add(p, $"must be between {min} and {max}"); return null; }
            return value;
        }
        Errors.Add(p, "must be a whole number");
        return null;
    }

    public DateOnly? Date(JsonObject obj, string key, string path)
    {
        var s = String(obj, key, path, maxLength: 32);
        if (s is null) return null;
        if (DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return d;
        Errors.Add(Join(path, key), "must be a date as YYYY-MM-DD");
        return null;
    }

    public IReadOnlyList<string>? StringList(JsonObject obj, string key, string path)
    {
        var arr = Array(obj, key, path);
        if (arr is null) return null;
        var list = new List<string>();
        for (var i = 0; i < arr.Count; i++)
        {
            if (arr[i] is JsonValue v && v.GetValueKind() == JsonValueKind.String) list.Add(v.GetValue<string>());
            else Errors.Add(Index(Join(path, key), i), "must be a string");
        }
        return list;
    }
}
