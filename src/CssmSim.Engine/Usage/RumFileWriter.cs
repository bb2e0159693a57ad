using System.Text;
using System.Text.Json;

namespace CssmSim.Engine.Usage;

/// <summary>
/// Writes a RUM file the way <c>license smart save usage ... file</c> does: a <c>&lt;smartLicense&gt;</c>
/// of <c>&lt;RUMReport&gt;&lt;![CDATA[{...}]]&gt;&lt;/RUMReport&gt;</c> elements (and, for offline flows, trust and
/// authorization requests). <see cref="RumFileReader"/> reads the result back to the same values.
/// </summary>
public sealed class RumFileWriter
{
    private readonly StringBuilder _entries = new();

    /// <summary>Number of entries added.</summary>
    public int Count { get; private set; }

    /// <summary>Adds a report entry <c>{"payload","signature"?,"header"?}</c>.</summary>
    /// <param name="payloadJson">The payload string, written as a JSON string and read back unchanged.</param>
    /// <param name="signature">The outer signature; null fields are left out, a null signature too.</param>
    /// <param name="includeHeader">Add <c>"header":{"type":"rum"}</c> (the sample from a real device has none).</param>
    public RumFileWriter AddReport(string payloadJson, RumReportSignature? signature, bool includeHeader = false)
    {
        ArgumentNullException.ThrowIfNull(payloadJson);
        var json = RumReportBuilder.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("payload", payloadJson);
            if (signature is not null)
            {
                w.WriteStartObject("signature");
                if (signature.Sudi is not null) RumReportBuilder.WriteSudi(w, "sudi", signature.Sudi);
                if (signature.SigningType is not null) w.WriteString("signing_type", signature.SigningType);
                if (signature.Key is not null) w.WriteString("key", signature.Key);
                if (signature.Value is not null) w.WriteString("value", signature.Value);
                w.WriteEndObject();
            }
            if (includeHeader)
            {
                w.WriteStartObject("header");
                w.WriteString("type", "rum");
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }, indented: true);
        return Add(RumFileReader.ReportElement, json);
    }

    /// <summary>Adds a report built by <see cref="RumReportBuilder.BuildSigned"/>.</summary>
    public RumFileWriter AddReport(RumSignedReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return AddReport(report.PayloadJson, report.Signature);
    }

    /// <summary>Adds a <c>smartLicenseTrustRequest</c>.</summary>
    public RumFileWriter AddTrustRequest(RumUdi udi, string? hostname = null, IEnumerable<RumHaUdi>? haUdis = null)
    {
        ArgumentNullException.ThrowIfNull(udi);
        var json = RumReportBuilder.Write(w =>
        {
            w.WriteStartObject();
            RumReportBuilder.WriteSudi(w, "sudi", udi);
            if (hostname is not null) w.WriteString("hostname", hostname);
            if (haUdis is not null) WriteHaUdis(w, haUdis);
            w.WriteEndObject();
        });
        return Add(RumFileReader.TrustRequestElement, json);
    }

    /// <summary>Adds a <c>smartLicenseAuthorizationRequest</c>; tags are written as <see cref="RumEntitlementCount.TagAsWritten"/>.</summary>
    public RumFileWriter AddAuthorizationRequest(RumUdi udi, IEnumerable<RumEntitlementCount> entitlements, RumAuthorizationMode mode)
    {
        ArgumentNullException.ThrowIfNull(udi);
        ArgumentNullException.ThrowIfNull(entitlements);
        var json = RumReportBuilder.Write(w =>
        {
            w.WriteStartObject();
            RumReportBuilder.WriteSudi(w, "sudi", udi);
            w.WriteStartArray("entitlements");
            foreach (var e in entitlements)
            {
                w.WriteStartObject();
                w.WriteString("tag", e.TagAsWritten);
                w.WriteNumber("count", e.Count);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteString("mode", mode == RumAuthorizationMode.Replace ? "replace" : "add");
            w.WriteEndObject();
        });
        return Add(RumFileReader.AuthorizationRequestElement, json);
    }

    /// <summary>The file text.</summary>
    public string ToXml() => "<" + RumFileReader.SmartLicenseElement + ">\n" + _entries + "</" + RumFileReader.SmartLicenseElement + ">\n";

    /// <summary>The file as UTF-8 without BOM.</summary>
    public byte[] ToUtf8() => Encoding.UTF8.GetBytes(ToXml());

    /// <summary>
    /// Wraps text in CDATA. A CDATA section cannot hold <c>]]&gt;</c>, so each one is split across two
    /// sections (<c>]]</c> ends the first, <c>&gt;</c> starts the next); readers join adjacent sections.
    /// </summary>
    public static string Cdata(string text) =>
        "<![CDATA[" + text.Replace("]]>", "]]]]><![CDATA[>", StringComparison.Ordinal) + "]]>";

    private RumFileWriter Add(string element, string json)
    {
        _entries.Append('<').Append(element).Append(">\n").Append(Cdata(json)).Append("\n</").Append(element).Append(">\n");
        Count++;
        return this;
    }

    private static void WriteHaUdis(Utf8JsonWriter w, IEnumerable<RumHaUdi> haUdis)
    {
        w.WriteStartArray("ha_udis");
        foreach (var ha in haUdis)
        {
            w.WriteStartObject();
            if (ha.Role is not null) w.WriteString("role", ha.Role);
            RumReportBuilder.WriteSudi(w, "sudi", ha.Udi);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
