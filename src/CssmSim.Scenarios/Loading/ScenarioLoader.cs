using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CssmSim.Scenarios.Model;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CssmSim.Scenarios.Loading;

/// <summary>
/// Reads a scenario file (YAML, or JSON, which YAML's parser reads too) into a
/// <see cref="ScenarioDocument"/>, checking it against the <see cref="Catalog"/>: unknown steps and
/// keys, wrong types, missing keys, names used before a step defines them. Every problem is
/// reported at once, each with its file, line and column.
/// </summary>
public static partial class ScenarioLoader
{
    private const int MaxNodes = 200_000;

    public static ScenarioDocument LoadFile(string path)
    {
        string text;
        try
        {
            // Size before reading: a scenario is a few KB, and the parser holds the whole text.
            if (new FileInfo(path).Length > Engine.Seeding.StructuredText.MaxChars * 4L)
                throw new ScenarioFileException([new ScenarioError(path, 1, 1, $"the file is larger than the {Engine.Seeding.StructuredText.MaxChars}-character limit")]);
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ScenarioFileException([new ScenarioError(path, 0, 0, "cannot read the file: " + e.Message)]);
        }
        return Load(text, path);
    }

    public static ScenarioDocument Load(string text, string file)
    {
        var ctx = new Context(file);
        var root = Parse(text, ctx);
        var doc = root is null ? null : Read(root, ctx);
        if (ctx.Errors.Count > 0 || doc is null) throw new ScenarioFileException(ctx.Errors.Count > 0 ? ctx.Errors : [new ScenarioError(file, 1, 1, "the file is empty")]);
        return doc;
    }

    private sealed class Context(string file)
    {
        public string File { get; } = file;
        public List<ScenarioError> Errors { get; } = [];
        public Dictionary<RefKind, HashSet<string>> Defined { get; } = new() { [RefKind.Devices] = [], [RefKind.Token] = [], [RefKind.Upload] = [] };
        public int Budget = MaxNodes;
        public HashSet<string> FaultErrorCodes { get; } = new(StringComparer.Ordinal);

        public void Error(SNode at, string message) => Errors.Add(new ScenarioError(File, at.Line, at.Column, message));
    }

    private static SNode? Parse(string text, Context ctx)
    {
        // JSON indented with tabs is valid JSON but not YAML; a raw newline cannot occur inside a
        // JSON string, so tabs that start a line are indentation and can become spaces.
        if (text.TrimStart().StartsWith('{') || text.TrimStart().StartsWith('[')) text = LeadingTabs().Replace(text, m => new string(' ', m.Length * 4));
        YamlStream stream;
        try
        {
            stream = Engine.Seeding.StructuredText.LoadYaml(text);
        }
        catch (Engine.Seeding.StructuredText.FormatException e)
        {
            ctx.Errors.Add(new ScenarioError(ctx.File, (int)Math.Max(1, e.Line), (int)Math.Max(1, e.Column), "not valid YAML or JSON: " + e.Message));
            return null;
        }
        if (stream.Documents.Count == 0) return null;
        if (stream.Documents.Count > 1)
        {
            var second = stream.Documents[1].RootNode;
            ctx.Errors.Add(new ScenarioError(ctx.File, (int)second.Start.Line, (int)second.Start.Column, "a scenario file holds one YAML document; remove the '---' separator"));
            return null;
        }
        return Convert(stream.Documents[0].RootNode, 0, ctx);
    }

    private static SNode Convert(YamlNode node, int depth, Context ctx)
    {
        int line = (int)node.Start.Line, column = (int)node.Start.Column;
        if (depth > 64 || --ctx.Budget < 0)
        {
            ctx.Error(new SScalar(line, column, "", false), depth > 64 ? "nested deeper than 64 levels" : $"more than {MaxNodes} values (YAML aliases expand into copies)");
            return new SScalar(line, column, "", false);
        }
        switch (node)
        {
            case YamlMappingNode map:
                var entries = new List<(SScalar, SNode)>();
                foreach (var (k, v) in map.Children)
                {
                    if (k is not YamlScalarNode { Value: { } key })
                    {
                        ctx.Error(new SScalar((int)k.Start.Line, (int)k.Start.Column, "", false), "a key must be a plain name");
                        continue;
                    }
                    var keyNode = new SScalar((int)k.Start.Line, (int)k.Start.Column, key, true);
                    if (entries.Any(e => e.Item1.Text == key)) ctx.Error(keyNode, $"duplicate key '{key}'");
                    else entries.Add((keyNode, Convert(v, depth + 1, ctx)));
                }
                return new SMap(line, column, entries);
            case YamlSequenceNode seq:
                return new SList(line, column, seq.Children.Select(c => Convert(c, depth + 1, ctx)).ToList());
            case YamlScalarNode s:
                return new SScalar(line, column, s.Value ?? "", s.Style is not (ScalarStyle.Plain or ScalarStyle.Any));
            default:
                ctx.Error(new SScalar(line, column, "", false), "unsupported YAML node");
                return new SScalar(line, column, "", false);
        }
    }

