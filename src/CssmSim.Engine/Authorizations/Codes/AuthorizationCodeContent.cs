using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Xml.Linq;
using CssmSim.Engine.Licensing;

namespace CssmSim.Engine.Authorizations.Codes;

/// <summary>
/// What an <c>&lt;authorizationCode&gt;</c> element says, shared by SLR codes, SLACs and the
/// simulator's PLR authorizations. Written in exactly this order, on one line:
/// <c>&lt;authorizationCode&gt;&lt;flag&gt;F&lt;/flag&gt;&lt;version&gt;V&lt;/version&gt;&lt;pid&gt;PIID&lt;/pid&gt;&lt;timestamp&gt;EPOCH_MS&lt;/timestamp&gt;&lt;entitlements&gt;&lt;entitlement&gt;&lt;tag&gt;…&lt;/tag&gt;&lt;count&gt;…&lt;/count&gt;&lt;startDate&gt;…&lt;/startDate&gt;&lt;endDate&gt;…&lt;/endDate&gt;&lt;licenseType&gt;…&lt;/licenseType&gt;&lt;displayName&gt;…&lt;/displayName&gt;&lt;tagDescription&gt;…&lt;/tagDescription&gt;&lt;subscriptionID&gt;…&lt;/subscriptionID&gt;&lt;/entitlement&gt;…&lt;/entitlements&gt;&lt;/authorizationCode&gt;</c>.
/// </summary>
/// <param name="Flag"><see cref="SpecificFlag"/> (<c>A</c>, as in Cisco's codes) or <see cref="UniversalFlag"/>.</param>
/// <param name="Version"><see cref="CurrentVersion"/> (<c>C</c>, as in Cisco's codes).</param>
/// <param name="Piid">The product instance's PIID (a UUID); the element is <c>&lt;pid&gt;</c>, and <c>&lt;piid&gt;</c> is read too.</param>
/// <param name="TimestampMs">Issue time, epoch milliseconds.</param>
/// <param name="Entitlements">Every licence the code authorizes (an update lists all of them again).</param>
public sealed record AuthorizationCodeContent(
    string Flag,
    string Version,
    string Piid,
    long TimestampMs,
    IReadOnlyList<CodeEntitlement> Entitlements)
{
    /// <summary>The flag of SLR codes and SLACs (Cisco's value; its meaning is undocumented).</summary>
    public const string SpecificFlag = "A";

    /// <summary>The simulator's flag for a PLR (universal) authorization, so it can never pass for an SLR code.</summary>
    public const string UniversalFlag = "U";

    public const string CurrentVersion = "C";

    internal const string ElementName = "authorizationCode";

    /// <summary>The element text, one line, values XML-escaped, tags in the dot form.</summary>
    /// <exception cref="ArgumentException">A value XML cannot carry, a negative count or timestamp.</exception>
    public string ToXml()
    {
        ArgumentNullException.ThrowIfNull(Flag);
        ArgumentNullException.ThrowIfNull(Version);
        ArgumentNullException.ThrowIfNull(Piid);
        ArgumentNullException.ThrowIfNull(Entitlements);
        ArgumentOutOfRangeException.ThrowIfNegative(TimestampMs);

        var sb = new StringBuilder(256 + (Entitlements.Count * 384));
        sb.Append("<authorizationCode>");
        CodeXml.AppendElement(sb, "flag", Flag, "The flag");
        CodeXml.AppendElement(sb, "version", Version, "The version");
        CodeXml.AppendElement(sb, "pid", Piid, "The PIID");
        sb.Append("<timestamp>").Append(TimestampMs.ToString(CultureInfo.InvariantCulture)).Append("</timestamp>");
        sb.Append("<entitlements>");
        foreach (var e in Entitlements)
        {
            ArgumentNullException.ThrowIfNull(e, nameof(Entitlements));
            ArgumentOutOfRangeException.ThrowIfNegative(e.Count, nameof(CodeEntitlement.Count));
            sb.Append("<entitlement>");
            CodeXml.AppendElement(sb, "tag", EntitlementTag.ToDotForm(e.Tag), "The tag");
            sb.Append("<count>").Append(e.Count.ToString(CultureInfo.InvariantCulture)).Append("</count>");
            CodeXml.AppendElement(sb, "startDate", e.StartDate ?? string.Empty, "The start date");
            CodeXml.AppendElement(sb, "endDate", e.EndDate ?? string.Empty, "The end date");
            CodeXml.AppendElement(sb, "licenseType", e.LicenseType ?? string.Empty, "The license type");
            CodeXml.AppendElement(sb, "displayName", e.DisplayName ?? string.Empty, "The display name");
            CodeXml.AppendElement(sb, "tagDescription", e.TagDescription ?? string.Empty, "The tag description");
            CodeXml.AppendElement(sb, "subscriptionID", e.SubscriptionId ?? string.Empty, "The subscription id");
            sb.Append("</entitlement>");
        }

        sb.Append("</entitlements></authorizationCode>");
        return sb.ToString();
    }

    /// <summary>
    /// Reads an element: children by name in any order; <c>pid</c> (or <c>piid</c>), <c>timestamp</c>
    /// and <c>entitlements</c> required, <c>flag</c>/<c>version</c> empty when absent; each
    /// entitlement needs <c>tag</c> and a non-negative <c>count</c>; unknown elements are ignored.
    /// </summary>
    internal static bool TryRead(XElement code, [NotNullWhen(true)] out AuthorizationCodeContent? content, [NotNullWhen(false)] out string? error)
    {
        content = null;
        if (!Text(code, "flag", false, out var flag, out error)
            || !Text(code, "version", false, out var version, out error)
            || !Text(code, "pid", false, out var pid, out error)
            || !Text(code, "piid", false, out var piid, out error)
            || !Text(code, "timestamp", true, out var timestampText, out error)
            || !CodeXml.TryChild(code, "entitlements", true, out var list, out error))
        {
            return false;
        }

        if (pid is not null && piid is not null)
        {
            error = "<authorizationCode> has both <pid> and <piid>.";
            return false;
        }

        var id = (pid ?? piid)?.Trim();
        if (string.IsNullOrEmpty(id))
        {
            error = "<authorizationCode> has no PIID (<pid> or <piid>).";
            return false;
        }

        if (!long.TryParse(timestampText!.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var timestamp))
        {
            error = "<timestamp> is not a non-negative whole number of milliseconds.";
            return false;
        }

        var entitlements = new List<CodeEntitlement>();
        foreach (var e in list!.Elements("entitlement"))
        {
            if (!TryReadEntitlement(e, entitlements.Count, out var entitlement, out error))
            {
                return false;
            }

            entitlements.Add(entitlement!);
        }

        content = new AuthorizationCodeContent(flag?.Trim() ?? "", version?.Trim() ?? "", id, timestamp, entitlements);
        return true;
    }

    private static bool TryReadEntitlement(XElement e, int index, [NotNullWhen(true)] out CodeEntitlement? entitlement, [NotNullWhen(false)] out string? error)
    {
        entitlement = null;
        if (!Text(e, "tag", true, out var tag, out error)
            || !Text(e, "count", true, out var countText, out error)
            || !Text(e, "startDate", false, out var start, out error)
            || !Text(e, "endDate", false, out var end, out error)
            || !Text(e, "licenseType", false, out var type, out error)
            || !Text(e, "displayName", false, out var name, out error)
            || !Text(e, "tagDescription", false, out var description, out error)
            || !Text(e, "subscriptionID", false, out var subscription, out error))
        {
            error = $"Entitlement {index + 1}: {error}";
            return false;
        }

        if (string.IsNullOrWhiteSpace(tag))
        {
            error = $"Entitlement {index + 1}: <tag> is empty.";
            return false;
        }

        if (!int.TryParse(countText!.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            error = $"Entitlement {index + 1}: <count> is not a non-negative whole number.";
            return false;
        }

        entitlement = new CodeEntitlement(
            tag, count, name ?? "", description ?? "", type?.Trim() ?? "", start?.Trim() ?? "", end?.Trim() ?? "", subscription?.Trim() ?? "");
        return true;
    }

    private static bool Text(XElement parent, string name, bool required, out string? value, [NotNullWhen(false)] out string? error)
    {
        value = null;
        if (!CodeXml.TryChild(parent, name, required, out var child, out error))
        {
            return false;
        }

        if (child is not null)
        {
            if (child.HasElements)
            {
                error = $"<{name}> must hold text only.";
                return false;
            }

            value = child.Value;
        }

        return true;
    }
}
