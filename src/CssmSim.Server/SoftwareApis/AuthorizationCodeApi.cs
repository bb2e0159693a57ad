using System.Net;
using System.Text;
using CssmSim.Engine.Access;
using CssmSim.Engine.Storage;
using CssmSim.Server.CssmApi;
using CssmSim.Server.Journal;
using CssmSim.Server.Pipeline;
using Microsoft.AspNetCore.WebUtilities;

namespace CssmSim.Server.SoftwareApis;

/// <summary>
/// The OAuth authorization-code grant of cloudsso.cisco.com (software-apis.md §OAuth
/// authorization-code grant and userinfo): a minimal login page for a seeded user that redirects
/// to the client with a single-use code, and <c>/idp/userinfo.openid</c> for the signed-in user.
/// The code is exchanged at the token endpoints (<see cref="OAuthApi"/>).
/// </summary>
public static class AuthorizationCodeApi
{
    private const string AuthorizePath = "/as/authorization.oauth2";
    private const long FormLimit = 16 * 1024;

    public static IEndpointRouteBuilder MapAuthorizationCodeApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("").WithTags("OAuth").WithGroupName(ApiDocs.DocumentNames.OAuth);
        api.MapGet(AuthorizePath, LoginPage).WithName("OAuthAuthorize").WithSummary("The sign-in page of the authorization-code grant.");
        api.MapPost(AuthorizePath, SignIn).WithName("OAuthAuthorizeSignIn").WithSummary("Signs a seeded user in and redirects with a code.");
        var userInfo = app.MapGroup("").WithTags("OAuth").WithGroupName(ApiDocs.DocumentNames.OAuth).RequireBearer();
        userInfo.MapMethods("/idp/userinfo.openid", ["GET", "POST"], UserInfo).WithName("OAuthUserInfo").WithSummary("The signed-in user's sub and email.");
        return app;
    }

    private sealed record AuthorizeRequest(string ClientId, string RedirectUri, string? Scope, string? State);

    /// <summary>
    /// RFC 6749 §4.1.1: <c>response_type=code</c>, a known client and an absolute http(s)
    /// <c>redirect_uri</c>. A bad client or redirect is never redirected to (§4.1.2.1): 400 here.
    /// </summary>
    private static async Task<AuthorizeRequest> ReadRequestAsync(HttpContext ctx, IReadOnlyDictionary<string, string> fields, ISimulatorStore store)
    {
        string? Field(string name) => fields.TryGetValue(name, out var v) && v.Length > 0 ? v : null;
        if (Field("response_type") != "code")
            throw new ApiException(400, "response_type must be code", "unsupported_response_type");
        var clientId = Field("client_id") ?? throw new ApiException(400, "client_id is required");
        var redirect = Field("redirect_uri") ?? throw new ApiException(400, "redirect_uri is required");
        if (!Uri.TryCreate(redirect, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Fragment.Length > 0)
            throw new ApiException(400, "redirect_uri must be an absolute http or https URL without a fragment");
        if (await store.Accounts.FindApiClientAsync(clientId, ctx.RequestAborted) is null)
            throw new ApiException(400, $"unknown client_id '{clientId}'", "invalid_client");
        // An empty state (Dash sends one) is still echoed: the client asked for it.
        return new AuthorizeRequest(clientId, redirect, Field("scope"), fields.TryGetValue("state", out var state) ? state : null);
    }

    private static async Task<IResult> LoginPage(HttpContext ctx, ISimulatorStore store)
    {
        var fields = ctx.Request.Query.ToDictionary(kv => kv.Key, kv => kv.Value.ToString(), StringComparer.Ordinal);
        var request = await ReadRequestAsync(ctx, fields, store);
        ctx.Journal().SetOutcome("SUCCESS");
        return Page(request, null, 200);
    }

    private static async Task<IResult> SignIn(HttpContext ctx, ISimulatorStore store, AccessTokenService tokens)
    {
        var body = await RequestBodies.ReadBytesAsync(ctx, FormLimit);
        if (!RequestBodies.IsForm(ctx.Request.ContentType))
            throw new ApiException(415, $"content type '{ctx.Request.ContentType ?? "none"}' is not supported; send application/x-www-form-urlencoded");
        var fields = QueryHelpers.ParseQuery(RequestBodies.DecodeUtf8(body)).ToDictionary(kv => kv.Key, kv => kv.Value.ToString(), StringComparer.Ordinal);
        var request = await ReadRequestAsync(ctx, fields, store);
        var (outcome, code) = await tokens.AuthorizeAsync(request.ClientId, request.RedirectUri,
            fields.GetValueOrDefault("username", ""), fields.GetValueOrDefault("password", ""), ctx.RequestAborted);
        if (outcome != AuthorizeOutcome.Issued)
        {
            ctx.Journal().SetOutcome("ERROR", "access_denied");
            return Page(request, "Wrong username or password.", 401);
        }
        ctx.Journal().SetOutcome("SUCCESS");
        var location = new StringBuilder(request.RedirectUri)
            .Append(request.RedirectUri.Contains('?') ? '&' : '?').Append("code=").Append(Uri.EscapeDataString(code!));
        if (request.State is not null) location.Append("&state=").Append(Uri.EscapeDataString(request.State));
        // The one place a redirect is right (RFC 6749 §4.1.2).
        return Results.Redirect(location.ToString());
    }

    private static IResult Page(AuthorizeRequest r, string? error, int status)
    {
        static string H(string? s) => WebUtility.HtmlEncode(s ?? "");
        string Hidden(string name, string? value) => value is null ? "" : $"<input type=\"hidden\" name=\"{name}\" value=\"{H(value)}\">";
        var html = $"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>CssmSim sign-in</title></head>
            <body>
            <h1>Sign in to CssmSim</h1>
            <p>Client <b>{H(r.ClientId)}</b> asks to act for you{(r.Scope is null ? "" : $" (scope {H(r.Scope)})")}.</p>
            {(error is null ? "" : $"<p role=\"alert\">{H(error)}</p>")}
            <form method="post" action="{AuthorizePath}">
            {Hidden("response_type", "code")}{Hidden("client_id", r.ClientId)}{Hidden("redirect_uri", r.RedirectUri)}{Hidden("scope", r.Scope)}{Hidden("state", r.State)}
            <label>Username <input name="username" autocomplete="username" required></label>
            <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
            <button type="submit">Sign in</button>
            </form>
            </body></html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    private static async Task<IResult> UserInfo(HttpContext ctx, ISimulatorStore store)
    {
        var caller = ctx.Caller();
        if (caller.Username is null)
            throw new ApiException(403, "the access token names no user: get it with the authorization-code or password grant", "insufficient_scope");
        var user = await store.Accounts.FindUserAsync(caller.Username, ctx.RequestAborted)
            ?? throw new ApiException(401, "the access token's user no longer exists", "invalid_token");
        ctx.Journal().SetOutcome("SUCCESS");
        return Results.Json(new { sub = user.Username, email = user.Email }, ApiJson.Options, "application/json");
    }
}
