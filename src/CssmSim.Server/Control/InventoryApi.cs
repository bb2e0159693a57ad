using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Engine.Accounts;
using CssmSim.Engine.Events;
using CssmSim.Engine.ProductInstances;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Tokens;
using CssmSim.Engine.Trust;
using CssmSim.Engine.Validation;
using CssmSim.Server.CssmApi;
using CssmSim.Server.Pipeline;

namespace CssmSim.Server.Control;

/// <summary>
/// <c>/_sim/accounts/{domain}/virtual-accounts/{va}/...</c>: the domain operations without OAuth
/// that the portal, the fixture and scenarios use (tokens, product instances, trust-code files),
/// and <c>/_sim/events</c>.
/// </summary>
internal static class InventoryApi
{
    public static IEndpointRouteBuilder MapInventoryApi(this IEndpointRouteBuilder app)
    {
        var va = app.MapGroup("/_sim/accounts/{domain}/virtual-accounts/{va}").WithTags("Inventory").WithGroupName(ControlApi.GroupName);
        va.MapGet("/tokens", ListTokens).WithName("SimListTokens").WithSummary("Registration tokens in the v1 spelling: valid first, newest first.");
        va.MapPost("/tokens", CreateToken).WithName("SimCreateToken")
            .WithSummary("Creates a token: the v1 body (maxUsesAllowed, exportControlled \"Allowed\"|\"Not Allowed\") or the seed spelling (maxUses, exportControlled true|false).");
        va.MapDelete("/tokens/{token}", RevokeToken).WithName("SimRevokeToken").WithSummary("Revokes a token (any pasted form, or its tokenId).");
        va.MapGet("/tokens/{token}.txt", TokenText).WithName("SimTokenText").WithSummary("The token's .txt download: the token string alone.");
        va.MapGet("/product-instances", ListProductInstances).WithName("SimListProductInstances").WithSummary("Product instances of the Virtual Account.");
        va.MapDelete("/product-instances/{udi}", RemoveProductInstance).WithName("SimRemoveProductInstance")
            .WithSummary("Removes a product instance (UDI as PID:x,SN:y) with its trust codes.");
        va.MapPost("/return-codes", ReturnCode).WithName("SimReturnCode")
            .WithSummary("{returnCode}: releases the reservation or SLAC the code decodes to (409 UNKNOWN_RETURN_CODE when it decodes to none).");
        va.MapPost("/trust-codes", TrustCodeFile).WithName("SimTrustCode")
            .WithSummary("{udi_pid, udi_serial_number, force?}: a trust code file for offline install (token_id null).");
        app.MapGet("/_sim/events", Events).WithTags("Inventory").WithGroupName(ControlApi.GroupName).WithName("SimEvents")
            .WithSummary("The event log: ?smartAccount=&virtualAccount=&type=&since=&limit=.");
        app.MapReservationsControlApi();
        return app;
    }

    /// <summary>The Smart Account and Virtual Account a control route names (404 in the control API's shape otherwise).</summary>
    internal static async Task<(SmartAccount Account, VirtualAccount Va)> FindAsync(ISimulatorStore store, string domain, string va, CancellationToken ct)
    {
        var account = await store.Accounts.FindSmartAccountAsync(domain, ct) ?? throw new EntityNotFoundException($"no Smart Account '{domain}'");
        var virtualAccount = await store.Accounts.FindVirtualAccountAsync(account.Id, va, ct)
            ?? throw new EntityNotFoundException($"no Virtual Account '{va}' in Smart Account {account.Domain}");
        return (account, virtualAccount);
    }

    private static async Task<IResult> ListTokens(HttpContext ctx, ISimulatorStore store, TokenService tokens, string domain, string va)
    {
        var (_, v) = await FindAsync(store, domain, va, ctx.RequestAborted);
        var list = await tokens.ListAsync(v, ctx.RequestAborted);
        return Results.Json(new { tokens = list.Select(TokensApi.ToV1) }, ApiJson.Options);
    }

    private static async Task<IResult> CreateToken(HttpContext ctx, ISimulatorStore store, TokenService tokens, string domain, string va)
    {
        var (account, v) = await FindAsync(store, domain, va, ctx.RequestAborted);
        var body = await RequestBodies.ReadJsonAsync(ctx, 64 * 1024) as JsonObject ?? throw new ApiException(400, "the body must be a JSON object");
        var request = ReadRequest(body);
        var created = await tokens.CreateAsync(account, v, request, ctx.RequestAborted);
        return Results.Json(TokensApi.ToV1(created), ApiJson.Options, statusCode: 201);
    }

