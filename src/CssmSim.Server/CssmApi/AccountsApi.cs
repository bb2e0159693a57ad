using System.Globalization;
using System.Text.Json.Serialization;
using CssmSim.Engine.Accounts;
using CssmSim.Engine.Storage;
using CssmSim.Server.Journal;
using CssmSim.Server.Pipeline;

namespace CssmSim.Server.CssmApi;

/// <summary>
/// Account discovery (cssm-api.md §Accounts): the v2 search clients use to find account and
/// virtual-account ids, the v2 account list with roles, and the v1 search and virtual accounts.
/// </summary>
internal static class AccountsApi
{
    /// <summary>The role every seeded client holds on the accounts it may see, as CSSM displays it.</summary>
    public const string AdministratorRole = "Smart Account Administrator";

    public static IEndpointRouteBuilder MapAccountsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(ApiPaths.Prefix).WithTags("Accounts").WithGroupName(ApiDocs.DocumentNames.CssmApi).RequireBearer();
        api.MapGet("/v2/accounts/search", SearchV2).WithName("AccountsSearchV2").WithMetadata(new SimOperation("accounts.search"));
        api.MapGet("/v2/accounts", ListV2).WithName("AccountsListV2").WithMetadata(new SimOperation("accounts.list"));
        api.MapGet("/v1/accounts/search", SearchV1).WithName("AccountsSearchV1").WithMetadata(new SimOperation("accounts.search"));
        api.MapGet("/v1/accounts/{domain}/customer/virtual-accounts", VirtualAccountsV1).WithName("VirtualAccountsV1").WithMetadata(new SimOperation("virtualAccounts.list"));
        return app;
    }

    public sealed record SearchV2Response(
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("message_code")] string MessageCode,
        [property: JsonPropertyName("message")] string Message,
        [property: JsonPropertyName("accounts")] IReadOnlyList<SearchV2Account> Accounts);

    public sealed record SearchV2Account(
        [property: JsonPropertyName("account_id")] string AccountId,
        [property: JsonPropertyName("domain")] string Domain,
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("virtual_accounts")] IReadOnlyList<SearchV2VirtualAccount> VirtualAccounts);

    public sealed record SearchV2VirtualAccount(
        [property: JsonPropertyName("default")] bool Default,
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("virtual_account_id")] string VirtualAccountId);

    public sealed record ListV2Response(
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("statusMessage")] string StatusMessage,
        [property: JsonPropertyName("accounts")] IReadOnlyList<ListV2Account> Accounts);

    public sealed record ListV2Account(
        [property: JsonPropertyName("accountStatus")] string AccountStatus,
        [property: JsonPropertyName("accountDomain")] string AccountDomain,
        [property: JsonPropertyName("accountName")] string AccountName,
        [property: JsonPropertyName("accountType")] string AccountType,
        [property: JsonPropertyName("roles")] IReadOnlyList<Role> Roles);

    public sealed record Role([property: JsonPropertyName("role")] string Name);

    public sealed record SearchV1Response(
        [property: JsonPropertyName("totalRecords")] int TotalRecords,
        [property: JsonPropertyName("accounts")] IReadOnlyList<SearchV1Account> Accounts,
        [property: JsonPropertyName("statusMessage")] string StatusMessage,
        [property: JsonPropertyName("status")] string Status);

    public sealed record SearchV1Account(
        [property: JsonPropertyName("domain")] string Domain,
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("id")] long Id,
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("status")] string Status);

    public sealed record VirtualAccountsV1Response(
        [property: JsonPropertyName("virtualAccounts")] IReadOnlyList<VirtualAccountV1> VirtualAccounts,
        [property: JsonPropertyName("statusMessage")] string StatusMessage,
        [property: JsonPropertyName("status")] string Status);

    public sealed record VirtualAccountV1(
        // A string, not a boolean: clients compare it with "true".
        [property: JsonPropertyName("isDefault")] string IsDefault,
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("description")] string Description,
        [property: JsonPropertyName("commerceAccessLevel")] string CommerceAccessLevel);

    public static async Task<IReadOnlyList<SmartAccount>> VisibleAccountsAsync(HttpContext ctx, ISimulatorStore store)
    {
        var scope = ctx.Caller().Scope;
        return (await store.Accounts.ListSmartAccountsAsync(ctx.RequestAborted)).Where(a => scope.Allows(a.Domain)).ToList();
    }

    private static async Task<IResult> SearchV2(HttpContext ctx, ISimulatorStore store)
    {
        var accounts = await VisibleAccountsAsync(ctx, store);
        var vas = (await store.Accounts.ListVirtualAccountsAsync(null, ctx.RequestAborted)).ToLookup(v => v.SmartAccountId);
        var body = new SearchV2Response("COMPLETE", "", "", accounts.Select(a => new SearchV2Account(a.Id, a.Domain, a.Name,
            vas[a.Id].Select(v => new SearchV2VirtualAccount(v.IsDefault, v.Name, v.Id)).ToList())).ToList());
        return ApiJson.Ok(ctx, body, "COMPLETE");
    }

    private static async Task<IResult> ListV2(HttpContext ctx, ISimulatorStore store)
    {
        var accounts = await VisibleAccountsAsync(ctx, store);
        // Seeded clients administer the accounts they may see; CSSM's role names are display strings.
        var body = new ListV2Response("SUCCESS", "", accounts.Select(a => new ListV2Account("Active", a.Domain, a.Name, "CUSTOMER",
            [new Role(AdministratorRole)])).ToList());
        return ApiJson.Ok(ctx, body);
    }

    private static async Task<IResult> SearchV1(HttpContext ctx, ISimulatorStore store)
    {
        var q = ctx.Request.Query;
        var limit = PageNumber(q["limit"], "limit", 1000, 1, 1000);
        var offset = PageNumber(q["offset"], "offset", 0, 0, int.MaxValue);
        var domain = q["domain"].ToString().Trim();
        var type = q["type"].ToString().Trim();
        var matching = (await VisibleAccountsAsync(ctx, store))
            .Where(a => domain.Length == 0 || a.Domain.Contains(domain, StringComparison.OrdinalIgnoreCase))
            // Every simulated account is a customer account.
            .Where(a => type.Length == 0 || type.Equals("CUSTOMER", StringComparison.OrdinalIgnoreCase))
            .ToList();
        var page = matching.Skip(offset).Take(limit)
            .Select(a => new SearchV1Account(a.Domain, a.Name, long.Parse(a.Id, CultureInfo.InvariantCulture), "CUSTOMER", "Active")).ToList();
        return ApiJson.Ok(ctx, new SearchV1Response(matching.Count, page, "", "SUCCESS"));
    }

    private static async Task<IResult> VirtualAccountsV1(HttpContext ctx, ISimulatorStore store, string domain)
    {
        var account = await FindAccountAsync(ctx, store, domain);
        var vas = await store.Accounts.ListVirtualAccountsAsync(account.Id, ctx.RequestAborted);
        var body = new VirtualAccountsV1Response(
            vas.Select(v => new VirtualAccountV1(v.IsDefault ? "true" : "false", v.Name, v.Description, "FULL")).ToList(), "", "SUCCESS");
        return ApiJson.Ok(ctx, body);
    }

    /// <summary>The Smart Account named in a path: 404 when unknown, 403 when the caller may not see it.</summary>
    public static async Task<SmartAccount> FindAccountAsync(HttpContext ctx, ISimulatorStore store, string domain)
    {
        ctx.Journal().SmartAccount = domain;
        var account = await store.Accounts.FindSmartAccountAsync(domain, ctx.RequestAborted)
            ?? throw new ApiException(404, $"Smart Account '{domain}' not found");
        ctx.RequireVisible(account);
        ctx.Journal().SmartAccount = account.Domain;
        return account;
    }

    private static int PageNumber(Microsoft.Extensions.Primitives.StringValues raw, string name, int fallback, int min, int max)
    {
        var s = raw.ToString().Trim();
        if (s.Length == 0) return fallback;
        if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < min)
            throw new ApiException(400, $"{name} must be a whole number of at least {min}");
        return Math.Min(n, max);
    }
}
