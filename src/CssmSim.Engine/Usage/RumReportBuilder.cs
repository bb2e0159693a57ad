using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using CssmSim.Engine.Ids;

namespace CssmSim.Engine.Usage;

/// <summary>
/// One measurement for <see cref="RumReportBuilder"/>: an in-use count over [start, end], with the
/// UDIs (access points, say) that joined or left during it (<c>meta.added_sudi_list</c> / <c>removed_sudi_list</c>).
/// </summary>
public sealed record RumMeasurementSpec(
    long Count,
    DateTimeOffset Start,
    DateTimeOffset End,
    IReadOnlyList<RumUdi>? Added = null,
    IReadOnlyList<RumUdi>? Removed = null);

/// <summary>A payload and its outer signature, ready for <see cref="RumFileWriter.AddReport(RumSignedReport)"/> or a REST body.</summary>
public sealed record RumSignedReport(string PayloadJson, RumReportSignature Signature);

/// <summary>
/// Builds report payloads for simulated devices in the v2.0 shape of a real report
/// (<c>samples/rum-report-c9800cl.xml</c>, fields in its order): compact JSON, times in epoch
/// seconds, <c>report_id</c> a JSON number, counts as strings.
/// </summary>
public sealed class RumReportBuilder
{
    private static readonly Guid AssetNamespace = Guid.Parse("0b5f3c1e-6a0d-5e7b-9c43-2d8a1f6e4b70");

    // Real devices sample every 15 minutes; a measurement of n seconds holds round(n / 900) + 1
    // samples (the sample's 86399 s → 97, 374401 s → 417).
    private const long SampleSeconds = 900;

    public RumReportBuilder(RumUdi udi, string entitlementTag, ulong reportId)
    {
        ArgumentNullException.ThrowIfNull(udi);
        ArgumentException.ThrowIfNullOrWhiteSpace(entitlementTag);
        Udi = udi;
        EntitlementTag = entitlementTag;
        ReportId = reportId;
    }

    /// <summary>The reporting device.</summary>
    public RumUdi Udi { get; }

    /// <summary>The entitlement tag, written as given.</summary>
    public string EntitlementTag { get; }

    /// <summary>The report id (a JSON number in the payload).</summary>
    public ulong ReportId { get; }

    /// <summary>
    /// <c>asset_identification.asset.name</c> and the signature <c>key</c>: the product's software id.
    /// Null gives <c>regid.2018-05.com.cisco.CssmSim,1.0_&lt;UUIDv5 of the PID&gt;</c>.
    /// </summary>
    public string? AssetName { get; set; }

    /// <summary><c>meta.software_version</c>.</summary>
    public string SoftwareVersion { get; set; } = "17.09.02";

    /// <summary><c>meta.utility_enabled</c>.</summary>
    public bool UtilityEnabled { get; set; }

    /// <summary><c>meta.ha_udi</c>; empty gives the device alone as <c>Active</c>, as a standalone device reports.</summary>
    public List<RumHaUdi> HaUdis { get; } = [];

    /// <summary>The measurements, in payload order.</summary>
    public List<RumMeasurementSpec> Measurements { get; } = [];

    /// <summary>
    /// Every measurement's <c>metric_name</c>: <c>ENTITLEMENT</c> (license use, the default) or
    /// <c>TELEMETRY</c> (a telemetry report, never counted as use).
    /// </summary>
    public string MetricName { get; set; } = "ENTITLEMENT";

    /// <summary>
    /// The payload's own <c>signature.value</c>. Its meaning in real reports is unknown and nothing
    /// checks it; null gives base64 of SHA-256 over the measurements JSON (44 characters, like real ones).
    /// </summary>
    public string? PayloadSignatureValue { get; set; }

    /// <summary>The asset name in use (<see cref="AssetName"/> or its default).</summary>
    public string EffectiveAssetName =>
        AssetName ?? "regid.2018-05.com.cisco.CssmSim,1.0_" + Uuid.V5(AssetNamespace, Udi.Pid).ToString("D");

    /// <summary>Adds a measurement of <paramref name="count"/> in use from <paramref name="start"/> to <paramref name="end"/>.</summary>
    public RumReportBuilder AddMeasurement(long count, DateTimeOffset start, DateTimeOffset end,
        IReadOnlyList<RumUdi>? added = null, IReadOnlyList<RumUdi>? removed = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (end < start) throw new ArgumentException("a measurement cannot end before it starts", nameof(end));
        Measurements.Add(new RumMeasurementSpec(count, start, end, added, removed));
        return this;
    }

