using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using CssmSim.Engine.Accounts;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Tokens;
using CssmSim.Engine.Validation;
using CssmSim.Server.Journal;
using CssmSim.Server.Pipeline;

namespace CssmSim.Server.CssmApi;

/// <summary>Product instance registration tokens, v1 (cssm-api.md §Registration tokens).</summary>
internal static class TokensApi
{
    public static IEndpointRouteBuilder MapTokensApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(ApiPaths.Prefix + "/v1/accounts/{domain}/virtual-accounts/{va}/tokens").WithTags("Tokens").WithGroupName(ApiDocs.DocumentNames.CssmApi).RequireBearer();
        api.MapGet("", List).WithName("TokensList").WithMetadata(new SimOperation("tokens.list"));
        api.MapPost("", Create).WithName("TokensCreate").WithMetadata(new SimOperation("tokens.create"));
        api.MapDelete("/{token}", Revoke).WithName("TokensRevoke").WithMetadata(new SimOperation("tokens.revoke"));
        return app;
    }

    public sealed record TokenV1(
        [property: JsonPropertyName("token")] string Token,
        [property: JsonPropertyName("tokenId")] string TokenId,
        [property: JsonPropertyName("expirationDate")] string ExpirationDate,
        [property: JsonPropertyName("description")] string Description,
        [property: JsonPropertyName("createdBy")] string CreatedBy,
        [property: JsonPropertyName("creationDate")] string CreationDate,
        [property: JsonPropertyName("exportControlled")] string ExportControlled,
        [property: JsonPropertyName("maxUsesAllowed")] int? MaxUsesAllowed,
        [property: JsonPropertyName("usesCount")] int UsesCount,
        [property: JsonPropertyName("status")] string Status);

    public sealed record TokenListV1(
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("statusMessage")] string StatusMessage,
        [property: JsonPropertyName("tokens")] IReadOnlyList<TokenV1> Tokens);

    public sealed record TokenInfoV1(
        [property: JsonPropertyName("token")] string Token,
        [property: JsonPropertyName("tokenId")] string TokenId,
        [property: JsonPropertyName("description")] string Description,
        [property: JsonPropertyName("expiresAfterDays")] int ExpiresAfterDays,
        [property: JsonPropertyName("expirationDate")] string ExpirationDate,
        [property: JsonPropertyName("exportControlled")] string ExportControlled,
        [property: JsonPropertyName("maxUsesAllowed")] int? MaxUsesAllowed);

    public sealed record TokenCreatedV1(
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("statusMessage")] string StatusMessage,
        [property: JsonPropertyName("tokenInfo")] TokenInfoV1 TokenInfo);

    public static string Date(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static TokenV1 ToV1(TokenView v) => new(v.Token.Token, v.Token.Id, Date(v.Token.ExpiresAt), v.Token.Description, v.Token.CreatedBy,
        Date(v.Token.CreatedAt), v.Token.ExportControlled ? "Allowed" : "Not Allowed", v.Token.MaxUses, v.Token.Uses,
        v.Status switch { TokenStatus.Revoked => "REVOKED", TokenStatus.Expired => "EXPIRED", _ => "VALID" });

    public static TokenInfoV1 ToInfo(TokenView v) => new(v.Token.Token, v.Token.Id, v.Token.Description, v.Token.ExpiresAfterDays,
        Date(v.Token.ExpiresAt), v.Token.ExportControlled ? "Allowed" : "Not Allowed", v.Token.MaxUses);

    /// <summary>The Smart and Virtual Account a path names: 404 when unknown, 403 when the caller may not see it.</summary>
    public static async Task<(SmartAccount, VirtualAccount)> FindVirtualAccountAsync(HttpContext ctx, ISimulatorStore store, string domain, string va)
    {
        var account = await AccountsApi.FindAccountAsync(ctx, store, domain);
        var virtualAccount = await store.Accounts.FindVirtualAccountAsync(account.Id, va, ctx.RequestAborted)
            ?? throw new ApiException(404, $"Virtual Account '{va}' not found in Smart Account {account.Domain}");
        ctx.Journal().VirtualAccount = virtualAccount.Name;
        return (account, virtualAccount);
    }

    private static async Task<IResult> List(HttpContext ctx, ISimulatorStore store, TokenService tokens, string domain, string va)
    {
        var (_, virtualAccount) = await FindVirtualAccountAsync(ctx, store, domain, va);
        var list = await tokens.ListAsync(virtualAccount, ctx.RequestAborted);
        return ApiJson.Ok(ctx, new TokenListV1("SUCCESS", "", list.Select(ToV1).ToList()));
    }

    private static async Task<IResult> Create(HttpContext ctx, ISimulatorStore store, TokenService tokens, string domain, string va)
    {
        var (account, virtualAccount) = await FindVirtualAccountAsync(ctx, store, domain, va);
        var body = await RequestBodies.ReadJsonAsync(ctx) as JsonObject ?? throw new ApiException(400, "the body must be a JSON object");
        var request = ReadV1Request(body, ctx.Caller().Username ?? ctx.Caller().ClientId);
        try
        {
            var created = await tokens.CreateAsync(account, virtualAccount, request, ctx.RequestAborted);
            ctx.Journal().TokenId = created.Token.Id;
            return ApiJson.Ok(ctx, new TokenCreatedV1("SUCCESS", "", ToInfo(created)));
        }
        catch (EngineValidationException e)
        {
            throw new ApiException(400, string.Join("; ", e.Errors.Select(kv => kv.Key + " " + string.Join(", ", kv.Value))));
        }
    }

    /// <summary>
    /// The v1 create body: <c>description</c>, <c>expiresAfterDays</c> (integer or integral float),
    /// <c>exportControlled</c> ("Allowed" | "Not Allowed", default Allowed), <c>maxUsesAllowed</c>
    /// (integer, or null/absent for unlimited). Unknown keys are ignored, as CSSM does.
    /// </summary>
    public static TokenRequest ReadV1Request(JsonObject body, string createdBy)
    {
        var description = body["description"] switch
        {
            null => "",
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            _ => throw new ApiException(400, "description must be a string"),
        };
        var days = body["expiresAfterDays"] switch
        {
            null => 30L,
            JsonValue v when NodeReaderWhole(v) is { } d => d,
            _ => throw new ApiException(400, "expiresAfterDays must be a whole number from 1 to 365"),
        };
        if (days is < 1 or > 365) throw new ApiException(400, "expiresAfterDays must be between 1 and 365");
        var export = body["exportControlled"] switch
        {
            null => true,
            JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == "Allowed" => true,
            JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == "Not Allowed" => false,
            _ => throw new ApiException(400, "exportControlled must be \"Allowed\" or \"Not Allowed\""),
        };
        int? maxUses = body["maxUsesAllowed"] switch
        {
            null => null,
            JsonValue v when NodeReaderWhole(v) is { } m && m is >= 1 and <= int.MaxValue => (int)m,
            _ => throw new ApiException(400, "maxUsesAllowed must be a whole number of at least 1, or null for unlimited"),
        };
        return new TokenRequest(description, (int)days, maxUses, export, createdBy);
    }

    private static long? NodeReaderWhole(JsonValue v) =>
        v.GetValueKind() == JsonValueKind.Number && Engine.Seeding.NodeReader.TryGetWhole(v, out var n) ? n : null;

    private static async Task<IResult> Revoke(HttpContext ctx, ISimulatorStore store, TokenService tokens, string domain, string va, string token)
    {
        var (account, virtualAccount) = await FindVirtualAccountAsync(ctx, store, domain, va);
        if (!await tokens.RevokeAsync(account, virtualAccount, token, ctx.RequestAborted))
            throw new ApiException(404, $"token not found in Virtual Account '{virtualAccount.Name}'");
        return ApiJson.Ok(ctx, new { status = "SUCCESS", statusMessage = "" });
    }
}
