using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Engine.Faults;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Time;
using CssmSim.Engine.Validation;

namespace CssmSim.Engine.Snapshots;

/// <summary>
/// Exports and imports the whole simulator state (control.md §Reset and snapshot): the store's
/// tables in natural-key order (fault rules and poll transitions among them) and the clock. No journal, OAuth tokens or export time, so two
/// exports of the same state are byte-identical and can be diffed or committed as fixtures.
/// </summary>
public sealed class SnapshotService(ISimulatorStore store, SimulatorClock clock, FaultEngine faults, Policies.PolicyService? policies = null)
{
    public const long MaxBytes = 256L * 1024 * 1024;

    public async Task<byte[]> ExportAsync(CancellationToken ct = default)
    {
        var snapshot = await store.State.ExportAsync(ct);
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteNumber("schemaVersion", snapshot.SchemaVersion);
            w.WriteStartObject("clock");
            w.WriteString("mode", clock.Mode.ToString().ToLowerInvariant());
            // A frozen clock is an instant; a virtual one an offset from wall time (stable while untouched).
            if (clock.Mode == ClockMode.Frozen) w.WriteString("now", clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            else w.WriteNumber("offsetMs", (long)Math.Round(clock.Offset.TotalMilliseconds));
            w.WriteEndObject();
            w.WriteStartObject("store");
            foreach (var (table, rows) in snapshot.Tables.OrderBy(t => t.Key, StringComparer.Ordinal))
            {
                w.WriteStartArray(table);
                foreach (var row in rows) row.WriteTo(w);
                w.WriteEndArray();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return ms.ToArray();
    }

    /// <summary>Replaces the state with an export; refuses a malformed one before touching anything.</summary>
    public async Task ImportAsync(JsonNode root, CancellationToken ct = default)
    {
        var errors = new ValidationErrors();
        if (root is not JsonObject doc) throw EngineValidationException.Single("$", "must be an object");
        foreach (var (key, _) in doc)
        {
            if (key is not ("schemaVersion" or "clock" or "store")) errors.Add(key, "unknown field; expected schemaVersion, clock, store");
        }
        if (doc["schemaVersion"] is not JsonValue sv || !sv.TryGetValue<int>(out var version))
        {
            errors.Add("schemaVersion", "is required and must be a whole number");
            errors.ThrowIfAny("Invalid snapshot");
            return;
        }
        var tables = new Dictionary<string, IReadOnlyList<JsonObject>>(StringComparer.Ordinal);
        if (doc["store"] is JsonObject storeObj)
        {
            foreach (var (table, node) in storeObj)
            {
                if (node is not JsonArray arr) { errors.Add("store." + table, "must be a list"); continue; }
                var rows = new List<JsonObject>();
                for (var i = 0; i < arr.Count; i++)
                {
                    if (arr[i] is JsonObject row) rows.Add(row);
                    else errors.Add($"store.{table}[{i}]", "must be an object");
                }
                tables[table] = rows;
            }
        }
        else
        {
            errors.Add("store", "is required and must be an object");
        }
        var clockState = ReadClock(doc["clock"], errors);
        if (tables.TryGetValue("fault_rules", out var rules)) CheckFaultRules(rules, errors);
        // Everything that can be checked is checked before the store is touched; the store checks
        // each row's content inside its one transaction, so a refused import changes nothing.
        errors.ThrowIfAny("Invalid snapshot");

        await store.State.ImportAsync(new StoreSnapshot(version, tables), ct);
        await faults.ReloadAsync(ct);
        policies?.Forget();
        clockState?.Invoke();
        await ClockState.SaveAsync(store, clock, ct);
    }

    /// <summary>Each fault rule must load, or the import would commit a rule the engine cannot apply.</summary>
    private static void CheckFaultRules(IReadOnlyList<JsonObject> rows, ValidationErrors errors)
    {
        for (var i = 0; i < rows.Count; i++)
        {
            var path = $"store.fault_rules[{i}].rule_json";
            if (rows[i]["rule_json"] is not JsonValue v || !v.TryGetValue<string>(out var json)) continue; // the store reports type errors
            var id = rows[i]["id"] is JsonValue iv && iv.TryGetValue<string>(out var s) ? s : "rule";
            var builtin = rows[i]["builtin"] is JsonValue bv && bv.TryGetValue<long>(out var b) && b != 0;
            try
            {
                FaultRuleJson.Read(JsonNode.Parse(json), id, builtin);
            }
            catch (JsonException e)
            {
                errors.Add(path, "is not JSON: " + e.Message);
            }
            catch (EngineValidationException e)
            {
                foreach (var (field, messages) in e.Errors)
                    foreach (var m in messages) errors.Add(path + (field is "" or "$" ? "" : "." + field), m);
            }
        }
    }

    private Action? ReadClock(JsonNode? node, ValidationErrors errors)
    {
        if (node is null) return null;
        if (node is not JsonObject o) { errors.Add("clock", "must be an object"); return null; }
        var mode = o["mode"] is JsonValue m && m.TryGetValue<string>(out var ms) ? ms : null;
        switch (mode)
        {
            case "system":
                return () => clock.SetMode(ClockMode.System);
            case "virtual" when o["offsetMs"] is JsonValue ov && ov.TryGetValue<long>(out var offset) && InRange(clock.Wall.GetUtcNow(), offset):
                return () =>
                {
                    clock.SetMode(ClockMode.System);
                    clock.Set(clock.Wall.GetUtcNow() + TimeSpan.FromMilliseconds(offset));
                };
            case "frozen" when o["now"] is JsonValue nv && nv.TryGetValue<string>(out var now)
                && DateTimeOffset.TryParse(now, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
                && at >= ClockState.Earliest && at <= ClockState.Latest:
                return () =>
                {
                    clock.SetMode(ClockMode.Frozen);
                    clock.Set(at);
                };
            default:
                errors.Add("clock", "must be {\"mode\":\"system\"}, {\"mode\":\"virtual\",\"offsetMs\":N} or {\"mode\":\"frozen\",\"now\":\"ISO-8601\"}, "
                    + $"putting the clock between {ClockState.Earliest:yyyy-MM-dd} and {ClockState.Latest:yyyy-MM-dd}");
                return null;
        }
    }

    private static bool InRange(DateTimeOffset wall, long offsetMs)
    {
        // Compared in milliseconds: wall + offset itself may not be representable.
        var ms = wall.ToUnixTimeMilliseconds();
        return offsetMs >= ClockState.Earliest.ToUnixTimeMilliseconds() - ms && offsetMs <= ClockState.Latest.ToUnixTimeMilliseconds() - ms;
    }
}
