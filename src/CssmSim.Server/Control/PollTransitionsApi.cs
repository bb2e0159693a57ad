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
        }).WithName("ResetPollTransitions").WithSummary("Back to the defaults: immediate for every action.");
        return app;
    }

    private static async Task<IResult> List(HttpContext ctx, PollTransitionService transitions) => Results.Json(new JsonObject
    {
        ["transitions"] = new JsonArray((await transitions.ListAsync(ctx.RequestAborted)).Select(t => (JsonNode)t.ToJson()).ToArray()),
    });
}
