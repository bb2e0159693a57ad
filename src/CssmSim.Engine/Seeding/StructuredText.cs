using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace CssmSim.Engine.Seeding;

/// <summary>
/// Reads JSON or YAML into one <see cref="JsonNode"/> tree, so seed documents and scenario files
/// have one model whichever syntax the user wrote. Depth and size are capped: these documents
/// arrive over HTTP, and YAML aliases could otherwise expand exponentially.
/// </summary>
public static partial class StructuredText
{
    public const int MaxDepth = 64;
    public const int MaxNodes = 200_000;

    /// <summary>A document that is not well-formed JSON or YAML; the message says where.</summary>
    public sealed class FormatException(string message) : Exception(message);

    /// <summary>Parses <paramref name="text"/>: JSON when it starts with <c>{</c> or <c>[</c>, else YAML.</summary>
    public static JsonNode? Parse(string text)
    {
        var trimmed = text.AsSpan().TrimStart();
        if (trimmed.Length > 0 && trimmed[0] == '\uFEFF') trimmed = trimmed[1..].TrimStart();
        return trimmed.Length > 0 && (trimmed[0] == '{' || trimmed[0] == '[') ? ParseJson(trimmed.ToString()) : ParseYaml(text);
    }

    public static JsonNode? ParseJson(string text)
    {
        try
        {
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions
            {
                MaxDepth = MaxDepth,
                CommentHandling = JsonCommentHandling.Skip,
                AllowTrailingCommas = true,
                // A repeated key is an error, not a silent last-wins (and JsonObject would throw later).
                AllowDuplicateProperties = false,
            });
        }
        catch (JsonException e)
        {
            throw new FormatException("not valid JSON: " + e.Message);
        }
    }

    public static JsonNode? ParseYaml(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new FormatException($"not valid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.InnerException?.Message ?? e.Message}");
        }
        if (stream.Documents.Count == 0) return null;
        if (stream.Documents.Count > 1) throw new FormatException("expected one YAML document, found " + stream.Documents.Count);
        var budget = MaxNodes;
        return Convert(stream.Documents[0].RootNode, 0, ref budget);
    }

    private static JsonNode? Convert(YamlNode node, int depth, ref int budget)
    {
        if (depth > MaxDepth) throw new FormatException($"nested deeper than {MaxDepth} levels (line {node.Start.Line})");
        if (--budget < 0) throw new FormatException($"more than {MaxNodes} values (YAML aliases expand into copies)");
        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (k, v) in map.Children)
                {
                    if (k is not YamlScalarNode { Value: { } key })
                        throw new FormatException($"line {k.Start.Line}: mapping keys must be plain strings");
                    if (obj.ContainsKey(key)) throw new FormatException($"line {k.Start.Line}: duplicate key '{key}'");
                    obj[key] = Convert(v, depth + 1, ref budget);
                }
                return obj;
            case YamlSequenceNode seq:
                var arr = new JsonArray();
                foreach (var item in seq.Children) arr.Add(Convert(item, depth + 1, ref budget));
                return arr;
            case YamlScalarNode scalar:
                return Scalar(scalar);
            default:
                throw new FormatException($"line {node.Start.Line}: unsupported YAML node");
        }
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();

    // YAML 1.2 core schema for plain scalars; quoted scalars are always strings ("123456" stays text).
    private static JsonNode? Scalar(YamlScalarNode s)
    {
        var v = s.Value ?? "";
        if (s.Style != YamlDotNet.Core.ScalarStyle.Plain) return JsonValue.Create(v);
        switch (v)
        {
            case "" or "~" or "null" or "Null" or "NULL": return null;
            case "true" or "True" or "TRUE": return JsonValue.Create(true);
            case "false" or "False" or "FALSE": return JsonValue.Create(false);
        }
        if (IntegerPattern().IsMatch(v) && long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            return JsonValue.Create(l);
        if (FloatPattern().IsMatch(v) && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
            return JsonValue.Create(d);
        return JsonValue.Create(v);
    }
}
