using System.Text.Json.Nodes;
using CssmSim.Engine.Jobs;
using CssmSim.Server.Pipeline;

namespace CssmSim.Server.Control;

/// <summary><c>/_sim/poll-transitions</c>: how many polls or how much virtual time asynchronous jobs take.</summary>
internal static class PollTransitionsApi
{
    public static IEndpointRouteBuilder MapPollTransitionsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/_sim/poll-transitions").WithTags("Poll transitions").WithGroupName(ControlApi.GroupName);
        api.MapGet("", List).WithName("ListPollTransitions").WithSummary("The transition of every action, then per-account ones.");
        api.MapPost("", async (HttpContext ctx, PollTransitionService transitions) =>
        {
            var t = await transitions.SetAsync(await RequestBodies.ReadJsonAsync(ctx, 16 * 1024), ctx.RequestAborted);
            return Results.Json(t.ToJson());
        }).WithName("SetPollTransition")
            .WithSummary("{action: acknowledgements|authorizations|trust|usage-files, progression: immediate|polls|time, times?, duration?, smartAccount?, pollInterval?}.");
        api.MapDelete("", async (HttpContext ctx, PollTransitionService transitions) =>
        {
            await transitions.ResetAsync(ctx.RequestAborted);
            return await List(ctx, transitions);
        }).WithName("ResetPollTransitions")
            .WithSummary("Back to the defaults of the start-up timing profile (fast: acknowledgements polls 0, so usage reports answer OK_POLL and the first poll brings the ACK; every other action immediate).");

        // One switch for every action (control.md §Poll transitions): realistic = the ACK due poll_interval after the report.
        var timing = app.MapGroup("/_sim/timing").WithTags("Poll transitions").WithGroupName(ControlApi.GroupName);
        timing.MapGet("", Timing).WithName("GetTimingProfile").WithSummary("The timing profile in force (fast, realistic, or custom when transitions were set one by one), and the start-up one.");
        timing.MapPost("", async (HttpContext ctx, PollTransitionService transitions) =>
        {
            var body = await RequestBodies.ReadJsonAsync(ctx, 4 * 1024);
            var name = body is JsonObject o && o.Count == 1 && o["profile"] is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;
            if (TimingProfiles.Parse(name) is not { } profile)
                throw new ApiException(400, "the body must be {\"profile\": \"fast\"|\"realistic\"}") { Errors = new Dictionary<string, string[]> { ["profile"] = ["must be fast or realistic"] } };
            await transitions.SetProfileAsync(profile, ctx.RequestAborted);
            return await Timing(ctx, transitions);
        }).WithName("SetTimingProfile")
            .WithSummary("{profile: fast|realistic}: sets every poll transition at once; realistic makes a usage report's ACK due poll_interval (300 s) of simulator time after it, trust stays synchronous.");
        return app;
    }

    private static async Task<IResult> Timing(HttpContext ctx, PollTransitionService transitions) => Results.Json(new JsonObject
    {
        ["profile"] = await transitions.CurrentProfileAsync(ctx.RequestAborted) is { } p ? TimingProfiles.Name(p) : "custom",
        ["startup"] = TimingProfiles.Name(transitions.StartupProfile),
        ["transitions"] = new JsonArray((await transitions.ListAsync(ctx.RequestAborted)).Select(t => (JsonNode)t.ToJson()).ToArray()),
    });

    private static async Task<IResult> List(HttpContext ctx, PollTransitionService transitions) => Results.Json(new JsonObject
    {
        ["transitions"] = new JsonArray((await transitions.ListAsync(ctx.RequestAborted)).Select(t => (JsonNode)t.ToJson()).ToArray()),
    });
}
