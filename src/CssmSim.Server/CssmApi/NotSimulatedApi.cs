using CssmSim.Server.Journal;
using CssmSim.Server.Pipeline;

namespace CssmSim.Server.CssmApi;

/// <summary>
/// Well-known CSSM paths outside this release (cssm-api.md §Not simulated): 501 in the nearest
/// family's shape, before any bearer check, journaled as <c>notSimulated</c>, so a client learns
/// at once that the simulator, not its own code, is the limit.
/// </summary>
internal static class NotSimulatedApi
{
    public const string Message = "not simulated by CssmSim";
    private static readonly string[] AnyMethod = ["GET", "POST", "PUT", "PATCH", "DELETE"];

    public static IEndpointRouteBuilder MapNotSimulatedApi(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("").WithTags("Not simulated").ExcludeFromDescription().WithMetadata(new SimOperation("notSimulated"));
        g.MapPost(ApiPaths.Prefix + "/v1/accounts/{domain}/dlc_convert", V1).WithName("NotSimulatedDlcConvert");
        g.MapPost(ApiPaths.Prefix + "/v1/subscription/search", V1).WithName("NotSimulatedSubscriptionSearch");
        g.MapPost("/v1/software/apis/licensing/v1/account/{domain}/convert-bulk-dlc", V1).WithName("NotSimulatedConvertBulkDlc");
        // Every Software APIs operation that software-apis.md does not specify (the specified ones have their own routes),
        // whatever its method. Without a method list: with one, ASP.NET Core's matcher copied the catch-all's
        // method branches under every Software APIs path, two thirds of its graph, built on a fixture's first request.
        g.Map("/v1/software/apis/{**rest}", V1).WithName("NotSimulatedSoftwareApis");
        g.MapMethods("/its/service/{service}/services/{name}", AnyMethod, Device).WithName("NotSimulatedCallHome");
        g.MapMethods("/cslu/v1/pi", AnyMethod, Device).WithName("NotSimulatedCsluPush");
        g.MapMethods("/cslu/v1/pi/{tenant}", AnyMethod, Device).WithName("NotSimulatedCsluTenantPush");
        return app;
    }

    public static IResult V1(HttpContext ctx) => Answer(ctx, new { status = "ERROR", statusMessage = Message });

    public static IResult Device(HttpContext ctx) =>
        Answer(ctx, new { header = (object?)null, status = "FAILED", error = new { code = "NOT_SIMULATED", message = Message } });

    private static IResult Answer(HttpContext ctx, object body)
    {
        ctx.Journal().SetOutcome("ERROR", "NOT_SIMULATED");
        return Results.Json(body, ApiJson.Options, "application/json", 501);
    }
}
