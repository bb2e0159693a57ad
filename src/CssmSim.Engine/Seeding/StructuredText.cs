using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
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

    /// <summary>The largest document read (characters); checked before any parsing.</summary>
    public const int MaxChars = 16 * 1024 * 1024;

    /// <summary>A document that is not well-formed JSON or YAML; the message says where (1-based line and column, 0 when unknown).</summary>
    public sealed class FormatException(string message, long line = 0, long column = 0) : Exception(message)
    {
        public long Line { get; } = line;
        public long Column { get; } = column;
    }

    /// <summary>Refuses a document longer than <see cref="MaxChars"/> before it is parsed.</summary>
    public static void CheckSize(int length)
    {
        if (length > MaxChars) throw new FormatException($"document is {length} characters; the limit is {MaxChars}", 1, 1);
    }

    /// <summary>
    /// Loads YAML (or JSON, which is YAML) safely. YamlDotNet builds its node tree recursively, so a
    /// small document nested thousands deep (<c>[[[[…</c>, <c>- - - -…</c>) overflows the stack and kills
    /// the process; and some malformed input (an unclosed <c>{</c>) throws exceptions other than
    /// <see cref="YamlException"/>. A first pass over the parser's events (a loop, no recursion)
    /// therefore checks depth before any tree is built, and every failure becomes a
    /// <see cref="FormatException"/> with a position.
    /// </summary>
    public static YamlStream LoadYaml(string text)
    {
        CheckSize(text.Length);
        Mark last = Mark.Empty;
        try
        {
            var parser = new Parser(new StringReader(text));
            var depth = 0;
            while (parser.MoveNext())
            {
                var e = parser.Current!;
                last = e.Start;
                if (e is SequenceStart or MappingStart)
                {
                    if (++depth > MaxDepth)
                        throw new FormatException($"not valid YAML at line {e.Start.Line}, column {e.Start.Column}: nested deeper than {MaxDepth} levels", e.Start.Line, e.Start.Column);
                }
                else if (e is SequenceEnd or MappingEnd) depth--;
            }
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            return stream;
        }
        catch (FormatException) { throw; }
        catch (YamlException e)
        {
            throw new FormatException($"not valid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.InnerException?.Message ?? e.Message}", e.Start.Line, e.Start.Column);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or NullReferenceException or IndexOutOfRangeException or NotSupportedException)
        {
            var (line, column) = last.Line > 0 ? (last.Line, last.Column) : (1L, 1L);
            throw new FormatException($"not valid YAML at line {line}, column {column}: {e.Message}", line, column);
        }
    }

    /// <summary>Parses <paramref name="text"/>: JSON when it starts with <c>{</c> or <c>[</c>, else YAML.</summary>
    public static JsonNode? Parse(string text)
    {
        CheckSize(text.Length);
        var trimmed = text.AsSpan().TrimStart();
        if (trimmed.Length > 0 && trimmed[0] == '\uFEFF') trimmed = trimmed[1..].TrimStart();
        return trimmed.Length > 0 && (trimmed[0] == '{' || trimmed[0] == '[') ? ParseJson(trimmed.ToString()) : ParseYaml(text);
    }

    public static JsonNode? ParseJson(string text)
    {
        try
        {
            // Before the tree: a lone-surrogate escape, or more values than a tree may hold.
            if (Validation.JsonEscapes.Check(System.Text.Encoding.UTF8.GetBytes(text),
                    new JsonReaderOptions { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }, MaxNodes) is { } bad)
                throw new FormatException("not valid JSON: " + bad, 1, 1);
            var node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions
            {
                MaxDepth = MaxDepth,
                CommentHandling = JsonCommentHandling.Skip,
                AllowTrailingCommas = true,
                // A repeated key is an error, not a silent last-wins (and JsonObject would throw later).
                AllowDuplicateProperties = false,
            });
            return node;
        }
        catch (JsonException e)
        {
            // Line and position are 0-based in JsonException.
            long line = (e.LineNumber ?? 0) + 1, column = (e.BytePositionInLine ?? 0) + 1;
            throw new FormatException($"not valid JSON at line {line}, column {column}: " + e.Message, line, column);
        }
    }

    public static JsonNode? ParseYaml(string text)
    {
        var stream = LoadYaml(text);
        if (stream.Documents.Count == 0) return null;
        if (stream.Documents.Count > 1) throw new FormatException("expected one YAML document, found " + stream.Documents.Count, stream.Documents[1].RootNode.Start.Line, stream.Documents[1].RootNode.Start.Column);
        var budget = MaxNodes;
        return Convert(stream.Documents[0].RootNode, 0, ref budget);
    }

    private static JsonNode? Convert(YamlNode node, int depth, ref int budget)
    {
        if (depth > MaxDepth) throw new FormatException($"line {node.Start.Line}, column {node.Start.Column}: nested deeper than {MaxDepth} levels", node.Start.Line, node.Start.Column);
        if (--budget < 0) throw new FormatException($"line {node.Start.Line}, column {node.Start.Column}: more than {MaxNodes} values (YAML aliases expand into copies)", node.Start.Line, node.Start.Column);
        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (k, v) in map.Children)
                {
                    if (k is not YamlScalarNode { Value: { } key })
                        throw new FormatException($"line {k.Start.Line}, column {k.Start.Column}: mapping keys must be plain strings", k.Start.Line, k.Start.Column);
                    if (obj.ContainsKey(key)) throw new FormatException($"line {k.Start.Line}, column {k.Start.Column}: duplicate key '{key}'", k.Start.Line, k.Start.Column);
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
                throw new FormatException($"line {node.Start.Line}, column {node.Start.Column}: unsupported YAML node", node.Start.Line, node.Start.Column);
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
