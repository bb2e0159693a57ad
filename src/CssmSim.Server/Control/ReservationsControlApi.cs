using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Engine.Accounts;
using CssmSim.Engine.Authorizations;
using CssmSim.Engine.ProductInstances;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Validation;
using CssmSim.Server.CssmApi;
using CssmSim.Server.Pipeline;

namespace CssmSim.Server.Control;

/// <summary>
/// CSSM's product instance actions the portal, the fixture and scenarios also use: a reservation's authorization
/// code (view, "Download Reservation Authorization Code", "Update Reserved Licenses", "Enter Confirmation Code")
/// and Transfer to another Virtual Account. The rules live in <see cref="AuthorizationService"/> and
/// <see cref="ProductInstanceService"/>.
/// </summary>
public static class ReservationsControlApi
{
    public static IEndpointRouteBuilder MapReservationsControlApi(this IEndpointRouteBuilder app)
    {
        var pi = app.MapGroup("/_sim/accounts/{domain}/virtual-accounts/{va}/product-instances/{udi}").WithTags("Inventory").WithGroupName(ControlApi.GroupName);
        pi.MapGet("/reservation", Get).WithName("SimGetReservation")
            .WithSummary("The product instance's SLR or PLR: {udi, kind, state, label (\"Reserved Licenses\" | \"Awaiting confirmation\"), authorizationCode, licenses}.");
        pi.MapGet("/reservation.xml", Download).WithName("SimDownloadReservation")
            .WithSummary("Download Reservation Authorization Code: the code as an attachment.");
        pi.MapPut("/reservation", Update).WithName("SimUpdateReservation")
            .WithSummary("Update Reserved Licenses: {licenses:[{tag, quantity}]} is the whole new set; a new authorization code, in transition until confirmed.");
        pi.MapPost("/reservation/confirmation", Confirm).WithName("SimConfirmReservation")
            .WithSummary("Enter Confirmation Code: {confirmationCode} the device printed after installing the code (409 CONFIRMATION_CODE_MISMATCH otherwise).");
        pi.MapPost("/transfer", Transfer).WithName("SimTransferProductInstance")
            .WithSummary("Transfer: {targetVirtualAccount} of the same Smart Account; reports and authorizations move with it.");
        return app;
    }

    private static async Task<(SmartAccount Account, VirtualAccount Va, Udi Udi)> FindAsync(ISimulatorStore store, string domain, string va, string udi, CancellationToken ct)
    {
        var (account, virtualAccount) = await InventoryApi.FindAsync(store, domain, va, ct);
        if (!Udi.TryParse(udi.Trim(), out var parsed)) throw new ApiException(400, "the UDI must be PID:x,SN:y") { Errors = new Dictionary<string, string[]> { ["udi"] = ["must be PID:x,SN:y"] } };
        var pi = await store.Inventory.FindProductInstanceAsync(parsed.ToString(), ct);
        if (pi is null || pi.VirtualAccountId != virtualAccount.Id) throw new EntityNotFoundException($"no product instance '{parsed}' in '{virtualAccount.Name}'");
        return (account, virtualAccount, parsed);
    }

    private static async Task<ReservationView> ReservationAsync(AuthorizationService authorizations, Udi udi, CancellationToken ct) =>
        await authorizations.ReservationOfAsync(udi, ct) ?? throw new EntityNotFoundException($"{udi} holds no reservation");

    private static object View(ReservationView r) => new
    {
        udi = r.Authorization.Udi,
        kind = r.Authorization.Kind,
        state = r.Authorization.State,
        label = r.Label,
        authorizationCode = r.Authorization.CodeXml,
        licenses = r.Authorization.Entitlements.Select(e => new { tag = e.Tag, quantity = e.Count }),
    };

    private static async Task<IResult> Get(HttpContext ctx, ISimulatorStore store, AuthorizationService authorizations, string domain, string va, string udi)
    {
        var (_, _, parsed) = await FindAsync(store, domain, va, udi, ctx.RequestAborted);
        return Results.Json(View(await ReservationAsync(authorizations, parsed, ctx.RequestAborted)), ApiJson.Options);
    }

    private static async Task<IResult> Download(HttpContext ctx, ISimulatorStore store, AuthorizationService authorizations, string domain, string va, string udi)
    {
        var (_, _, parsed) = await FindAsync(store, domain, va, udi, ctx.RequestAborted);
        var r = await ReservationAsync(authorizations, parsed, ctx.RequestAborted);
        ctx.Response.Headers.ContentDisposition = PolicyApi.AttachmentDisposition($"{r.Authorization.Kind.ToLowerInvariant()}_{parsed.Serial}.txt");
        return Results.Text(r.Authorization.CodeXml, "text/plain");
    }

