using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Engine.Seeding;
using CssmSim.Engine.Validation;

namespace CssmSim.Engine.Faults;

/// <summary>
/// Fault rules to and from JSON. Reading validates every member and names the field at fault
/// (<c>when.probability</c>: "must be between 0 and 1"); writing gives one canonical form, used
/// for storage, the control API and snapshots alike.
/// </summary>
public static class FaultRuleJson
{
    private static readonly string[] RuleKeys = ["id", "name", "order", "match", "when", "effect", "enabled"];
    private static readonly string[] MatchKeys = ["surface", "operation", "smartAccount", "virtualAccount", "udi", "token", "tokenLimited", "path"];
    private static readonly string[] WhenKeys = ["nth", "every", "after", "probability", "seed", "times", "concurrentAbove", "holdMs"];
    private static readonly string[] EffectKeys = ["error", "status", "body", "retryAfter", "latencyMs", "jitterMs", "drop", "phase", "ack", "poll", "clockSkewMs", "corrupt"];

    /// <summary>Reads a rule; <paramref name="id"/> and <paramref name="builtin"/> come from the caller, never the body.</summary>
    public static FaultRule Read(JsonNode? node, string id, bool builtin)
    {
        var errors = new ValidationErrors();
        var r = new NodeReader(errors);
        if (node is not JsonObject o)
        {
            errors.Add("$", "must be an object");
            errors.ThrowIfAny("Invalid fault rule");
            throw new InvalidOperationException();
        }
        // Counters and flags the API shows are accepted back (a GET result can be re-posted) but ignored.
        var known = RuleKeys.Concat(["builtin", "candidates", "applied", "exhausted"]).ToArray();
        r.OnlyKeys(o, "", known);
        if (o["id"] is JsonNode idNode && (idNode.GetValueKind() != JsonValueKind.String || string.IsNullOrWhiteSpace(idNode.GetValue<string>())))
            errors.Add("id", "must be a non-empty string");
        var match = ReadMatch(r, r.Object(o["match"], "match") ?? new JsonObject(), "match");
        var when = ReadWhen(r, r.Object(o["when"], "when") ?? new JsonObject(), "when");
        var effect = ReadEffect(r, r.Object(o["effect"], "effect", required: true), "effect", match);
        var rule = new FaultRule(id, r.String(o, "name", "", maxLength: 200), r.Integer(o, "order", ""), match, when,
            effect ?? new FaultEffect(), r.Bool(o, "enabled", "") ?? true, builtin);
        errors.ThrowIfAny("Invalid fault rule");
        return rule;
    }

    private static FaultMatch ReadMatch(NodeReader r, JsonObject o, string p)
    {
        r.OnlyKeys(o, p, MatchKeys);
        var surface = r.String(o, "surface", p);
        if (surface is not null && surface != FaultCatalog.AnySurface && !FaultCatalog.Surfaces.Contains(surface))
            r.Errors.Add(p + ".surface", $"unknown surface '{surface}'; expected one of: *, {string.Join(", ", FaultCatalog.Surfaces)}");
        var operation = r.String(o, "operation", p);
        if (operation is not null && !FaultCatalog.IsKnownOperation(surface, operation))
            r.Errors.Add(p + ".operation", $"unknown operation '{operation}'{(surface is null ? "" : " for surface " + surface)}; GET /_sim/faults/operations lists them");
        var path = r.String(o, "path", p);
        if (path is not null && !path.StartsWith('/')) r.Errors.Add(p + ".path", "must start with /");
        return new FaultMatch(surface, operation, r.String(o, "smartAccount", p), r.String(o, "virtualAccount", p),
            r.String(o, "udi", p), r.String(o, "token", p, maxLength: 4096), r.Bool(o, "tokenLimited", p), path);
    }

    private static FaultWhen ReadWhen(NodeReader r, JsonObject o, string p)
    {
        r.OnlyKeys(o, p, WhenKeys);
        List<long>? nth = null;
        if (r.Array(o, "nth", p) is { } arr)
        {
            nth = [];
            for (var i = 0; i < arr.Count; i++)
            {
                if (arr[i] is JsonValue v && v.TryGetValue<long>(out var n) && n >= 1) nth.Add(n);
                else r.Errors.Add($"{p}.nth[{i}]", "must be a whole number of at least 1");
            }
        }
        double? probability = null;
        if (o["probability"] is JsonNode pn)
        {
            if (pn is JsonValue pv && pv.GetValueKind() == JsonValueKind.Number && pv.TryGetValue<double>(out var d) && d is >= 0 and <= 1) probability = d;
            else r.Errors.Add(p + ".probability", "must be between 0 and 1");
        }
        return new FaultWhen(nth, r.Integer(o, "every", p, 1), r.Integer(o, "after", p, 0), probability, r.Integer(o, "seed", p),
            r.Integer(o, "times", p, 1), r.Integer(o, "concurrentAbove", p, 1), r.Integer(o, "holdMs", p, 0, 600_000));
    }

