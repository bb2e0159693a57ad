using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Engine.Time;
using CssmSim.Engine.Validation;
using CssmSim.Server.Pipeline;

namespace CssmSim.Server.Control;

/// <summary><c>/_sim/clock</c>: the virtual clock that token expiry, deadlines and artefact times read.</summary>
internal static class ClockApi
{
    public static IEndpointRouteBuilder MapClockApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/_sim/clock").WithTags("Clock").WithGroupName(ControlApi.GroupName);
        api.MapGet("", (SimulatorClock clock) => Results.Json(View(clock))).WithName("GetClock").WithSummary("{now, mode, offsetMs}.");
        api.MapPost("", Change).WithName("SetClock")
            .WithSummary("{\"advance\":\"P30D\"}, {\"set\":\"2027-01-01T00:00:00Z\"} or {\"mode\":\"system|virtual|frozen\"}; several apply in the order mode, set, advance.");
        return app;
    }

    public static JsonObject View(SimulatorClock clock) => new()
    {
        ["now"] = Iso.Millis(clock.GetUtcNow()),
        ["mode"] = clock.Mode.ToString().ToLowerInvariant(),
        ["offsetMs"] = (long)Math.Round(clock.Offset.TotalMilliseconds),
    };

    private static async Task<IResult> Change(HttpContext ctx, SimulatorClock clock, Engine.Storage.ISimulatorStore store)
    {
        var body = await RequestBodies.ReadJsonAsync(ctx, 16 * 1024) as JsonObject ?? throw new ApiException(400, "expected a JSON object");
        var errors = new ValidationErrors();
        foreach (var (key, _) in body)
        {
            if (key is not ("advance" or "set" or "mode")) errors.Add(key, "unknown field; expected advance, set or mode");
        }
        ClockMode? mode = null;
        if (body["mode"] is { } m)
        {
            mode = m.GetValueKind() == JsonValueKind.String ? m.GetValue<string>() switch
            {
                "system" => ClockMode.System,
                "virtual" => ClockMode.Virtual,
                "frozen" => ClockMode.Frozen,
                _ => null,
            } : null;
            if (mode is null) errors.Add("mode", "must be system, virtual or frozen");
        }
        DateTimeOffset? set = null;
        if (body["set"] is { } s)
        {
            if (s.GetValueKind() == JsonValueKind.String && DateTimeOffset.TryParse(s.GetValue<string>(), CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at) && at >= SimulatorClock.Earliest && at <= SimulatorClock.Latest)
                set = at;
            else errors.Add("set", $"must be an ISO-8601 date-time from {SimulatorClock.Earliest:yyyy-MM-dd} to {SimulatorClock.Latest:yyyy-MM-dd}, e.g. 2027-01-01T00:00:00Z");
        }
        TimeSpan? advance = null;
        if (body["advance"] is { } a)
        {
            if (a.GetValueKind() == JsonValueKind.String && IsoDuration.TryParse(a.GetValue<string>(), out var d))
            {
                if (clock.CanAdvance(d, set)) advance = d;
                else errors.Add("advance", $"would move the clock outside {SimulatorClock.Earliest:yyyy-MM-dd}..{SimulatorClock.Latest:yyyy-MM-dd}");
            }
            else errors.Add("advance", "must be an ISO-8601 duration PnDTnHnMnS (no Y, M or W), e.g. P30D or PT1H30M");
        }
        if (!errors.Any && mode is null && set is null && advance is null) errors.Add("$", "give advance, set or mode");
        if (errors.Any) throw new ApiException(400, "invalid clock change") { Errors = errors.ToDictionary() };

        if (mode is { } newMode) clock.SetMode(newMode);
        if (set is { } instant) clock.Set(instant);
        if (advance is { } delta) clock.Advance(delta);
        await ClockState.SaveAsync(store, clock, ctx.RequestAborted);
        return Results.Json(View(clock));
    }
}