    private static async Task<IResult> Update(HttpContext ctx, ISimulatorStore store, AuthorizationService authorizations, string domain, string va, string udi)
    {
        var (account, v, parsed) = await FindAsync(store, domain, va, udi, ctx.RequestAborted);
        var body = await RequestBodies.ReadJsonAsync(ctx, 64 * 1024) as JsonObject ?? throw new ApiException(400, "the body must be a JSON object");
        var errors = new ValidationErrors();
        var r = new Engine.Seeding.NodeReader(errors);
        r.OnlyKeys(body, "", "licenses");
        var licenses = new List<(string, long)>();
        if (body["licenses"] is not JsonArray list) errors.Add("licenses", "is required: a list of {tag, quantity}");
        else
        {
            for (var i = 0; i < list.Count; i++)
            {
                var at = $"licenses[{i}]";
                if (list[i] is not JsonObject item) { errors.Add(at, "must be an object {tag, quantity}"); continue; }
                r.OnlyKeys(item, at, "tag", "quantity");
                var tag = r.String(item, "tag", at, required: true, maxLength: 512);
                var quantity = r.Integer(item, "quantity", at, 1, int.MaxValue);
                if (quantity is null && !item.ContainsKey("quantity")) errors.Add(at + ".quantity", "is required");
                if (tag is not null && quantity is not null) licenses.Add((tag, quantity.Value));
            }
        }
        errors.ThrowIfAny("Invalid reservation update");
        var outcome = await authorizations.UpdateReservationAsync(account, v, parsed, licenses, ctx.RequestAborted);
        if (!outcome.Succeeded) throw new ApiException(409, outcome.ErrorMessage!, "RESERVATION_REFUSED");
        return Results.Json(View(new ReservationView(outcome.Authorization!)), ApiJson.Options);
    }

    private static async Task<IResult> Confirm(HttpContext ctx, ISimulatorStore store, AuthorizationService authorizations, string domain, string va, string udi)
    {
        var (_, _, parsed) = await FindAsync(store, domain, va, udi, ctx.RequestAborted);
        var body = await RequestBodies.ReadJsonAsync(ctx, 16 * 1024) as JsonObject ?? throw new ApiException(400, "the body must be a JSON object");
        var code = body["confirmationCode"] is JsonValue c && c.GetValueKind() == JsonValueKind.String ? c.GetValue<string>().Trim() : null;
        if (string.IsNullOrEmpty(code))
            throw new ApiException(400, "confirmationCode is required") { Errors = new Dictionary<string, string[]> { ["confirmationCode"] = ["is required"] } };
        var confirmed = await authorizations.ConfirmAsync(parsed, code, ctx.RequestAborted)
            ?? throw new ApiException(409, $"'{code}' is not the confirmation code of an authorization of {parsed} awaiting confirmation", "CONFIRMATION_CODE_MISMATCH");
        return Results.Json(new { status = "ok", authorizationId = confirmed.Id, kind = confirmed.Kind, state = "CONFIRMED" }, ApiJson.Options);
    }

    private static async Task<IResult> Transfer(HttpContext ctx, ISimulatorStore store, ProductInstanceService instances, string domain, string va, string udi)
    {
        var (account, v, parsed) = await FindAsync(store, domain, va, udi, ctx.RequestAborted);
        var body = await RequestBodies.ReadJsonAsync(ctx, 16 * 1024) as JsonObject ?? throw new ApiException(400, "the body must be a JSON object");
        var target = body["targetVirtualAccount"] is JsonValue t && t.GetValueKind() == JsonValueKind.String ? t.GetValue<string>() : null;
        if (string.IsNullOrWhiteSpace(target))
            throw new ApiException(400, "targetVirtualAccount is required") { Errors = new Dictionary<string, string[]> { ["targetVirtualAccount"] = ["is required"] } };
        var outcome = await instances.TransferAsync(account, v, parsed.ToString(), target, ctx.RequestAborted);
        if (!outcome.Succeeded) throw outcome.Target is null && outcome.Message.StartsWith("no Virtual Account", StringComparison.Ordinal)
            ? new EntityNotFoundException(outcome.Message) : new ApiException(409, outcome.Message, "TRANSFER_REFUSED");
        return Results.Json(new { status = "ok", udi = parsed.ToString(), virtualAccount = outcome.Target!.Name }, ApiJson.Options);
    }
}
