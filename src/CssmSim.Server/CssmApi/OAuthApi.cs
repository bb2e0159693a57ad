using System.Text;
using System.Text.Json.Serialization;
using CssmSim.Engine.Access;
using CssmSim.Server.Journal;
using CssmSim.Server.Pipeline;
using Microsoft.AspNetCore.WebUtilities;

namespace CssmSim.Server.CssmApi;

/// <summary>
/// The OAuth2 token endpoints of cloudsso.cisco.com and id.cisco.com (cssm-api.md §OAuth2).
/// Credentials may come as form fields, as query parameters on an empty POST, or as HTTP Basic.
/// </summary>
internal static class OAuthApi
{
    private const long FormLimit = 64 * 1024;

    public static IEndpointRouteBuilder MapOAuthApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("").WithTags("OAuth").WithGroupName(ApiDocs.DocumentNames.OAuth);
        api.MapPost("/as/token.oauth2", IssueToken).WithName("OAuthTokenCloudSso").WithMetadata(new SimOperation("token"));
        api.MapPost("/oauth2/default/v1/token", IssueToken).WithName("OAuthTokenIdCisco").WithMetadata(new SimOperation("token"));
        return app;
    }

    public sealed record TokenResponse(
        [property: JsonPropertyName("access_token")] string AccessToken,
        [property: JsonPropertyName("token_type")] string TokenType,
        [property: JsonPropertyName("expires_in")] int ExpiresIn);

    private static async Task<IResult> IssueToken(HttpContext ctx, AccessTokenService tokens)
    {
        var fields = await ReadFieldsAsync(ctx);
        string? Field(string name) => fields.TryGetValue(name, out var v) && !string.IsNullOrEmpty(v) ? v : null;

        var grant = Field("grant_type") ?? throw new ApiException(400, "grant_type is required");
        if (grant is not ("client_credentials" or "password" or "authorization_code"))
            throw new ApiException(400, $"grant_type '{grant}' is not supported; use client_credentials, password or authorization_code", "unsupported_grant_type");

        var (basicId, basicSecret) = ReadBasic(ctx);
        var clientId = basicId ?? Field("client_id") ?? throw new ApiException(400, "client_id is required");
        var clientSecret = basicSecret ?? Field("client_secret") ?? throw new ApiException(400, "client_secret is required");

        TokenGrant result;
        if (grant == "authorization_code")
        {
            var code = Field("code") ?? throw new ApiException(400, "code is required for the authorization_code grant");
            result = await tokens.GrantAuthorizationCodeAsync(clientId, clientSecret, code, Field("redirect_uri"), ctx.RequestAborted);
            if (result.Outcome == GrantOutcome.InvalidGrant)
                throw new ApiException(400, "the authorization code is unknown, expired, already used, or was issued to another client or redirect_uri", "invalid_grant");
        }
        else if (grant == "password")
        {
            var username = Field("username") ?? throw new ApiException(400, "username is required for the password grant");
            var password = Field("password") ?? throw new ApiException(400, "password is required for the password grant");
            result = await tokens.GrantPasswordAsync(clientId, clientSecret, username, password, ctx.RequestAborted);
        }
        else
        {
            result = await tokens.GrantClientCredentialsAsync(clientId, clientSecret, ctx.RequestAborted);
        }

        switch (result.Outcome)
        {
            case GrantOutcome.InvalidClient:
                throw new ApiException(401, "client authentication failed: unknown client_id or wrong client_secret", "invalid_client");
            case GrantOutcome.InvalidGrant:
                throw new ApiException(400, "the username or password is wrong", "invalid_grant");
        }
        ctx.Response.Headers.CacheControl = "no-store";
        ctx.Response.Headers.Pragma = "no-cache";
        return ApiJson.Ok(ctx, new TokenResponse(result.AccessToken!, "Bearer", result.ExpiresIn));
    }

    /// <summary>Query parameters, overridden by form fields when the body is a form.</summary>
    private static async Task<Dictionary<string, string>> ReadFieldsAsync(HttpContext ctx)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in ctx.Request.Query) fields[k] = v.ToString();
        var body = await RequestBodies.ReadBytesAsync(ctx, FormLimit);
        if (body.Length == 0) return fields;
        if (!RequestBodies.IsForm(ctx.Request.ContentType))
            throw new ApiException(415, $"content type '{ctx.Request.ContentType ?? "none"}' is not supported; send application/x-www-form-urlencoded");
        foreach (var (k, v) in QueryHelpers.ParseQuery(RequestBodies.DecodeUtf8(body))) fields[k] = v.ToString();
        return fields;
    }

    private static (string? Id, string? Secret) ReadBasic(HttpContext ctx)
    {
        var header = ctx.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return (null, null);
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            var colon = decoded.IndexOf(':');
            if (colon > 0) return (Uri.UnescapeDataString(decoded[..colon]), Uri.UnescapeDataString(decoded[(colon + 1)..]));
        }
        catch (FormatException)
        {
        }
        throw new ApiException(401, "the Basic authorization header is malformed", "invalid_client");
    }
}