    /// <summary>The payload JSON string.</summary>
    public string Build()
    {
        var asset = EffectiveAssetName;
        var measurements = Write(WriteMeasurements);
        var innerSignature = PayloadSignatureValue ?? Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(measurements)));
        return Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("version", "2.0");
            w.WriteStartObject("asset_identification");
            w.WriteNumber("report_id", ReportId);
            w.WriteStartObject("asset");
            w.WriteString("name", asset);
            w.WriteEndObject();
            w.WriteStartObject("instance");
            WriteSudi(w, "sudi", Udi);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartObject("signature");
            w.WriteString("signing_type", RumReportSignature.Builtin);
            w.WriteString("key", asset);
            w.WriteString("value", innerSignature);
            w.WriteEndObject();
            w.WriteStartObject("meta");
            w.WriteString("entitlement_tag", EntitlementTag);
            w.WriteBoolean("utility_enabled", UtilityEnabled);
            w.WriteString("software_version", SoftwareVersion);
            w.WriteStartArray("ha_udi");
            foreach (var ha in HaUdis.Count > 0 ? HaUdis : [new RumHaUdi("Active", Udi)])
            {
                w.WriteStartObject();
                if (ha.Role is not null) w.WriteString("role", ha.Role);
                WriteSudi(w, "sudi", ha.Udi);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WritePropertyName("measurements");
            w.WriteRawValue(measurements, skipInputValidation: true);
            w.WriteEndObject();
        });
    }

    /// <summary>The payload and its outer signature (HMAC-SHA256 with <paramref name="rumKey"/>, see <see cref="RumSignature"/>).</summary>
    public RumSignedReport BuildSigned(ReadOnlySpan<byte> rumKey)
    {
        var payload = Build();
        return new RumSignedReport(payload, new RumReportSignature(Udi, RumReportSignature.Builtin, EffectiveAssetName, RumSignature.Sign(payload, rumKey)));
    }

    private void WriteMeasurements(Utf8JsonWriter w)
    {
        w.WriteStartArray();
        foreach (var m in Measurements)
        {
            var start = m.Start.ToUnixTimeSeconds();
            var end = m.End.ToUnixTimeSeconds();
            var interval = Math.Max(0, end - start);
            w.WriteStartObject();
            w.WriteNumber("log_time", start);
            w.WriteString("metric_name", MetricName);
            w.WriteNumber("start_time", start);
            w.WriteNumber("end_time", end);
            w.WriteNumber("sample_interval", interval);
            w.WriteNumber("num_samples", (interval + SampleSeconds / 2) / SampleSeconds + 1);
            w.WriteStartObject("meta");
            WriteUdiList(w, "removed_sudi_list", m.Removed);
            WriteUdiList(w, "added_sudi_list", m.Added);
            w.WriteEndObject();
            w.WriteStartObject("value");
            w.WriteString("type", "COUNT");
            w.WriteString("value", m.Count.ToString(CultureInfo.InvariantCulture));
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WriteUdiList(Utf8JsonWriter w, string name, IReadOnlyList<RumUdi>? udis)
    {
        w.WriteStartArray(name);
        foreach (var udi in udis ?? [])
        {
            w.WriteStartObject();
            w.WriteString("udi_pid", udi.Pid);
            w.WriteString("udi_serial_number", udi.SerialNumber);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    internal static void WriteSudi(Utf8JsonWriter w, string name, RumUdi udi)
    {
        w.WriteStartObject(name);
        w.WriteString("udi_pid", udi.Pid);
        w.WriteString("udi_serial_number", udi.SerialNumber);
        w.WriteEndObject();
    }

    /// <summary>
    /// Writer options for RUM JSON: quotes escaped as <c>\"</c> the way devices write them, no
    /// HTML-motivated escaping, control and non-character code points escaped.
    /// </summary>
    internal static JsonWriterOptions WriterOptions(bool indented) => new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = indented,
        NewLine = "\n",
    };

    internal static string Write(Action<Utf8JsonWriter> write, bool indented = false)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions(indented))) write(w);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
