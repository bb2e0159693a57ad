using System.Text.Json.Nodes;
using CssmSim.Engine.Faults;
using CssmSim.Server.Pipeline;

namespace CssmSim.Server.Control;

/// <summary><c>/_sim/faults</c>: fault rules, their counters, and the operations they can match.</summary>
internal static class FaultsApi
{
    private static async Task<JsonObject> ListAsync(FaultEngine faults, CancellationToken ct)
    {
        var list = new JsonObject { ["rules"] = new JsonArray((await faults.ListAsync(ct)).Select(v => (JsonNode)v.ToJson()).ToArray()) };
        if (faults.Unloadable.Count > 0)
            list["unloadable"] = new JsonArray(faults.Unloadable.Select(u => (JsonNode)new JsonObject { ["id"] = u.Id, ["problem"] = u.Problem, ["enabled"] = false }).ToArray());
        return list;
    }

    public static IEndpointRouteBuilder MapFaultsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/_sim/faults").WithTags("Faults").WithGroupName(ControlApi.GroupName);
        api.MapGet("", async (FaultEngine faults, HttpContext ctx) => Results.Json(await ListAsync(faults, ctx.RequestAborted)))
            .WithName("ListFaults").WithSummary("Every rule in the order they are tried, with candidates and applied counts; stored rules that cannot be loaded under unloadable.");
        api.MapPost("", Add).WithName("AddFault")
            .WithSummary("Adds a rule: {id?, name?, order?, match:{...}, when:{...}, effect:{...}, enabled?}. 201 with the rule.")
            .WithDescription("effect is one of error, status (+body, retryAfter, phase), drop, ack {reportStatus, reports {udi, tag, count}, omitPolicy, "
                + "omitTrustFor, corruptSignature}, poll {neverComplete | failWith}, clockSkewMs, corrupt [policy, trustCode, slac, ack]; latencyMs (+jitterMs) joins any. "
                + "corrupt and clockSkewMs reach every artefact of the reply, so a device that verifies what it installs logs POLICY_INSTALL_FAILED, "
                + "TRUST_CODE_INSTALL_FAILED or AUTHORIZATION_INSTALL_FAILED; ack.reports without reportStatus leaves the picked reports out of the ACK.");
        api.MapDelete("", async (FaultEngine faults, HttpContext ctx) =>
        {
            await faults.DeleteUserRulesAsync(ctx.RequestAborted);
            return Results.Json(new { status = "ok" });
        }).WithName("DeleteUserFaults").WithSummary("Removes every user rule; built-in rules stay.");
        api.MapGet("/operations", () => Results.Json(new JsonObject
        {
            ["surfaces"] = new JsonArray(FaultCatalog.Surfaces.Select(s => (JsonNode?)JsonValue.Create(s)).Prepend(JsonValue.Create("*")).ToArray()),
            ["operations"] = new JsonObject(FaultCatalog.Operations.Select(kv => KeyValuePair.Create(kv.Key,
                (JsonNode?)new JsonArray(kv.Value.Append(FaultCatalog.NotSimulated).Select(o => (JsonNode?)JsonValue.Create(o)).ToArray())))),
        })).WithName("FaultOperations").WithSummary("The surfaces and operation names a rule's match may use.");
        api.MapGet("/{id}", async (FaultEngine faults, string id, HttpContext ctx) => await faults.FindAsync(id, ctx.RequestAborted) is { } v
            ? Results.Json(v.ToJson())
            : throw new ApiException(404, $"no fault rule '{id}'")).WithName("GetFault");
        api.MapPatch("/{id}", Patch).WithName("PatchFault").WithSummary("JSON merge patch (RFC 7386), e.g. {\"enabled\":false} or {\"when\":{\"concurrentAbove\":8}}.");
        api.MapDelete("/{id}", async (FaultEngine faults, string id, HttpContext ctx) =>
        {
            await faults.DeleteAsync(id, ctx.RequestAborted);
            return Results.Json(new { status = "ok" });
        }).WithName("DeleteFault").WithSummary("Removes a user rule (409 for a built-in one: disable it instead).");
        return app;
    }

    private static async Task<IResult> Add(HttpContext ctx, FaultEngine faults)
    {
        var body = await RequestBodies.ReadJsonAsync(ctx, 256 * 1024);
        var view = await faults.AddAsync(body, ctx.RequestAborted);
        return Results.Json(view.ToJson(), statusCode: 201);
    }

    private static async Task<IResult> Patch(HttpContext ctx, FaultEngine faults, string id)
    {
        var type = ctx.Request.ContentType;
        if (type is not null && !RequestBodies.IsJson(type) && !type.StartsWith("application/merge-patch+json", StringComparison.OrdinalIgnoreCase))
            throw new ApiException(415, $"content type '{type}' is not supported; send application/merge-patch+json or application/json");
        var patch = RequestBodies.ParseJson(await RequestBodies.ReadBytesAsync(ctx, 256 * 1024));
        return Results.Json((await faults.PatchAsync(id, patch, ctx.RequestAborted)).ToJson());
    }
}