    private static ScenarioDocument? Read(SNode root, Context ctx)
    {
        if (root is not SMap map)
        {
            ctx.Error(root, $"a scenario is a mapping with keys {string.Join(", ", Catalog.TopLevelKeys)}; found {root.Kind}");
            return null;
        }
        foreach (var (key, _) in map.Entries.Where(e => !Catalog.TopLevelKeys.Contains(e.Key.Text)))
            ctx.Error(key, $"unknown key '{key.Text}'{Suggest(key.Text, Catalog.TopLevelKeys)}; valid keys: {string.Join(", ", Catalog.TopLevelKeys)}");

        var name = map["name"] is SScalar { IsNull: false } n ? n.Text : null;
        if (name is null) ctx.Error(map["name"] ?? map, map["name"] is null ? "'name' is required: what the scenario shows, in a few words" : "'name' must be text");
        string? Optional(string key)
        {
            if (map[key] is null) return null;
            if (map[key] is SScalar { IsNull: false } s) return s.Text;
            ctx.Error(map[key]!, $"'{key}' must be text, not {map[key]!.Kind}");
            return null;
        }
        var description = Optional("description");
        var smartAccount = Optional("smartAccount");
        var timing = Optional("timing");
        if (timing is not null && !Catalog.TimingProfiles.Contains(timing))
            ctx.Error(map["timing"]!, $"'timing' must be one of: {string.Join(", ", Catalog.TimingProfiles)}; found '{timing}'");

        JsonObject? seed = null;
        if (map["seed"] is { } seedNode)
        {
            if (seedNode is SMap seedMap) seed = (JsonObject)seedMap.ToJson();
            else ctx.Error(seedNode, $"'seed' must be a seed document (a mapping; control.md §Seed document), not {seedNode.Kind}");
        }

        var faults = new List<JsonObject>();
        if (map["faults"] is { } faultsNode)
        {
            if (faultsNode is SList fl)
            {
                // An entry whose id names an existing rule (the built-in bottleneck) is a merge patch: nothing is required.
                var addFault = Catalog.Step("addFault")!;
                var faultSpec = addFault with { Args = addFault.Args.Select(a => a with { Required = false }).ToList() };
                foreach (var item in fl.Items)
                {
                    if (item is SMap fm && CheckKeys(fm, faultSpec, "fault rule", ctx))
                    {
                        CheckFaultRule(fm, ctx, mayBePatch: true);
                        faults.Add((JsonObject)fm.ToJson());
                    }
                    else if (item is not SMap) ctx.Error(item, $"a fault rule is a mapping (match, when, effect), not {item.Kind}");
                }
            }
            else if (!(faultsNode is SScalar { IsNull: true })) ctx.Error(faultsNode, $"'faults' must be a list of fault rules, not {faultsNode.Kind}");
        }

        var steps = new List<ScenarioAction>();
        if (map["steps"] is SList stepList)
        {
            if (stepList.Items.Count == 0) ctx.Error(stepList, "'steps' is empty: a scenario needs at least one step");
            foreach (var item in stepList.Items) if (ReadAction(item, Catalog.Steps, "step", ctx) is { } a) steps.Add(a);
        }
        else ctx.Error(map["steps"] ?? map, map["steps"] is null ? "'steps' is required: a list of steps" : $"'steps' must be a list of steps, not {map["steps"]!.Kind}");

        var expectations = new List<ScenarioAction>();
        if (map["expect"] is { } expectNode) expectations.AddRange(ReadExpectations(expectNode, ctx));

        return name is null ? null : new ScenarioDocument(ctx.File, name, description, smartAccount, seed, faults, steps, expectations) { Timing = timing };
    }

    private static List<ScenarioAction> ReadExpectations(SNode node, Context ctx)
    {
        var list = new List<ScenarioAction>();
        if (node is not SList items)
        {
            ctx.Error(node, $"expectations are a list, not {node.Kind}");
            return list;
        }
        foreach (var item in items.Items) if (ReadAction(item, Catalog.Expectations, "expectation", ctx) is { } a) list.Add(a);
        return list;
    }

