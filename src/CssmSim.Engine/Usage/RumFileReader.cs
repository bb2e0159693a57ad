using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Xml;
using Tags = CssmSim.Engine.Licensing.EntitlementTag;

namespace CssmSim.Engine.Usage;

/// <summary>
/// Reads RUM files as devices write them (artefacts.md §RUM report): one or more
/// <c>&lt;RUMReport&gt;&lt;![CDATA[{...}]]&gt;&lt;/RUMReport&gt;</c> elements, bare or inside
/// <c>&lt;smartLicense&gt;</c>, plus trust and authorization requests. The XML is read without DTDs,
/// entity expansion or external resolution, under <see cref="RumLimits"/>. Never throws for any input.
/// </summary>
public static class RumFileReader
{
    /// <summary>The container element.</summary>
    public const string SmartLicenseElement = "smartLicense";

    /// <summary>A usage report.</summary>
    public const string ReportElement = "RUMReport";

    /// <summary>A trust request (CssmSim's own format).</summary>
    public const string TrustRequestElement = "smartLicenseTrustRequest";

    /// <summary>An authorization (SLAC) request (CssmSim's own format).</summary>
    public const string AuthorizationRequestElement = "smartLicenseAuthorizationRequest";

    /// <summary>The most bytes a file within <paramref name="limits"/> can have: a UTF-16 character takes at most three UTF-8 bytes.</summary>
    public static long MaxFileBytes(RumLimits? limits = null) => 3L * (limits ?? RumLimits.Default).MaxDocumentChars;

    /// <summary>What <see cref="Read(ReadOnlySpan{byte}, RumLimits?)"/> answers for a file larger than <see cref="MaxFileBytes"/>.</summary>
    public static RumFile TooLarge(RumLimits? limits = null) =>
        FileFailure(RumErrorKind.TooLarge, $"the file is larger than {(limits ?? RumLimits.Default).MaxDocumentChars} characters");

