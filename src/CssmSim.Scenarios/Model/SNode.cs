using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CssmSim.Scenarios.Model;

/// <summary>
/// A value of a scenario file with the line and column it starts at, so every error can point
/// there. Built from YAML (JSON parses as YAML too).
/// </summary>
public abstract class SNode(int line, int column)
{
    public int Line { get; } = line;
    public int Column { get; } = column;

    /// <summary>What the value is, in the words an error message uses.</summary>
    public abstract string Kind { get; }

    /// <summary>The value as JSON, with YAML 1.2 core-schema typing of plain scalars (quoted ones stay text).</summary>
    public abstract JsonNode? ToJson();
}

public sealed class SMap(int line, int column, IReadOnlyList<(SScalar Key, SNode Value)> entries) : SNode(line, column)
{
    public IReadOnlyList<(SScalar Key, SNode Value)> Entries { get; } = entries;

    public override string Kind => "a mapping";

    public SNode? this[string key] => Entries.FirstOrDefault(e => e.Key.Text == key).Value;

    public IEnumerable<string> Keys => Entries.Select(e => e.Key.Text);

    public override JsonNode ToJson()
    {
        var o = new JsonObject();
        foreach (var (k, v) in Entries) o[k.Text] = v.ToJson();
        return o;
    }
}

public sealed class SList(int line, int column, IReadOnlyList<SNode> items) : SNode(line, column)
{
    public IReadOnlyList<SNode> Items { get; } = items;

    public override string Kind => "a list";

    public override JsonNode ToJson() => new JsonArray(Items.Select(i => i.ToJson()).ToArray());
}

public sealed partial class SScalar(int line, int column, string text, bool quoted) : SNode(line, column)
{
    public string Text { get; } = text;

    /// <summary>Written in quotes: always text, never a number or boolean.</summary>
    public bool Quoted { get; } = quoted;

    public bool IsNull => !Quoted && Text is "" or "~" or "null" or "Null" or "NULL";

    public bool? AsBool => Quoted ? null : Text switch { "true" or "True" or "TRUE" => true, "false" or "False" or "FALSE" => false, _ => null };

    public long? AsLong => !Quoted && IntegerPattern().IsMatch(Text) && long.TryParse(Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l : null;

    public double? AsDouble => !Quoted && FloatPattern().IsMatch(Text) && double.TryParse(Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;

    public override string Kind => IsNull ? "null" : AsBool is not null ? "a boolean" : AsLong is not null ? "an integer" : AsDouble is not null ? "a number" : "text";

    public override JsonNode? ToJson() =>
        IsNull ? null
        : AsBool is { } b ? JsonValue.Create(b)
        : AsLong is { } l ? JsonValue.Create(l)
        : AsDouble is { } d ? JsonValue.Create(d)
        : JsonValue.Create(Text);

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