    /// <summary>The v1 spelling, or the seed spelling (<c>maxUses</c>, boolean <c>exportControlled</c>).</summary>
    private static TokenRequest ReadRequest(JsonObject body)
    {
        var errors = new ValidationErrors();
        var r = new Engine.Seeding.NodeReader(errors);
        var seedSpelling = body.ContainsKey("maxUses") || body["exportControlled"] is JsonValue ev && ev.GetValueKind() is JsonValueKind.True or JsonValueKind.False;
        if (!seedSpelling)
        {
            try { return TokensApi.ReadV1Request(body, "cssmsim"); }
            catch (ApiException e) { throw new ApiException(400, e.Message) { Errors = new Dictionary<string, string[]> { ["$"] = [e.Message] } }; }
        }
        r.OnlyKeys(body, "", "description", "expiresAfterDays", "maxUses", "exportControlled", "token");
        var request = new TokenRequest(
            r.String(body, "description", "", maxLength: 512) ?? "",
            (int)(r.Integer(body, "expiresAfterDays", "", 1, 365) ?? 30),
            (int?)r.Integer(body, "maxUses", "", 1, int.MaxValue),
            r.Bool(body, "exportControlled", "") ?? true,
            "cssmsim",
            r.String(body, "token", "", maxLength: 4096));
        errors.ThrowIfAny("Invalid token");
        return request;
    }

    private static async Task<IResult> RevokeToken(HttpContext ctx, ISimulatorStore store, TokenService tokens, string domain, string va, string token)
    {
        var (account, v) = await FindAsync(store, domain, va, ctx.RequestAborted);
        if (!await tokens.RevokeAsync(account, v, token, ctx.RequestAborted)) throw new EntityNotFoundException($"no such token in '{v.Name}'");
        return Results.Json(new { status = "ok" });
    }

    private static async Task<IResult> TokenText(HttpContext ctx, ISimulatorStore store, TokenService tokens, string domain, string va, string token)
    {
        var (_, v) = await FindAsync(store, domain, va, ctx.RequestAborted);
        var found = await tokens.FindAsync(token, ctx.RequestAborted);
        if (found is null || found.Token.VirtualAccountId != v.Id) throw new EntityNotFoundException($"no such token in '{v.Name}'");
        ctx.Response.Headers.ContentDisposition = $"attachment; filename=\"token_{found.Token.Id}.txt\"";
        return Results.Text(found.Token.Token, "text/plain");
    }

    private static async Task<IResult> ListProductInstances(HttpContext ctx, ISimulatorStore store, string domain, string va)
    {
        var (_, v) = await FindAsync(store, domain, va, ctx.RequestAborted);
        var list = await store.Inventory.ListProductInstancesAsync([v.Id], ctx.RequestAborted);
        return Results.Json(new
        {
            productInstances = list.Select(p => new
            {
                udi = p.Udi, udi_pid = p.Pid, udi_serial_number = p.Serial, piid = p.Piid, hostname = p.Hostname, haRole = p.HaRole, haGroup = p.HaGroup,
                trustCodeId = p.TrustCodeId, trustedAt = p.TrustedAt is { } t ? Iso.Millis(t) : null, tokenId = p.TrustTokenId,
                lastContact = p.LastContact is { } lc ? Iso.Millis(lc) : null, virtualAccount = v.Name,
            }),
        }, ApiJson.Options);
    }

    private static async Task<IResult> RemoveProductInstance(HttpContext ctx, ISimulatorStore store, ProductInstanceService instances, string domain, string va, string udi)
    {
        var (account, v) = await FindAsync(store, domain, va, ctx.RequestAborted);
        var outcome = await instances.RemoveAsync(account, v, udi, ctx.RequestAborted);
        if (!outcome.Succeeded) throw new EntityNotFoundException($"no product instance '{udi}' in '{v.Name}'");
        return Results.Json(new { status = "ok" });
    }