    private static FaultEffect? ReadEffect(NodeReader r, JsonObject? o, string p, FaultMatch match)
    {
        if (o is null) return null;
        foreach (var (key, _) in o)
        {
            if (!EffectKeys.Contains(key))
                r.Errors.Add($"{p}.{key}", $"unknown effect; expected one of: {string.Join(", ", EffectKeys)}");
        }
        var error = r.String(o, "error", p, maxLength: 200);
        if (error is not null && error.Length == 0) r.Errors.Add(p + ".error", "must not be empty");
        var status = r.Integer(o, "status", p, 100, 599);
        var drop = r.String(o, "drop", p) switch
        {
            null => (DropKind?)null,
            "reset" => DropKind.Reset,
            "empty" => DropKind.Empty,
            "truncate" => DropKind.Truncate,
            "hang" => DropKind.Hang,
            var other => Invalid<DropKind>(r, p + ".drop", $"'{other}' is not one of: reset, empty, truncate, hang"),
        };
        var phase = r.String(o, "phase", p) switch
        {
            null or "before" => FaultPhase.Before,
            "after" => FaultPhase.After,
            var other => Invalid<FaultPhase>(r, p + ".phase", $"'{other}' is not before or after") ?? FaultPhase.Before,
        };
        var ack = ReadAck(r, o, p);
        var poll = ReadPoll(r, o, p);
        var latency = r.Integer(o, "latencyMs", p, 0, 600_000);
        var jitter = r.Integer(o, "jitterMs", p, 0, 600_000);
        var skew = r.Integer(o, "clockSkewMs", p, -10L * 365 * 86_400_000, 10L * 365 * 86_400_000);
        var retryAfter = r.Integer(o, "retryAfter", p, 0, 86_400);
        var corrupt = ReadCorrupt(r, o, p);

        var kinds = new[] { error is not null, status is not null, drop is not null, ack is not null, poll is not null, skew is not null, corrupt is not null }
            .Count(k => k);
        if (kinds > 1) r.Errors.Add(p, "give one of error, status, drop, ack, poll, clockSkewMs or corrupt (latencyMs may join any)");
        if (kinds == 0 && latency is null && jitter is null && !r.Errors.Any)
            r.Errors.Add(p, "must name an effect: error, status, drop, latencyMs, ack, poll, clockSkewMs or corrupt");
        if (jitter is not null && latency is null) r.Errors.Add(p + ".jitterMs", "needs latencyMs");
        if (o.ContainsKey("phase") && status is null && drop is null) r.Errors.Add(p + ".phase", "applies to status and drop only");
        if ((o.ContainsKey("body") || retryAfter is not null) && status is null) r.Errors.Add(p + (o.ContainsKey("body") ? ".body" : ".retryAfter"), "applies to status only");
        return new FaultEffect(error, (int?)status, o["body"]?.DeepClone(), (int?)retryAfter, latency, jitter, drop, phase, ack, poll, skew, corrupt);
    }

    /// <summary><c>corrupt</c>: a non-empty list of artefact kinds whose signature is broken in the reply.</summary>
    private static IReadOnlyList<string>? ReadCorrupt(NodeReader r, JsonObject o, string p)
    {
        if (!o.ContainsKey("corrupt")) return null;
        var list = r.StringList(o, "corrupt", p);
        if (list is null) return null;
        if (list.Count == 0) r.Errors.Add(p + ".corrupt", $"list at least one of: {string.Join(", ", CorruptTargets.All)}");
        foreach (var item in list.Where(i => !CorruptTargets.All.Contains(i)))
            r.Errors.Add(p + ".corrupt", $"'{item}' is not one of: {string.Join(", ", CorruptTargets.All)}");
        return list.Distinct().ToList();
    }

    private static AckFault? ReadAck(NodeReader r, JsonObject o, string p)
    {
        if (r.Object(o["ack"], p + ".ack") is not { } a) return null;
        var ap = p + ".ack";
        r.OnlyKeys(a, ap, "reportStatus", "omitTrustFor", "omitPolicy", "corruptSignature", "reports");
        var status = r.String(a, "reportStatus", ap);
        if (status is not null and not ("REMOVED" or "DROPPED")) r.Errors.Add(ap + ".reportStatus", "must be REMOVED or DROPPED");
        AckReportPick? pick = null;
        if (r.Object(a["reports"], ap + ".reports") is { } picked)
        {
            var rp = ap + ".reports";
            r.OnlyKeys(picked, rp, "udi", "tag", "count");
            pick = new AckReportPick(r.String(picked, "udi", rp), r.String(picked, "tag", rp, maxLength: 500), r.Integer(picked, "count", rp, 1));
        }
        return new AckFault(status, r.StringList(a, "omitTrustFor", ap) ?? [], r.Bool(a, "omitPolicy", ap) ?? false, r.Bool(a, "corruptSignature", ap) ?? false,
            pick);
    }

