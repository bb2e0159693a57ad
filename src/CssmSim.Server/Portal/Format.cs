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
