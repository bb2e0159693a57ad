using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Engine.Storage;

namespace CssmSim.Engine.Time;

/// <summary>
/// The virtual clock as the store keeps it (setting <see cref="Key"/>), so it survives a restart and
/// every process sharing the store reads the same time: <c>{"mode":"system"}</c>,
/// <c>{"mode":"virtual","offsetMs":N}</c> or <c>{"mode":"frozen","now":"ISO-8601"}</c>.
/// </summary>
public static class ClockState
{
    public const string Key = "clock";

    /// <summary>The range the clock may be put in: every date the simulator writes stays representable.</summary>
    public static readonly DateTimeOffset Earliest = new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset Latest = new(9000, 12, 31, 23, 59, 59, TimeSpan.Zero);

    public static string Write(SimulatorClock clock)
    {
        var o = new JsonObject { ["mode"] = clock.Mode.ToString().ToLowerInvariant() };
        if (clock.Mode == ClockMode.Frozen) o["now"] = clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        else if (clock.Mode == ClockMode.Virtual) o["offsetMs"] = (long)Math.Round(clock.Offset.TotalMilliseconds);
        return o.ToJsonString();
    }

    /// <summary>Applies a stored state; false (clock untouched) when it is not one this version wrote.</summary>
    public static bool TryApply(SimulatorClock clock, string json)
    {
        try
        {
            if (JsonNode.Parse(json) is not JsonObject o || o["mode"] is not JsonValue m || !m.TryGetValue<string>(out var mode)) return false;
            switch (mode)
            {
                case "system":
                    clock.Restore(ClockMode.System, TimeSpan.Zero, clock.Wall.GetUtcNow());
                    return true;
                case "virtual" when o["offsetMs"] is JsonValue ov && ov.TryGetValue<long>(out var offset)
                    && Math.Abs(offset) <= (Latest - Earliest).TotalMilliseconds:
                    clock.Restore(ClockMode.Virtual, TimeSpan.FromMilliseconds(offset), clock.Wall.GetUtcNow());
                    return true;
                case "frozen" when o["now"] is JsonValue nv && nv.TryGetValue<string>(out var now)
                    && DateTimeOffset.TryParse(now, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at):
                    clock.Restore(ClockMode.Frozen, TimeSpan.Zero, at);
                    return true;
                default:
                    return false;
            }
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Stores the clock as it stands (the store bumps its version, so other processes follow).</summary>
    public static Task SaveAsync(ISimulatorStore store, SimulatorClock clock, CancellationToken ct = default) =>
        store.State.SetSettingAsync(Key, Write(clock), ct);
}
