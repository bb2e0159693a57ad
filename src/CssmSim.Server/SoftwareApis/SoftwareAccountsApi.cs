using System.Globalization;
using System.Text.Json.Nodes;
using CssmSim.Engine.Accounts;
using CssmSim.Engine.Storage;
using CssmSim.Server.CssmApi;
using CssmSim.Server.Journal;
using CssmSim.Server.Pipeline;

namespace CssmSim.Server.SoftwareApis;

/// <summary>
/// Account discovery of the Software APIs (software-apis.md §Accounts): the user's Smart Accounts,
/// and the pnp lists of Smart and Virtual Accounts with their paging. Same accounts, ids and roles
/// as the CSSM account APIs; only the shapes differ (ids are numbers here, strings there).
/// </summary>
public static class SoftwareAccountsApi
{
    public static IEndpointRouteBuilder MapSoftwareAccountsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(SoftwareApiPaths.Prefix).WithTags("Software APIs").WithGroupName(ApiDocs.DocumentNames.SoftwareApis).RequireBearer();
        api.MapGet("/accounts/v1/user/search-smart-accounts", SearchSmartAccounts).WithName("SoftwareSearchSmartAccounts")
            .WithSummary("A user's Smart Accounts and roles.").WithMetadata(new SimOperation("accounts.list")).WithErrorSchema(ErrorSchema.ResponseV1);
        api.MapGet("/pnp/v2/accounts", PnpAccounts).WithName("SoftwarePnpAccounts")
            .WithSummary("Smart Accounts the client may see, paged.").WithMetadata(new SimOperation("accounts.search")).WithErrorSchema(ErrorSchema.Pnp);
        api.MapGet("/pnp/v2/accounts/{domain}/virtual-accounts", PnpVirtualAccounts).WithName("SoftwarePnpVirtualAccounts")
            .WithSummary("Virtual Accounts of a Smart Account, paged.").WithMetadata(new SimOperation("virtualAccounts.list")).WithErrorSchema(ErrorSchema.Pnp);
        return app;
    }

    private static bool IsTrue(HttpContext ctx, string name) => ctx.Request.Query[name].ToString().Trim().Equals("true", StringComparison.OrdinalIgnoreCase);

    private static async Task<IResult> SearchSmartAccounts(HttpContext ctx, ISimulatorStore store)
    {
        var q = ctx.Request.Query;
        var userId = q["userId"].ToString().Trim();
        if (userId.Length == 0) throw new ApiException(400, "User id is either blank or not provided", SoftwareApiErrors.BlankUserId);
        var accountType = q["accountType"].ToString().Trim();
        if (accountType.Length > 0 && accountType is not ("CUSTOMER" or "HOLDING"))
            throw new ApiException(422, "accountType must be CUSTOMER or HOLDING");
        var domain = q["smartAccountDomain"].ToString().Trim();
        var displayNames = IsTrue(ctx, "addRoleDipslayName");

        // The user's accounts, as far as the calling client may see them; an unknown user has none.
        var user = await store.Accounts.FindUserAsync(userId, ctx.RequestAborted);
        var accounts = user is null ? [] : (await AccountsApi.VisibleAccountsAsync(ctx, store))
            .Where(a => user.Scope.Allows(a.Domain))
            .Where(a => domain.Length == 0 || a.Domain.Equals(domain, StringComparison.OrdinalIgnoreCase))
            // Every simulated account is a customer account.
            .Where(_ => accountType is "" or "CUSTOMER")
            .ToList();
        // CssmSim's roles are Smart Account level only (as v2/accounts reports them), so addVirtualAccounts adds none.
        var role = displayNames ? AccountsApi.AdministratorRole : "AccountAdmin";
        var body = new JsonObject
        {
            ["status"] = "SUCCESS",
            ["accounts"] = new JsonArray(accounts.Select(a => (JsonNode)new JsonObject
            {
                ["accountId"] = long.Parse(a.Id, CultureInfo.InvariantCulture),
                ["accountName"] = a.Name,
                ["accountDomain"] = a.Domain,
                ["accountType"] = "CUSTOMER",
                ["roles"] = new JsonArray(new JsonObject { ["role"] = role, ["virtualAccountName"] = null }),
            }).ToArray()),
        };
        return SoftwareApiPaths.Json(ctx, body);
    }

    /// <summary><c>startIdx</c> (0-based) and <c>rowsPerPage</c> (absent = every row).</summary>
    private static (int Start, int? Rows) Paging(HttpContext ctx)
    {
        var start = SoftwareApiPaths.QueryInt(ctx, "startIdx", 0) ?? 0;
        var rows = SoftwareApiPaths.QueryInt(ctx, "rowsPerPage", 1);
        return (start, rows);
    }

    /// <summary>The pnp envelope: <c>totalRows</c> counts every match, <c>pageSize</c> the rows returned.</summary>
    private static JsonObject Page(IReadOnlyList<JsonObject> all, int start, int? rows)
    {
        var page = all.Skip(start).Take(rows ?? int.MaxValue).ToList();
        return new JsonObject
        {
            ["status"] = "COMPLETE",
            ["message"] = "SUCCESS",
            ["messageCode"] = "DMS-SUCCESS",
            ["totalRows"] = all.Count,
            ["pageSize"] = page.Count,
            ["startIdx"] = start,
            ["data"] = new JsonArray(page.Select(p => (JsonNode)p).ToArray()),
        };
    }

    /// <summary>CssmSim has no SD-WAN overlays: a networkId or organizationName filter matches nothing.</summary>
    private static bool FiltersOverlay(HttpContext ctx) =>
        ctx.Request.Query["networkId"].ToString().Trim().Length > 0 || ctx.Request.Query["organizationName"].ToString().Trim().Length > 0;

    private static async Task<IResult> PnpAccounts(HttpContext ctx, ISimulatorStore store)
    {
        var (start, rows) = Paging(ctx);
        var domain = ctx.Request.Query["accountDomain"].ToString().Trim();
        var accounts = FiltersOverlay(ctx) ? [] : (await AccountsApi.VisibleAccountsAsync(ctx, store))
            .Where(a => domain.Length == 0 || a.Domain.Equals(domain, StringComparison.OrdinalIgnoreCase))
            .Select(a => new JsonObject { ["companyName"] = a.Name, ["domainIdentifier"] = a.Domain, ["accountIdentifier"] = a.Id })
            .ToList();
        return SoftwareApiPaths.Json(ctx, Page(accounts, start, rows), "COMPLETE");
    }

    private static async Task<IResult> PnpVirtualAccounts(HttpContext ctx, ISimulatorStore store, string domain)
    {
        var (start, rows) = Paging(ctx);
        var account = await VisibleAccountAsync(ctx, store, domain);
        var vas = FiltersOverlay(ctx) ? [] : (await store.Accounts.ListVirtualAccountsAsync(account.Id, ctx.RequestAborted))
            .Select(v => new JsonObject
            {
                ["virtualAccountName"] = v.Name,
                ["virtualAccountId"] = long.Parse(v.Id, CultureInfo.InvariantCulture),
                ["networkId"] = null,
                ["organizationname"] = null,
                // A string, as D documents it.
                ["default"] = v.IsDefault ? "true" : "false",
            })
            .ToList();
        return SoftwareApiPaths.Json(ctx, Page(vas, start, rows), "COMPLETE");
    }

    /// <summary>
    /// The pnp APIs answer an unknown account and one the client may not see alike: 422 "User or
    /// Account is not authorized." (D's 422 example), so they do not reveal which accounts exist.
    /// </summary>
    private static async Task<SmartAccount> VisibleAccountAsync(HttpContext ctx, ISimulatorStore store, string domain)
    {
        ctx.Journal().SmartAccount = domain;
        var account = await store.Accounts.FindSmartAccountAsync(domain, ctx.RequestAborted);
        if (account is null || !ctx.Caller().Scope.Allows(account.Domain))
            throw new ApiException(422, "User or Account is not authorized.", SoftwareApiErrors.NotAuthorized);
        ctx.Journal().SmartAccount = account.Domain;
        return account;
    }
}
