using System.Text.Json.Nodes;

namespace CssmSim.Scenarios.Model;

/// <summary>A step or an expectation as written: its definition, its arguments and where it stands.</summary>
public sealed class ScenarioAction(ActionSpec spec, SNode value, int line)
{
    public ActionSpec Spec { get; } = spec;
    public SNode Value { get; } = value;
    public int Line { get; } = line;
    public string Name => Spec.Name;

    /// <summary>The expectations of an <c>expect</c> checkpoint step.</summary>
    public IReadOnlyList<ScenarioAction> Expectations { get; init; } = [];

    private SMap Args => Value as SMap ?? throw new InvalidOperationException($"{Name} takes no keys");

    public bool Has(string key) => Value is SMap m && m[key] is { } v && !(v is SScalar s && s.IsNull);

    public string? Text(string key) => Value is SMap m && m[key] is SScalar s && !s.IsNull ? s.Text : null;

    public long? Long(string key) => Value is SMap m && m[key] is SScalar s ? s.AsLong : null;

    public int? Int(string key) => Long(key) is { } l ? (int)Math.Clamp(l, int.MinValue, int.MaxValue) : null;

    public bool? Bool(string key) => Value is SMap m && m[key] is SScalar s ? s.AsBool : null;

    public JsonNode? Json(string key) => Args[key]?.ToJson();

    /// <summary>A name or a list of names.</summary>
    public IReadOnlyList<string> Names(string key) => Args[key] switch
    {
        SScalar s when !s.IsNull => [s.Text],
        SList l => l.Items.OfType<SScalar>().Select(i => i.Text).ToList(),
        _ => [],
    };

    /// <summary>A list of {tag, count|quantity}.</summary>
    public IReadOnlyList<(string Tag, long Count)> Pairs(string key, string countKey) =>
        (Args[key] as SList)?.Items.OfType<SMap>().Select(m => (((SScalar)m["tag"]!).Text, ((SScalar?)m[countKey])?.AsLong ?? 1)).ToList() ?? [];

    /// <summary>The step as written, one line: <c>trust {devices: wlcs, token: t1}</c>.</summary>
    public string Describe()
    {
        if (Value is not SMap m) return Name;
        var parts = m.Entries.Select(e => $"{e.Key.Text}: {Short(e.Value)}");
        return $"{Name} {{{string.Join(", ", parts)}}}";
    }

    private static string Short(SNode n) => n switch
    {
        SScalar s => s.Text,
        SList l when l.Items.All(i => i is SScalar) => "[" + string.Join(", ", l.Items.Cast<SScalar>().Select(i => i.Text)) + "]",
        SList l => $"[{l.Items.Count} items]",
        SMap map => "{" + string.Join(", ", map.Entries.Select(e => $"{e.Key.Text}: {Short(e.Value)}")) + "}",
        _ => "?",
    };
}

/// <summary>A scenario file, loaded and validated.</summary>
public sealed record ScenarioDocument(
    string Path,
    string Name,
    string? Description,
    string? SmartAccount,
    JsonObject? Seed,
    IReadOnlyList<JsonObject> Faults,
    IReadOnlyList<ScenarioAction> Steps,
    IReadOnlyList<ScenarioAction> Expectations)
{
    /// <summary>The top-level <c>timing</c> key: <c>fast</c> or <c>realistic</c> (<c>POST /_sim/timing</c> after the seed); null leaves the target's.</summary>
    public string? Timing { get; init; }
}

/// <summary>One problem in a scenario file.</summary>
public sealed record ScenarioError(string File, int Line, int Column, string Message)
{
    public override string ToString() => $"{File}:{Line}:{Column}: {Message}";
}

/// <summary>A scenario file that cannot run: every problem found, each with file, line and column.</summary>
public sealed class ScenarioFileException(IReadOnlyList<ScenarioError> errors)
    : Exception(string.Join(Environment.NewLine, errors.Select(e => e.ToString())))
{
    public IReadOnlyList<ScenarioError> Errors { get; } = errors;
}