    /// <summary>Reads a file from its bytes, which must be UTF-8 (a BOM is allowed).</summary>
    public static RumFile Read(ReadOnlySpan<byte> utf8, RumLimits? limits = null)
    {
        limits ??= RumLimits.Default;
        // A UTF-16 character takes at most three UTF-8 bytes, so more bytes than that can only be too many characters.
        if (utf8.Length > MaxFileBytes(limits)) return TooLarge(limits);

        var offset = 0;
        if (utf8.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) offset = 3;
        var body = utf8[offset..];

        var chars = ArrayPool<char>.Shared.Rent(Math.Max(1, body.Length));
        try
        {
            var status = System.Text.Unicode.Utf8.ToUtf16(body, chars, out var read, out var written, replaceInvalidSequences: false);
            if (status != OperationStatus.Done)
                return FileFailure(RumErrorKind.InvalidUtf8, $"the file is not valid UTF-8 (bad byte sequence at offset {offset + read})");
            return Read(new string(chars, 0, written), limits);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    /// <summary>Reads a file from its text.</summary>
    public static RumFile Read(string text, RumLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        limits ??= RumLimits.Default;
        if (text.Length > limits.MaxDocumentChars)
            return FileFailure(RumErrorKind.TooLarge, $"the file is larger than {limits.MaxDocumentChars} characters");

        var start = 0;
        if (text.Length > 0 && text[0] == '\uFEFF') start = 1;
        var lineOffset = 0;
        while (start < text.Length && char.IsWhiteSpace(text[start]))
        {
            if (text[start] == '\n') lineOffset++;
            start++;
        }
        if (start == text.Length) return FileFailure(RumErrorKind.Empty, "the file is empty");
        if (text[start] != '<')
            return FileFailure(RumErrorKind.NotXml, "the file is not XML: it should start with <smartLicense> or <RUMReport>");

        return new Session(limits).Run(text[start..], lineOffset);
    }

    private static RumFile FileFailure(RumErrorKind kind, string message) => new()
    {
        Reports = [],
        TrustRequests = [],
        AuthorizationRequests = [],
        SkippedElements = [],
        Errors = [new RumError(null, null, message, kind)],
        EntryCount = 0,
    };

    private sealed class Session(RumLimits limits)
    {
        private readonly List<RumReport> _reports = [];
        private readonly List<RumTrustRequest> _trust = [];
        private readonly List<RumAuthorizationRequest> _auth = [];
        private readonly List<string> _skipped = [];
        private readonly List<RumError> _errors = [];
        private int _entries;

        public RumFile Run(string xml, int lineOffset)
        {
            var settings = new XmlReaderSettings
            {
                DtdProcessing = DtdProcessing.Prohibit,
                XmlResolver = null,
                MaxCharactersFromEntities = 1024,
                MaxCharactersInDocument = limits.MaxDocumentChars,
                ConformanceLevel = ConformanceLevel.Fragment,
                IgnoreComments = true,
                IgnoreProcessingInstructions = true,
                CheckCharacters = true,
                LineNumberOffset = lineOffset,
            };
            try
            {
                using var reader = XmlReader.Create(new StringReader(xml), settings);
                Walk(reader);
            }
            catch (XmlException e)
            {
                _errors.Add(IsDoctype(xml, e.LineNumber - lineOffset, e.LinePosition)
                    ? new RumError(null, null, "the file holds a DOCTYPE; DTDs and entity declarations are not allowed", RumErrorKind.Dtd)
                    : new RumError(null, null, "the file is not well-formed XML: " + e.Message, RumErrorKind.Malformed));
            }

            if (_entries == 0 && !_errors.Any(e => e.IsFileLevel))
                _errors.Add(new RumError(null, null,
                    $"the file holds no {ReportElement}, {TrustRequestElement} or {AuthorizationRequestElement} element", RumErrorKind.NoEntries));

            return new RumFile
            {
                Reports = _reports,
                TrustRequests = _trust,
                AuthorizationRequests = _auth,
                SkippedElements = _skipped,
                Errors = _errors,
                EntryCount = _entries,
            };
        }

        // Top level and <smartLicense> children are walked; entries are consumed whole; other
        // elements are skipped with their subtrees. Text outside entries is ignored.
        private void Walk(XmlReader reader)
        {
            reader.Read();
            while (!reader.EOF)
            {
                if (reader.NodeType != XmlNodeType.Element)
                {
                    reader.Read();
                    continue;
                }
                switch (reader.LocalName)
                {
                    case SmartLicenseElement:
                        reader.Read(); // descend into its children (or past it when empty)
                        break;
                    case ReportElement:
                    case TrustRequestElement:
                    case AuthorizationRequestElement:
                        if (_entries == limits.MaxReports)
                        {
                            _errors.Add(new RumError(null, null, $"the file holds more than {limits.MaxReports} reports and requests", RumErrorKind.TooManyReports));
                            return;
                        }
                        var name = reader.LocalName;
                        var index = _entries++;
                        var content = ReadEntryText(reader, out var child);
                        if (child is not null)
                            _errors.Add(new RumError(index, null, $"<{name}> holds an element <{child}>; it must hold only the JSON text", RumErrorKind.Entry));
                        else
                            AddEntry(name, index, content.Trim());
                        break;
                    default:
                        _skipped.Add(reader.LocalName);
                        reader.Skip();
                        break;
                }
            }
        }

        // Concatenates text, CDATA and whitespace of an entry (a writer may split one CDATA section
        // around "]]>"), leaving the reader after the entry's end tag.
        private static string ReadEntryText(XmlReader reader, out string? childElement)
        {
            childElement = null;
            if (reader.IsEmptyElement)
            {
                reader.Read();
                return "";
            }
            var depth = reader.Depth;
            var sb = new StringBuilder();
            reader.Read();
            while (!reader.EOF && !(reader.NodeType == XmlNodeType.EndElement && reader.Depth == depth))
            {
                switch (reader.NodeType)
                {
                    case XmlNodeType.Text:
                    case XmlNodeType.CDATA:
                    case XmlNodeType.Whitespace:
                    case XmlNodeType.SignificantWhitespace:
                        sb.Append(reader.Value);
                        reader.Read();
                        break;
                    case XmlNodeType.Element:
                        childElement ??= reader.LocalName;
                        reader.Skip();
                        break;
                    default:
                        reader.Read();
                        break;
                }
            }
            reader.Read();
            return sb.ToString();
        }

        private void AddEntry(string element, int index, string json)
        {
            if (element == ReportElement)
            {
                var result = RumReport.FromEnvelope(json, limits, index);
                if (result.Report is not null) _reports.Add(result.Report);
                else _errors.Add(result.Error!);
                return;
            }

            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(json, RumJson.Options(limits));
            }
            catch (JsonException e)
            {
                _errors.Add(new RumError(index, null, $"<{element}> does not hold valid JSON: {e.Message}", RumErrorKind.Entry));
                return;
            }
            using (doc)
            {
                try
                {
                    var error = element == TrustRequestElement
                        ? ReadTrustRequest(doc.RootElement, index, json)
                        : ReadAuthorizationRequest(doc.RootElement, index, json);
                    if (error is not null) _errors.Add(new RumError(index, null, $"<{element}>: {error}", RumErrorKind.Entry));
                }
                catch (InvalidOperationException e)
                {
                    _errors.Add(new RumError(index, null, $"<{element}> holds an invalid string: {e.Message}", RumErrorKind.Entry));
                }
            }
        }

        private string? ReadTrustRequest(JsonElement root, int index, string json)
        {
            if (root.ValueKind != JsonValueKind.Object) return "the request is not a JSON object";
            var udi = RumJson.Udi(RumJson.Prop(root, "sudi"));
            if (udi is null) return "no sudi with udi_pid and udi_serial_number";
            var ha = RumJson.HaUdis(RumJson.Prop(root, "ha_udis"), "ha_udis", out var haError);
            if (haError is not null) return haError;
            _trust.Add(new RumTrustRequest(index, udi, RumJson.Str(RumJson.Prop(root, "hostname")), ha, json));
            return null;
        }

        private string? ReadAuthorizationRequest(JsonElement root, int index, string json)
        {
            if (root.ValueKind != JsonValueKind.Object) return "the request is not a JSON object";
            var udi = RumJson.Udi(RumJson.Prop(root, "sudi"));
            if (udi is null) return "no sudi with udi_pid and udi_serial_number";

            var modeText = RumJson.Str(RumJson.Prop(root, "mode"));
            RumAuthorizationMode mode;
            if (modeText is null || modeText.Equals("add", StringComparison.OrdinalIgnoreCase)) mode = RumAuthorizationMode.Add;
            else if (modeText.Equals("replace", StringComparison.OrdinalIgnoreCase)) mode = RumAuthorizationMode.Replace;
            else return $"mode '{modeText}' is neither \"add\" nor \"replace\"";

            var array = RumJson.Prop(root, "entitlements");
            if (array is not { ValueKind: JsonValueKind.Array }) return "entitlements is missing or not an array";
            var list = new List<RumEntitlementCount>();
            var i = 0;
            foreach (var item in array.Value.EnumerateArray())
            {
                var tag = RumJson.Str(RumJson.Prop(item, "tag"));
                if (string.IsNullOrWhiteSpace(tag)) return $"entitlements[{i}] has no tag";
                if (!RumJson.TryInteger(RumJson.Prop(item, "count"), out var count) || count < 0)
                    return $"entitlements[{i}].count is not a non-negative integer";
                list.Add(new RumEntitlementCount(Tags.Normalize(tag), count) { TagAsWritten = tag });
                i++;
            }
            _auth.Add(new RumAuthorizationRequest(index, udi, list, mode, json));
            return null;
        }

        // XmlReader reports a DOCTYPE at the position of its keyword ("<!DOCTYPE" with the
        // position on "D"); the line is relative to the text handed to the reader.
        private static bool IsDoctype(string xml, int line, int position)
        {
            if (line < 1 || position < 1) return false;
            var offset = 0;
            for (var l = 1; l < line; l++)
            {
                offset = xml.IndexOf('\n', offset);
                if (offset < 0) return false;
                offset++;
            }
            var at = offset + position - 1;
            for (var p = Math.Max(0, at - 2); p <= at && p < xml.Length; p++)
                if (xml.AsSpan(p).StartsWith("<!DOCTYPE", StringComparison.Ordinal) || xml.AsSpan(p).StartsWith("DOCTYPE", StringComparison.Ordinal))
                    return true;
            return false;
        }
    }
}
