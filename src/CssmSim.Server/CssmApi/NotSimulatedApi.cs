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
        g.MapMethods("/v1/software/apis/{**rest}", AnyMethod, V1).WithName("NotSimulatedSoftwareApis");
        g.MapGet("/as/authorization.oauth2", OAuth).WithName("NotSimulatedAuthorize");
        g.MapPost("/idp/userinfo.openid", OAuth).WithName("NotSimulatedUserInfo");
        g.MapMethods("/its/service/{service}/services/{name}", AnyMethod, Device).WithName("NotSimulatedCallHome");
        g.MapMethods("/cslu/v1/pi", AnyMethod, Device).WithName("NotSimulatedCsluPush");
        g.MapMethods("/cslu/v1/pi/{tenant}", AnyMethod, Device).WithName("NotSimulatedCsluTenantPush");
        return app;
    }

    public static IResult V1(HttpContext ctx) => Answer(ctx, new { status = "ERROR", statusMessage = Message });

    public static IResult OAuth(HttpContext ctx)
    {
        ctx.Journal().Operation = "notSimulated";
        return Answer(ctx, new { error = "not_simulated", error_description = Message });
    }

    public static IResult Device(HttpContext ctx) =>
        Answer(ctx, new { header = (object?)null, status = "FAILED", error = new { code = "NOT_SIMULATED", message = Message } });

    private static IResult Answer(HttpContext ctx, object body)
    {
        ctx.Journal().SetOutcome("ERROR", "NOT_SIMULATED");
        return Results.Json(body, ApiJson.Options, "application/json", 501);
    }
}