    private static ScenarioAction? ReadAction(SNode item, IReadOnlyList<ActionSpec> catalog, string what, Context ctx)
    {
        var names = string.Join(", ", catalog.Select(c => c.Name));
        if (item is not SMap { Entries.Count: 1 } one)
        {
            ctx.Error(item, $"a {what} is a mapping with one key, its name (one of: {names}); found {(item is SMap m ? $"{m.Entries.Count} keys" : item.Kind)}");
            return null;
        }
        var (key, value) = one.Entries[0];
        var spec = catalog.FirstOrDefault(c => c.Name == key.Text);
        if (spec is null)
        {
            ctx.Error(key, $"unknown {what} '{key.Text}'{Suggest(key.Text, catalog.Select(c => c.Name))}; valid {what}s: {names}");
            return null;
        }
        if (spec.TakesDocument)
        {
            if (value is not SMap) ctx.Error(value, $"'{spec.Name}' takes a mapping, not {value.Kind}");
            return new ScenarioAction(spec, value, key.Line);
        }
        if (spec.TakesExpectations) return new ScenarioAction(spec, value, key.Line) { Expectations = ReadExpectations(value, ctx) };
        if (value is not SMap args)
        {
            ctx.Error(value, $"'{spec.Name}' takes a mapping of keys ({string.Join(", ", spec.Args.Select(a => a.Name))}), not {value.Kind}");
            return null;
        }
        if (CheckKeys(args, spec, $"'{spec.Name}'", ctx))
        {
            if (spec.Name == "addFault") CheckFaultRule(args, ctx, mayBePatch: false);
            if (spec.Name == "failed" && args["error"] is SScalar { IsNull: false } error) CheckErrorCode(error, "'failed'", ctx);
            if (spec.Name == "journal" && args["errorCode"] is SScalar { IsNull: false } errorCode) CheckErrorCode(errorCode, "'journal'", ctx);
        }
        return new ScenarioAction(spec, value, key.Line);
    }

    private static bool CheckKeys(SMap args, ActionSpec spec, string where, Context ctx)
    {
        var before = ctx.Errors.Count;
        var valid = string.Join(", ", spec.Args.Select(a => a.Name));
        foreach (var (key, value) in args.Entries)
        {
            var arg = spec.Arg(key.Text);
            if (arg is null) ctx.Error(key, $"unknown key '{key.Text}' in {where}{Suggest(key.Text, spec.Args.Select(a => a.Name))}; valid keys: {valid}");
            else CheckValue(arg, value, where, ctx);
        }
        foreach (var missing in spec.Args.Where(a => a.Required && args[a.Name] is null))
            ctx.Error(args, $"{where} needs '{missing.Name}' ({missing.Description})");
        if (spec.OneOf.Count > 0 && !spec.OneOf.Any(k => args[k] is not null))
            ctx.Error(args, $"{where} needs one of: {string.Join(", ", spec.OneOf)}");
        // Definitions after references, so `trust` cannot name the device a later step declares.
        foreach (var arg in spec.Args.Where(a => a.Ref is RefKind.Devices or RefKind.Token or RefKind.Upload && args[a.Name] is not null))
        {
            var names = args[arg.Name] switch { SScalar s => [s], SList l => l.Items.OfType<SScalar>().ToList(), _ => new List<SScalar>() };
            foreach (var n in names.Where(n => !ctx.Defined[arg.Ref].Contains(n.Text)))
            {
                var known = ctx.Defined[arg.Ref];
                ctx.Error(n, $"'{n.Text}' is not a {Noun(arg.Ref)} defined by an earlier step{Suggest(n.Text, known)}" +
                    (known.Count > 0 ? $"; defined so far: {string.Join(", ", known)}" : $"; declare it first with {Definer(arg.Ref)}"));
            }
        }
        foreach (var arg in spec.Args.Where(a => a.Ref is RefKind.DefinesDevices or RefKind.DefinesToken or RefKind.DefinesUpload))
        {
            if (args[arg.Name] is not SScalar { IsNull: false } s) continue;
            var kind = arg.Ref switch { RefKind.DefinesDevices => RefKind.Devices, RefKind.DefinesToken => RefKind.Token, _ => RefKind.Upload };
            if (!ctx.Defined[kind].Add(s.Text)) ctx.Error(s, $"a {Noun(kind)} named '{s.Text}' is already defined");
        }
        return ctx.Errors.Count == before;
    }

