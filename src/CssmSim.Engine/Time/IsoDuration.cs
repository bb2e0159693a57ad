using System.Globalization;
using System.Text.RegularExpressions;

namespace CssmSim.Engine.Time;

/// <summary>
/// ISO-8601 durations of the form <c>PnDTnHnMnS</c> (control.md §Clock): days and time only,
/// since years, months and weeks have no fixed length. A leading <c>-</c> goes backwards.
/// </summary>
public static partial class IsoDuration
{
    [GeneratedRegex(@"^(-)?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d{1,3})?)S)?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = default;
        if (text is null || text.Length > 64) return false;
        var m = Pattern().Match(text.Trim());
        if (!m.Success || text.EndsWith('T') || (!m.Groups[2].Success && !m.Groups[3].Success && !m.Groups[4].Success && !m.Groups[5].Success)) return false;
        try
        {
            var d = TimeSpan.FromDays(Num(m.Groups[2])) + TimeSpan.FromHours(Num(m.Groups[3])) + TimeSpan.FromMinutes(Num(m.Groups[4]))
                + TimeSpan.FromSeconds(m.Groups[5].Success ? double.Parse(m.Groups[5].Value, CultureInfo.InvariantCulture) : 0);
            if (d > TimeSpan.FromDays(36_500)) return false;
            duration = m.Groups[1].Success ? -d : d;
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    public static string Format(TimeSpan d)
    {
        var sign = d < TimeSpan.Zero ? "-" : "";
        d = d.Duration();
        var s = sign + "P";
        if (d.Days > 0) s += d.Days + "D";
        if (d.Hours > 0 || d.Minutes > 0 || d.Seconds > 0 || d.Milliseconds > 0)
        {
            s += "T";
            if (d.Hours > 0) s += d.Hours + "H";
            if (d.Minutes > 0) s += d.Minutes + "M";
            if (d.Seconds > 0 || d.Milliseconds > 0)
                s += (d.Seconds + d.Milliseconds / 1000.0).ToString("0.###", CultureInfo.InvariantCulture) + "S";
        }
        return s == sign + "P" ? "PT0S" : s;
    }

    private static long Num(Group g) => g.Success ? long.Parse(g.Value, CultureInfo.InvariantCulture) : 0;
}
