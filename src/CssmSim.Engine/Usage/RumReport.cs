using System.Text.Json;
using Tags = CssmSim.Engine.Licensing.EntitlementTag;

namespace CssmSim.Engine.Usage;

/// <summary>
/// The outer <c>signature</c> of a report: <c>{"sudi","signing_type":"builtin","key","value"}</c>.
/// Every field is optional here; signature checking (<see cref="RumSignature"/>) decides what it needs.
/// </summary>
public sealed record RumReportSignature(RumUdi? Sudi, string? SigningType, string? Key, string? Value)
{
    /// <summary>The signing type devices use for the HMAC signature.</summary>
    public const string Builtin = "builtin";

    /// <summary>Reads a <c>signature</c> object; null when <paramref name="signature"/> is not an object.</summary>
    public static RumReportSignature? FromJson(JsonElement signature) =>
        signature.ValueKind != JsonValueKind.Object
            ? null
            : new RumReportSignature(
                RumJson.Udi(RumJson.Prop(signature, "sudi")),
                RumJson.Str(RumJson.Prop(signature, "signing_type")),
                RumJson.Str(RumJson.Prop(signature, "key")),
                RumJson.Str(RumJson.Prop(signature, "value")));
}

/// <summary>
/// One <c>measurements[]</c> entry. Times are as the device wrote them (epoch seconds in real
/// reports); <see cref="Value"/> is <c>value.value</c>, given as a string or a number.
/// </summary>
public sealed record RumMeasurement(
    long? LogTime,
    string? MetricName,
    long? StartTime,
    long? EndTime,
    long? SampleInterval,
    long? NumSamples,
    string? ValueType,
    long Value);

/// <summary>The outcome of parsing one report: exactly one of <see cref="Report"/> and <see cref="Error"/> is set.</summary>
public sealed record RumReportResult(RumReport? Report, RumError? Error)
{
    /// <summary>True when the report parsed.</summary>
    public bool IsSuccess => Report is not null;
}

/// <summary>
/// One RUM report (artefacts.md §RUM report). <see cref="PayloadJson"/> is the payload string
/// exactly as received (after JSON string unescaping): it is what gets stored and signature-checked,
/// and it keeps every field this class does not model.
/// </summary>
public sealed class RumReport
{
    internal RumReport() { }

    /// <summary>Index of the entry in its file (0-based, over reports and requests in document order).</summary>
    public required int EntryIndex { get; init; }

    /// <summary>The payload JSON text, byte for byte as the device wrote it.</summary>
    public required string PayloadJson { get; init; }

    /// <summary>The whole entry JSON (<c>{"payload","signature","header"?}</c>) as read; null when parsed from a bare payload.</summary>
    public string? EnvelopeJson { get; init; }

    /// <summary>The outer signature; null when the entry had none.</summary>
    public RumReportSignature? Signature { get; init; }

    /// <summary>The reporting device: <c>asset_identification.instance.sudi</c>, else the signature's <c>sudi</c>.</summary>
    public required RumUdi Udi { get; init; }

    /// <summary>The report id exactly as received (the digits of a JSON number, or the string's text).</summary>
    public required string ReportId { get; init; }

    /// <summary>The report id without leading zeros, for duplicate detection (<see cref="RumReportId"/>).</summary>
    public required string ReportIdKey { get; init; }

    /// <summary>True when <c>report_id</c> was a JSON number (echo it as a number), false for a string.</summary>
    public required bool ReportIdIsNumber { get; init; }

    /// <summary>True when the id came from <c>meta.report_id</c> (older payloads) rather than <c>asset_identification</c>.</summary>
    public bool ReportIdInMeta { get; init; }

    /// <summary>The payload <c>version</c> (<c>2.0</c> in current reports).</summary>
    public string? Version { get; init; }

    /// <summary><c>asset_identification.asset.name</c>: the product's software id.</summary>
    public string? AssetName { get; init; }

    /// <summary>The entitlement tag in canonical (comma) form; null when the payload has none.</summary>
    public string? EntitlementTag { get; init; }

    /// <summary>The entitlement tag as written in the payload.</summary>
    public string? EntitlementTagAsWritten { get; init; }

    /// <summary>In-use count: <c>value.value</c> of the latest ENTITLEMENT measurement; null without measurements.</summary>
    public long? InUse { get; init; }

    /// <summary><c>meta.ha_udi</c>: the members of the device's HA set.</summary>
    public required IReadOnlyList<RumHaUdi> HaUdis { get; init; }

    /// <summary><c>meta.software_version</c>.</summary>
    public string? SoftwareVersion { get; init; }

    /// <summary><c>meta.utility_enabled</c>.</summary>
    public bool? UtilityEnabled { get; init; }

    /// <summary>The measurements in payload order.</summary>
    public required IReadOnlyList<RumMeasurement> Measurements { get; init; }

    /// <summary>The measurement that gives <see cref="InUse"/>: latest by end time, then log time, then position.</summary>
    public RumMeasurement? LatestMeasurement { get; init; }

