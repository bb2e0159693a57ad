using System.Text.Json;

namespace CssmSim.Engine.Validation;

/// <summary>
/// Finds a <c>\uXXXX</c> escape that decodes to a lone surrogate (<c>"\ud800"</c>). The JSON
/// parsers accept it, but every later read of that string throws <see cref="InvalidOperationException"/>
/// (a 500 wherever the value is used), so bodies are checked once where they are read.
/// </summary>
public static class JsonEscapes
{
    /// <summary>Null when every escaped string decodes; else where the first bad one is (1-based line and column).</summary>
    public static string? FindLoneSurrogate(ReadOnlySpan<byte> json, JsonReaderOptions options) => Check(json, options, int.MaxValue);

    /// <summary>
    /// <see cref="FindLoneSurrogate"/>, and more than <paramref name="maxValues"/> values is refused
    /// too: run before a tree is built, so two megabytes of <c>{},{},…</c> (700,000 objects, hundreds
    /// of megabytes as nodes) cost a scan, not the tree.
    /// </summary>
    public static string? Check(ReadOnlySpan<byte> json, JsonReaderOptions options, int maxValues)
    {
        var reader = new Utf8JsonReader(json, options);
        var values = 0;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is not (JsonTokenType.EndObject or JsonTokenType.EndArray or JsonTokenType.PropertyName or JsonTokenType.Comment)
                    && ++values > maxValues)
                    return $"more than {maxValues} values (the next at line {CountLines(json[..(int)reader.TokenStartIndex]) + 1}, byte {reader.TokenStartIndex + 1})";
                if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName) || !reader.ValueIsEscaped) continue;
                try
                {
                    reader.GetString();
                }
                catch (InvalidOperationException)
                {
                    return $"a \\u escape at line {CountLines(json[..(int)reader.TokenStartIndex]) + 1}, byte {reader.TokenStartIndex + 1} is a lone UTF-16 surrogate; pair \\uD800-\\uDBFF with \\uDC00-\\uDFFF";
                }
            }
        }
        catch (JsonException)
        {
            // Syntax errors are the parser's to report.
        }
        return null;
    }

    private static int CountLines(ReadOnlySpan<byte> prefix) => prefix.Count((byte)'\n');
}
