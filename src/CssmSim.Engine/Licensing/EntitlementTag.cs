using System.Text.RegularExpressions;

namespace CssmSim.Engine.Licensing;

/// <summary>
/// Entitlement tags appear with a comma before the version in reports
/// (<c>regid.2019-03.com.cisco.DNA_HSEC,1.0_&lt;uuid&gt;</c>) and with a dot inside code XML
/// (<c>...DNA_HSEC.1.0_&lt;uuid&gt;</c>); both name one tag (artefacts.md). The comma form is canonical.
/// </summary>
public static partial class EntitlementTag
{
    [GeneratedRegex(@"[.,](\d+\.\d+_[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})$")]
    private static partial Regex VersionSuffix();

    /// <summary>The canonical (comma) form; tags of other shapes are trimmed and kept as they are.</summary>
    public static string Normalize(string tag)
    {
        var t = tag.Trim();
        var m = VersionSuffix().Match(t);
        return m.Success ? string.Concat(t.AsSpan(0, m.Index), ",", m.Groups[1].Value) : t;
    }

    /// <summary>The dot form used inside reservation and SLAC code XML.</summary>
    public static string ToDotForm(string tag)
    {
        var t = Normalize(tag);
        var m = VersionSuffix().Match(t);
        return m.Success ? string.Concat(t.AsSpan(0, m.Index), ".", m.Groups[1].Value) : t;
    }

    public static bool AreSame(string a, string b) => string.Equals(Normalize(a), Normalize(b), StringComparison.Ordinal);
}
