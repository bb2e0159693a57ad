using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Scenarios.Model;

namespace CssmSim.Scenarios.Schema;

/// <summary>
/// The JSON Schema (draft 2020-12) of scenario files, generated from the <see cref="Catalog"/> so
/// editors validate exactly what the loader accepts. scenarios/scenario.schema.json is this output.
/// </summary>
public static class ScenarioSchema
{
    public const string StepPrefix = "step.";
    public const string ExpectationPrefix = "expect.";

    public static string Generate()
    {
        var defs = new JsonObject
        {
            ["names"] = new JsonObject
            {
                ["description"] = "A device, fleet or HA pair name, or a list of them.",
                ["oneOf"] = new JsonArray(new JsonObject { ["type"] = "string" },
                    new JsonObject { ["type"] = "array", ["minItems"] = 1, ["items"] = new JsonObject { ["type"] = "string" } }),
            },
            ["duration"] = new JsonObject { ["type"] = "string", ["pattern"] = @"^P(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d{1,3})?S)?)?$", ["description"] = "ISO-8601 duration PnDTnHnMnS." },
            ["instant"] = new JsonObject { ["type"] = "string", ["format"] = "date-time" },
            ["usage"] = Pairs("count", 0),
            ["licenses"] = Pairs("quantity", 0),
        };
        foreach (var step in Catalog.Steps) defs[StepPrefix + step.Name] = Action(step);
        foreach (var e in Catalog.Expectations) defs[ExpectationPrefix + e.Name] = Action(e);
        defs["step"] = new JsonObject { ["oneOf"] = new JsonArray(Catalog.Steps.Select(s => (JsonNode)Ref(StepPrefix + s.Name)).ToArray()) };
        defs["expectation"] = new JsonObject { ["oneOf"] = new JsonArray(Catalog.Expectations.Select(s => (JsonNode)Ref(ExpectationPrefix + s.Name)).ToArray()) };
        var addFault = Catalog.Step("addFault")!;
        defs["faultRule"] = Arguments(addFault with { Args = addFault.Args.Select(a => a with { Required = false }).ToList() });

        var schema = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["title"] = "CssmSim scenario",
            ["description"] = "A QA scenario for cssmsim scenario run: a seed, fault rules, steps driving simulated product instances, and expectations (spec/control.md §Scenario files).",
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["required"] = new JsonArray("name", "steps"),
            ["properties"] = new JsonObject
            {
                ["name"] = new JsonObject { ["type"] = "string", ["description"] = "What the scenario shows, in a few words." },
                ["description"] = new JsonObject { ["type"] = "string" },
                ["smartAccount"] = new JsonObject { ["type"] = "string", ["description"] = "Default Smart Account domain for steps that name none." },
                ["timing"] = new JsonObject
                {
                    ["enum"] = new JsonArray("fast", "realistic"),
                    ["description"] = "Timing profile set after the reset (POST /_sim/timing): fast (a usage report's ACK on the first poll) or realistic (the ACK due poll_interval, 300 s, of simulator time later).",
                },
                ["seed"] = new JsonObject { ["type"] = "object", ["description"] = "A seed document merged after the reset (control.md §Seed document)." },
                ["faults"] = new JsonObject { ["type"] = "array", ["items"] = Ref("faultRule"), ["description"] = "Fault rules applied after the seed; an id naming an existing rule patches it." },
                ["steps"] = new JsonObject { ["type"] = "array", ["minItems"] = 1, ["items"] = Ref("step") },
                ["expect"] = new JsonObject { ["type"] = "array", ["items"] = Ref("expectation") },
            },
            ["$defs"] = defs,
        };
        return schema.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

    private static JsonObject Ref(string def) => new() { ["$ref"] = "#/$defs/" + def };

    private static JsonObject Pairs(string countKey, int min) => new()
    {
        ["type"] = "array",
        ["minItems"] = 1,
        ["items"] = new JsonObject
        {
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["required"] = new JsonArray("tag", countKey),
            ["properties"] = new JsonObject
            {
                ["tag"] = new JsonObject { ["type"] = "string", ["description"] = "Entitlement tag, or a short name: DNA_NWStack, AIR-DNA-A, DNA_HSEC, CSSMSIM_ENFORCED_DEMO." },
                [countKey] = new JsonObject { ["type"] = "integer", ["minimum"] = min },
            },
        },
    };

    private static JsonObject Action(ActionSpec spec)
    {
        JsonObject value;
        if (spec.TakesDocument) value = new JsonObject { ["type"] = "object" };
        else if (spec.TakesExpectations) value = new JsonObject { ["type"] = "array", ["items"] = Ref("expectation") };
        else value = Arguments(spec);
        value["description"] = spec.Description;
        return new JsonObject
        {
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["required"] = new JsonArray(spec.Name),
            ["properties"] = new JsonObject { [spec.Name] = value },
        };
    }

    private static JsonObject Arguments(ActionSpec spec)
    {
        var properties = new JsonObject();
        foreach (var arg in spec.Args)
        {
            JsonObject p = arg.Type switch
            {
                ArgType.Text => new JsonObject { ["type"] = new JsonArray("string", "number") },
                ArgType.Integer => new JsonObject { ["type"] = "integer" },
                ArgType.Boolean => new JsonObject { ["type"] = "boolean" },
                ArgType.Duration => Ref("duration"),
                ArgType.Instant => Ref("instant"),
                ArgType.Names => Ref("names"),
                ArgType.Object => new JsonObject { ["type"] = "object" },
                ArgType.Usage => Ref("usage"),
                ArgType.Licenses => Ref("licenses"),
                _ => new JsonObject(),
            };
            if (arg.Min is { } min && arg.Type == ArgType.Integer) p["minimum"] = min;
            if (arg.Allowed is { } allowed) p["enum"] = new JsonArray(allowed.Select(a => (JsonNode)a).ToArray());
            p["description"] = arg.Description;
            properties[arg.Name] = p;
        }
        var o = new JsonObject { ["type"] = "object", ["additionalProperties"] = false, ["properties"] = properties };
        var required = spec.Args.Where(a => a.Required).Select(a => (JsonNode)a.Name).ToArray();
        if (required.Length > 0) o["required"] = new JsonArray(required);
        if (spec.OneOf.Count > 0) o["anyOf"] = new JsonArray(spec.OneOf.Select(k => (JsonNode)new JsonObject { ["required"] = new JsonArray(k) }).ToArray());
        return o;
    }
}