    private static string Noun(RefKind kind) => kind switch { RefKind.Devices => "device, fleet or HA pair", RefKind.Token => "token", _ => "upload" };

    private static string Definer(RefKind kind) => kind switch { RefKind.Devices => "device, fleet or haPair", RefKind.Token => "createToken", _ => "uploadUsage" };

    private static void CheckValue(ArgSpec arg, SNode value, string where, Context ctx)
    {
        var name = $"'{arg.Name}' in {where}";
        switch (arg.Type)
        {
            case ArgType.Text:
                if (value is not SScalar { IsNull: false } t) ctx.Error(value, $"{name} must be text, not {value.Kind}");
                else if (arg.Allowed is { } allowed && !allowed.Contains(t.Text)) ctx.Error(value, $"{name} must be one of: {string.Join(", ", allowed)}; not '{t.Text}'");
                break;
            case ArgType.Integer:
                if (value is not SScalar { AsLong: { } l }) ctx.Error(value, $"{name} must be a whole number, not {value.Kind}");
                else if (arg.Min is { } min && l < min) ctx.Error(value, $"{name} must be at least {min}, not {l}");
                break;
            case ArgType.Boolean:
                if (value is not SScalar { AsBool: not null }) ctx.Error(value, $"{name} must be true or false, not {value.Kind}");
                break;
            case ArgType.Duration:
                // The server's own parser, so `validate` refuses what a run would be refused.
                if (value is not SScalar { IsNull: false } d || !Engine.Time.IsoDuration.TryParse(d.Text, out var span) || span < TimeSpan.Zero)
                    ctx.Error(value, $"{name} must be an ISO-8601 duration PnDTnHnMnS, e.g. P30D or PT12H");
                break;
            case ArgType.Instant:
                if (value is not SScalar { IsNull: false } i || !TryInstant(i.Text, out _))
                    ctx.Error(value, $"{name} must be an ISO-8601 instant with a zone, e.g. 2027-01-01T00:00:00Z");
                break;
            case ArgType.Names:
                if (value is SScalar { IsNull: false }) break;
                if (value is SList { Items.Count: > 0 } names && names.Items.All(n => n is SScalar { IsNull: false })) break;
                ctx.Error(value, $"{name} must be a name or a list of names, not {value.Kind}");
                break;
            case ArgType.Object:
                if (value is not SMap) ctx.Error(value, $"{name} must be a mapping, not {value.Kind}");
                break;
            case ArgType.Usage or ArgType.Licenses:
                var countKey = arg.Type == ArgType.Usage ? "count" : "quantity";
                if (value is not SList { Items.Count: > 0 } list)
                {
                    ctx.Error(value, $"{name} must be a list of {{tag, {countKey}}}, not {value.Kind}");
                    break;
                }
                foreach (var item in list.Items)
                {
                    if (item is not SMap m) { ctx.Error(item, $"each entry of {name} is a mapping {{tag, {countKey}}}, not {item.Kind}"); continue; }
                    foreach (var (k, _) in m.Entries.Where(e => e.Key.Text != "tag" && e.Key.Text != countKey))
                        ctx.Error(k, $"unknown key '{k.Text}' in an entry of {name}; valid keys: tag, {countKey}");
                    if (m["tag"] is not SScalar { IsNull: false }) ctx.Error(m["tag"] ?? m, $"each entry of {name} needs 'tag' (text)");
                    if (m[countKey] is { } c && c is not SScalar { AsLong: >= 0 }) ctx.Error(c, $"'{countKey}' in {name} must be a whole number of at least 0");
                    if (m[countKey] is null) ctx.Error(m, $"each entry of {name} needs '{countKey}'");
                }
                break;
        }
    }

    internal static bool TryInstant(string text, out DateTimeOffset value) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out value) && (text.EndsWith('Z') || text.Contains('+') || text.LastIndexOf('-') > 9);

    [GeneratedRegex(@"^\t+", RegexOptions.Multiline)]
    private static partial Regex LeadingTabs();

    // "did you mean" for a near miss: the closest name within two edits.
    private static string Suggest(string given, IEnumerable<string> names)
    {
        var best = names.Select(n => (Name: n, Distance: Distance(given.ToLowerInvariant(), n.ToLowerInvariant()))).Where(x => x.Distance <= 2)
            .OrderBy(x => x.Distance).FirstOrDefault();
        return best.Name is null ? "" : $" (did you mean '{best.Name}'?)";
    }

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }
}