    private static PollFault? ReadPoll(NodeReader r, JsonObject o, string p)
    {
        if (r.Object(o["poll"], p + ".poll") is not { } a) return null;
        var pp = p + ".poll";
        r.OnlyKeys(a, pp, "neverComplete", "failWith");
        var never = r.Bool(a, "neverComplete", pp) ?? false;
        var fail = r.String(a, "failWith", pp, maxLength: 200);
        if (never == (fail is not null)) r.Errors.Add(pp, "give neverComplete: true or failWith: CODE");
        return new PollFault(never, fail);
    }

    private static T? Invalid<T>(NodeReader r, string path, string message) where T : struct
    {
        r.Errors.Add(path, message);
        return null;
    }

    /// <summary>The canonical JSON of a rule (no counters): what is stored and exported.</summary>
    public static JsonObject Write(FaultRule rule)
    {
        var o = new JsonObject { ["id"] = rule.Id };
        if (rule.Name is not null) o["name"] = rule.Name;
        if (rule.Order is not null) o["order"] = rule.Order;
        var m = rule.Match;
        o["match"] = Compact(new JsonObject
        {
            ["surface"] = m.Surface, ["operation"] = m.Operation, ["smartAccount"] = m.SmartAccount, ["virtualAccount"] = m.VirtualAccount,
            ["udi"] = m.Udi, ["token"] = m.Token, ["tokenLimited"] = m.TokenLimited, ["path"] = m.Path,
        });
        var w = rule.When;
        o["when"] = Compact(new JsonObject
        {
            ["nth"] = w.Nth is null ? null : new JsonArray(w.Nth.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
            ["every"] = w.Every, ["after"] = w.After, ["probability"] = w.Probability, ["seed"] = w.Seed, ["times"] = w.Times,
            ["concurrentAbove"] = w.ConcurrentAbove, ["holdMs"] = w.HoldMs,
        });
        var e = rule.Effect;
        o["effect"] = Compact(new JsonObject
        {
            ["error"] = e.Error, ["status"] = e.Status, ["body"] = e.Body?.DeepClone(), ["retryAfter"] = e.RetryAfter,
            ["latencyMs"] = e.LatencyMs, ["jitterMs"] = e.JitterMs,
            ["drop"] = e.Drop?.ToString().ToLowerInvariant(),
            ["phase"] = e.Status is not null || e.Drop is not null ? e.Phase.ToString().ToLowerInvariant() : null,
            ["ack"] = e.Ack is null ? null : Compact(new JsonObject
            {
                ["reportStatus"] = e.Ack.ReportStatus,
                ["omitTrustFor"] = e.Ack.OmitTrustFor.Count == 0 ? null : new JsonArray(e.Ack.OmitTrustFor.Select(u => (JsonNode?)JsonValue.Create(u)).ToArray()),
                ["omitPolicy"] = e.Ack.OmitPolicy ? true : null,
                ["corruptSignature"] = e.Ack.CorruptSignature ? true : null,
                ["reports"] = e.Ack.Reports is not { } pick ? null : Compact(new JsonObject { ["udi"] = pick.Udi, ["tag"] = pick.Tag, ["count"] = pick.Count }),
            }),
            ["poll"] = e.Poll is null ? null : Compact(new JsonObject { ["neverComplete"] = e.Poll.NeverComplete ? true : null, ["failWith"] = e.Poll.FailWith }),
            ["clockSkewMs"] = e.ClockSkewMs,
            ["corrupt"] = e.Corrupt is null ? null : new JsonArray(e.Corrupt.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray()),
        });
        o["enabled"] = rule.Enabled;
        return o;
    }

    private static JsonObject Compact(JsonObject o)
    {
        foreach (var key in o.Where(kv => kv.Value is null).Select(kv => kv.Key).ToList()) o.Remove(key);
        return o;
    }

    /// <summary>RFC 7386 JSON merge patch: null removes a member, objects merge, anything else replaces.</summary>
    public static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject p) return patch?.DeepClone();
        var result = target is JsonObject t ? (JsonObject)t.DeepClone() : new JsonObject();
        foreach (var (key, value) in p)
        {
            if (value is null) result.Remove(key);
            else result[key] = MergePatch(result[key], value);
        }
        return result;
    }
}