    /// <summary>End of <see cref="LatestMeasurement"/> as an instant (epoch seconds; values of 10^11 and more are read as milliseconds).</summary>
    public DateTimeOffset? LatestMeasurementEnd { get; init; }

    /// <summary>
    /// Parses a report from its payload string (the <c>payload</c> value of a usage item in
    /// <c>v2/devices/reportusage</c> or smart transport) with the same rules as file entries.
    /// Never throws.
    /// </summary>
    public static RumReportResult FromPayload(string payloadJson, RumReportSignature? signature = null, RumLimits? limits = null, int entryIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(payloadJson);
        return Parse(payloadJson, signature, null, limits ?? RumLimits.Default, entryIndex);
    }

    /// <summary>Parses a report entry <c>{"payload":"...","signature":{...},"header"?}</c> given as JSON text. Never throws.</summary>
    public static RumReportResult FromEnvelope(string envelopeJson, RumLimits? limits = null, int entryIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(envelopeJson);
        limits ??= RumLimits.Default;
        try
        {
            using var doc = JsonDocument.Parse(envelopeJson, RumJson.Options(limits));
            return FromEnvelopeCore(doc.RootElement, envelopeJson, limits, entryIndex);
        }
        catch (JsonException e)
        {
            return Fail(entryIndex, null, "the report is not valid JSON: " + e.Message);
        }
        catch (ArgumentException)
        {
            return Fail(entryIndex, null, "the report is not valid text (it holds an unpaired surrogate)");
        }
    }

    /// <summary>Parses a report entry <c>{"payload":"...","signature":{...}}</c> already read as JSON. Never throws.</summary>
    public static RumReportResult FromEnvelope(JsonElement envelope, RumLimits? limits = null, int entryIndex = 0) =>
        FromEnvelopeCore(envelope, null, limits ?? RumLimits.Default, entryIndex);

    private static RumReportResult FromEnvelopeCore(JsonElement envelope, string? envelopeText, RumLimits limits, int entryIndex)
    {
        try
        {
            if (envelope.ValueKind != JsonValueKind.Object)
                return Fail(entryIndex, null, "the report is not a JSON object with payload and signature");
            var payload = RumJson.Prop(envelope, "payload");
            if (payload is null)
                return Fail(entryIndex, null, "the report has no payload");
            if (payload.Value.ValueKind != JsonValueKind.String)
                return Fail(entryIndex, null, "payload must be a JSON string holding the payload JSON, not " + payload.Value.ValueKind);

            RumReportSignature? signature = null;
            var sig = RumJson.Prop(envelope, "signature");
            if (sig is { ValueKind: not JsonValueKind.Null })
            {
                signature = RumReportSignature.FromJson(sig.Value);
                if (signature is null) return Fail(entryIndex, null, "signature must be a JSON object");
            }
            return Parse(payload.Value.GetString()!, signature, envelopeText ?? envelope.GetRawText(), limits, entryIndex);
        }
        catch (InvalidOperationException e)
        {
            // GetString refuses escapes that decode to invalid UTF-16 (a lone surrogate).
            return Fail(entryIndex, null, "the report holds an invalid string: " + e.Message);
        }
    }

    private static RumReportResult Parse(string payloadJson, RumReportSignature? signature, string? envelopeJson, RumLimits limits, int entryIndex)
    {
        try
        {
            using var doc = JsonDocument.Parse(payloadJson, RumJson.Options(limits));
            return ParsePayload(doc.RootElement, payloadJson, signature, envelopeJson, entryIndex);
        }
        catch (JsonException e)
        {
            return Fail(entryIndex, null, "payload is not valid JSON: " + e.Message);
        }
        catch (ArgumentException)
        {
            return Fail(entryIndex, null, "payload is not valid text (it holds an unpaired surrogate)");
        }
        catch (InvalidOperationException e)
        {
            return Fail(entryIndex, null, "payload holds an invalid string: " + e.Message);
        }
    }

