using CssmSim.Engine.Access;
using CssmSim.Engine.Accounts;
using CssmSim.Server.Journal;
using CssmSim.Server.Pipeline;

namespace CssmSim.Server.CssmApi;

/// <summary>
/// The bearer check on every CSSM API route: missing, unknown or expired tokens get 401
/// <c>{"error":"invalid_token"}</c> whatever the route's family (cssm-api.md §OAuth2).
/// </summary>
internal static class BearerAuthentication
{
    private const string CallerKey = "cssmsim.caller";

    public static RouteGroupBuilder RequireBearer(this RouteGroupBuilder group) => group.AddEndpointFilter(async (ictx, next) =>
    {
        var ctx = ictx.HttpContext;
        var header = ctx.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
            return Reject(ctx, "missing bearer token: send Authorization: Bearer <access_token> from /as/token.oauth2");
        var tokens = ctx.RequestServices.GetRequiredService<AccessTokenService>();
        var (caller, rejection) = await tokens.AuthenticateAsync(header[7..].Trim(), ctx.RequestAborted);
        if (caller is null)
        {
            return Reject(ctx, rejection switch
            {
                TokenRejection.Expired => "the access token has expired",
                TokenRejection.UnknownPrincipal => "the access token's client or user no longer exists",
                TokenRejection.Revoked => "the access token was revoked: its client's secret (or user's password) changed",
                _ => "the access token is not one this simulator issued",
            });
        }
        ctx.Items[CallerKey] = caller;
        return await next(ictx);
    });

    public static Caller Caller(this HttpContext ctx) =>
        ctx.Items[CallerKey] as Caller ?? throw new InvalidOperationException("route is missing RequireBearer()");

    /// <summary>Throws the family's 403 when the caller may not see <paramref name="account"/>.</summary>
    public static void RequireVisible(this HttpContext ctx, SmartAccount account) => AccountAccess.Require(ctx.Caller(), account);

    /// <summary>Throws the family's 403 unless the caller may act on the account each existing product instance named is in now.</summary>
    public static Task RequireDevicesAsync(this HttpContext ctx, IEnumerable<Engine.ProductInstances.Udi> udis) =>
        ctx.RequestServices.GetRequiredService<AccountAccess>().RequireDevicesAsync(ctx.Caller(), udis, ctx.RequestAborted);

    private static IResult Reject(HttpContext ctx, string description)
    {
        ctx.Journal().SetOutcome("ERROR", "invalid_token");
        ctx.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
        return Results.Json(new { error = "invalid_token", error_description = description }, ApiJson.Options, "application/json", 401);
    }
}