    private static async Task<IResult> TrustCodeFile(HttpContext ctx, ISimulatorStore store, TrustService trust, string domain, string va)
    {
        var (_, v) = await FindAsync(store, domain, va, ctx.RequestAborted);
        var body = await RequestBodies.ReadJsonAsync(ctx, 16 * 1024) as JsonObject ?? throw new ApiException(400, "the body must be a JSON object");
        var errors = new ValidationErrors();
        var r = new Engine.Seeding.NodeReader(errors);
        r.OnlyKeys(body, "", "udi_pid", "udi_serial_number", "force");
        var pid = r.String(body, "udi_pid", "", required: true);
        var serial = r.String(body, "udi_serial_number", "", required: true);
        var force = r.Bool(body, "force", "") ?? true;
        if (pid is not null && serial is not null && Udi.Problem(pid, serial) is { } problem) errors.Add("udi", problem);
        errors.ThrowIfAny("Invalid trust code request");
        var outcome = await trust.IssueAsync(v, [new Udi(pid!.Trim(), serial!.Trim())], force, ctx.RequestAborted);
        if (!outcome.Succeeded) throw new ApiException(409, outcome.ErrorMessage!, outcome.ErrorCode);
        var code = outcome.Codes.Single();
        ctx.Response.Headers.ContentDisposition = PolicyApi.AttachmentDisposition($"trust_code_{code.Udi.Serial}.txt");
        return Results.Text(code.File, "application/xml");
    }

    private static async Task<IResult> ReturnCode(HttpContext ctx, ISimulatorStore store, Engine.Authorizations.AuthorizationService authorizations, string domain, string va)
    {
        var (_, v) = await FindAsync(store, domain, va, ctx.RequestAborted);
        var body = await RequestBodies.ReadJsonAsync(ctx, 16 * 1024) as JsonObject ?? throw new ApiException(400, "the body must be a JSON object");
        var code = body["returnCode"] is JsonValue c && c.GetValueKind() == JsonValueKind.String ? c.GetValue<string>() : null;
        if (string.IsNullOrWhiteSpace(code))
            throw new ApiException(400, "returnCode is required") { Errors = new Dictionary<string, string[]> { ["returnCode"] = ["is required"] } };
        var outcome = await authorizations.ReturnByCodeAsync(code, ctx.RequestAborted);
        if (!outcome.Succeeded || outcome.Returned[0].VirtualAccountId != v.Id)
            throw new ApiException(409, outcome.ErrorMessage ?? $"the authorization is not in '{v.Name}'", "UNKNOWN_RETURN_CODE");
        var returned = outcome.Returned[0];
        return Results.Json(new { status = "ok", authorizationId = returned.Id, kind = returned.Kind, udi = returned.Udi, confirmationCode = outcome.ConfirmationCode });
    }

    private static async Task<IResult> Events(HttpContext ctx, ISimulatorStore store)
    {
        var q = ctx.Request.Query;
        string? Opt(string k) => q[k].ToString() is { Length: > 0 } s ? s : null;
        var errors = new ValidationErrors();
        long? since = null;
        if (Opt("since") is { } s) { if (long.TryParse(s, out var v) && v >= 0) since = v; else errors.Add("since", "must be a whole number"); }
        var limit = 1000;
        if (Opt("limit") is { } l) { if (int.TryParse(l, out var v) && v >= 1) limit = Math.Min(v, 10_000); else errors.Add("limit", "must be a whole number of at least 1"); }
        if (Opt("type") is { } t && !EventTypes.All.Contains(t)) errors.Add("type", "must be one of: " + string.Join(", ", EventTypes.All));
        if (errors.Any) throw new ApiException(400, "invalid event query") { Errors = errors.ToDictionary() };
        string? saId = null;
        if (Opt("smartAccount") is { } domain)
            saId = (await store.Accounts.FindSmartAccountAsync(domain, ctx.RequestAborted) ?? throw new EntityNotFoundException($"no Smart Account '{domain}'")).Id;
        var list = await store.Inventory.ListEventsAsync(saId, Opt("virtualAccount"), Opt("type"), since, limit, ctx.RequestAborted);
        var domains = (await store.Accounts.ListSmartAccountsAsync(ctx.RequestAborted)).ToDictionary(a => a.Id, a => a.Domain);
        return Results.Json(new
        {
            events = list.Select(e => new
            {
                id = e.Id, time = Iso.Millis(e.Time), type = e.Type,
                smartAccount = e.SmartAccountId is { } id && domains.TryGetValue(id, out var d) ? d : null,
                virtualAccount = e.VirtualAccountName, udi = e.Udi, details = JsonNode.Parse(e.DetailsJson),
            }),
            next = list.Count == limit ? list[^1].Id : (long?)null,
        }, ApiJson.Options);
    }
}