    private static RumReportResult ParsePayload(JsonElement root, string payloadJson, RumReportSignature? signature, string? envelopeJson, int entryIndex)
    {
        if (root.ValueKind != JsonValueKind.Object) return Fail(entryIndex, null, "payload is not a JSON object");

        var asset = RumJson.Prop(root, "asset_identification");
        var meta = RumJson.Prop(root, "meta");

        var idElement = RumJson.Prop(asset, "report_id");
        var idInMeta = false;
        if (idElement is null or { ValueKind: JsonValueKind.Null })
        {
            idElement = RumJson.Prop(meta, "report_id");
            idInMeta = true;
        }
        if (idElement is null or { ValueKind: JsonValueKind.Null })
            return Fail(entryIndex, null, "payload has no report_id (asset_identification.report_id or meta.report_id)");
        if (!RumReportId.TryRead(idElement.Value, out var reportId, out var idIsNumber, out var idKey, out var idError))
            return Fail(entryIndex, null, idError!);

        var udi = RumJson.Udi(RumJson.Prop(RumJson.Prop(asset, "instance"), "sudi"))
                  ?? RumJson.Udi(RumJson.Prop(meta, "sudi"))
                  ?? signature?.Sudi;
        if (udi is null)
            return Fail(entryIndex, reportId, "payload has no sudi with udi_pid and udi_serial_number (asset_identification.instance.sudi or signature.sudi)");

        var haUdis = RumJson.HaUdis(RumJson.Prop(meta, "ha_udi"), "meta.ha_udi", out var haError);
        if (haError is not null) return Fail(entryIndex, reportId, haError);

        var measurements = new List<RumMeasurement>();
        var array = RumJson.Prop(root, "measurements");
        if (array is { ValueKind: not JsonValueKind.Null })
        {
            if (array.Value.ValueKind != JsonValueKind.Array) return Fail(entryIndex, reportId, "measurements is not an array");
            var i = 0;
            foreach (var item in array.Value.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object) return Fail(entryIndex, reportId, $"measurements[{i}] is not an object");
                var valueObject = RumJson.Prop(item, "value");
                var value = valueObject is { ValueKind: JsonValueKind.Object } ? RumJson.Prop(valueObject, "value") : valueObject;
                if (!RumJson.TryInteger(value, out var count) || count < 0)
                    return Fail(entryIndex, reportId, $"measurements[{i}].value.value is not a non-negative integer ({Describe(value)})");
                measurements.Add(new RumMeasurement(
                    RumJson.Integer(RumJson.Prop(item, "log_time")),
                    RumJson.Str(RumJson.Prop(item, "metric_name")),
                    RumJson.Integer(RumJson.Prop(item, "start_time")),
                    RumJson.Integer(RumJson.Prop(item, "end_time")),
                    RumJson.Integer(RumJson.Prop(item, "sample_interval")),
                    RumJson.Integer(RumJson.Prop(item, "num_samples")),
                    RumJson.Str(RumJson.Prop(valueObject, "type")),
                    count));
                i++;
            }
        }

        var latest = Latest(measurements);
        var tag = RumJson.Str(RumJson.Prop(meta, "entitlement_tag"));
        return new RumReportResult(new RumReport
        {
            EntryIndex = entryIndex,
            PayloadJson = payloadJson,
            EnvelopeJson = envelopeJson,
            Signature = signature,
            Udi = udi,
            ReportId = reportId,
            ReportIdKey = idKey,
            ReportIdIsNumber = idIsNumber,
            ReportIdInMeta = idInMeta,
            Version = RumJson.Text(RumJson.Prop(root, "version")),
            AssetName = RumJson.Str(RumJson.Prop(RumJson.Prop(asset, "asset"), "name")),
            EntitlementTag = tag is null ? null : Tags.Normalize(tag),
            EntitlementTagAsWritten = tag,
            InUse = latest?.Value,
            HaUdis = haUdis,
            SoftwareVersion = RumJson.Text(RumJson.Prop(meta, "software_version")),
            UtilityEnabled = RumJson.Bool(RumJson.Prop(meta, "utility_enabled")),
            Measurements = measurements,
            LatestMeasurement = latest,
            LatestMeasurementEnd = ToInstant(latest?.EndTime),
        }, null);
    }

    // Latest ENTITLEMENT measurement (a missing metric_name counts) by end_time, then log_time;
    // on a tie the later one in the array wins.
    private static RumMeasurement? Latest(List<RumMeasurement> measurements)
    {
        RumMeasurement? latest = null;
        foreach (var m in measurements)
        {
            if (m.MetricName is not null && !m.MetricName.Equals("ENTITLEMENT", StringComparison.OrdinalIgnoreCase)) continue;
            if (latest is null) { latest = m; continue; }
            var byEnd = (m.EndTime ?? long.MinValue).CompareTo(latest.EndTime ?? long.MinValue);
            var cmp = byEnd != 0 ? byEnd : (m.LogTime ?? long.MinValue).CompareTo(latest.LogTime ?? long.MinValue);
            if (cmp >= 0) latest = m;
        }
        return latest;
    }

    private const long MillisecondsThreshold = 100_000_000_000;
    private const long MaxEpochMilliseconds = 253_402_300_799_999;

    private static DateTimeOffset? ToInstant(long? time) => time switch
    {
        null or < 0 => null,
        < MillisecondsThreshold => DateTimeOffset.FromUnixTimeSeconds(time.Value),
        <= MaxEpochMilliseconds => DateTimeOffset.FromUnixTimeMilliseconds(time.Value),
        _ => null,
    };

    private static string Describe(JsonElement? e) => e switch
    {
        null => "missing",
        { ValueKind: JsonValueKind.String } s => "\"" + Truncate(s.GetString() ?? "") + "\"",
        { } v => Truncate(v.GetRawText()),
    };

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "...";

    internal static RumReportResult Fail(int entryIndex, string? reportId, string message) =>
        new(null, new RumError(entryIndex, reportId, message, RumErrorKind.Entry));
}
