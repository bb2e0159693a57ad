using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace CssmSim.Engine.Usage;

/// <summary>
/// RUM report ids are unsigned 64-bit decimals (real ones reach 2^64 − 1), so they are kept as
/// text, never parsed through <c>double</c> or <c>long</c>. Two ids are the same report when their
/// keys (the decimal without leading zeros) are equal: <c>007</c> and <c>7</c> are one id.
/// </summary>
public static class RumReportId
{
    /// <summary>2^64 − 1, the largest id accepted.</summary>
    public const string MaxValue = "18446744073709551615";

    /// <summary>Longest id text accepted (leading zeros included).</summary>
    public const int MaxTextLength = 64;

    /// <summary>The comparison key of a decimal id: leading zeros dropped (<c>"0"</c> for all zeros).</summary>
    public static bool TryKey(string? text, [NotNullWhen(true)] out string? key, out string? error)
    {
        key = null;
        error = null;
        if (string.IsNullOrEmpty(text))
        {
            error = "report_id is empty";
            return false;
        }
        if (text.Length > MaxTextLength)
        {
            error = $"report_id is longer than {MaxTextLength} characters";
            return false;
        }
        if (!RumJson.IsAsciiDigits(text))
        {
            error = $"report_id '{text}' is not a non-negative decimal integer";
            return false;
        }
        var k = text.TrimStart('0');
        if (k.Length == 0) k = "0";
        if (k.Length > MaxValue.Length || (k.Length == MaxValue.Length && string.CompareOrdinal(k, MaxValue) > 0))
        {
            error = $"report_id {text} is larger than 2^64 - 1";
            return false;
        }
        key = k;
        return true;
    }

    /// <summary>The comparison key of a decimal id, or null when <paramref name="text"/> is not one.</summary>
    public static string? KeyOf(string? text) => TryKey(text, out var key, out _) ? key : null;

    /// <summary>Whether two id texts name the same report.</summary>
    public static bool AreSame(string? a, string? b) => KeyOf(a) is { } ka && string.Equals(ka, KeyOf(b), StringComparison.Ordinal);

    /// <summary>Reads a <c>report_id</c> value: a JSON number (its exact digits) or a string of digits.</summary>
    internal static bool TryRead(JsonElement e, out string id, out bool isNumber, out string key, out string? error)
    {
        id = "";
        key = "";
        isNumber = e.ValueKind == JsonValueKind.Number;
        string? text = e.ValueKind switch
        {
            JsonValueKind.Number => e.GetRawText(),
            JsonValueKind.String => e.GetString(),
            _ => null,
        };
        if (text is null)
        {
            error = "report_id must be a JSON number or a string of digits, not " + e.ValueKind;
            return false;
        }
        if (!TryKey(text, out var k, out error)) return false;
        id = text;
        key = k;
        return true;
    }
}
