using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Engine.Authorizations;
using CssmSim.Engine.Storage;
using CssmSim.Server.Journal;
using CssmSim.Server.Pipeline;

namespace CssmSim.Server.CssmApi;

/// <summary>
/// <c>reserve-licenses</c> (cssm-api.md §Reservations): SLR and PLR codes for air-gapped devices,
/// one result per request entry; 400 with the same body when every entry failed.
/// </summary>
internal static class ReservationsApi
{
    public static IEndpointRouteBuilder MapReservationsApi(this IEndpointRouteBuilder app)
    {
        foreach (var version in new[] { "v1", "v2" })
        {
            app.MapGroup(ApiPaths.Prefix + $"/{version}/accounts/{{domain}}/virtual-accounts/{{va}}").WithTags("Reservations").WithGroupName(ApiDocs.DocumentNames.CssmApi).RequireBearer()
                .MapPost("/reserve-licenses", Reserve).WithName("ReserveLicenses" + version).WithMetadata(new SimOperation("reserveLicenses"));
        }
        return app;
    }

    /// <summary>One request entry's result: the code as sent, the engine's outcome (null when the entry did not parse), and the error if any.</summary>
    public sealed record EntryResult(JsonNode? ReservationCode, string? RequestCode, ReservationOutcome? Outcome, string? Error)
    {
        public bool Succeeded => Error is null;
    }

    /// <summary>
    /// Reads <c>reservationRequests</c> and runs each entry through the reservation engine: the one
    /// path of both <c>reserve-licenses</c> and the Software APIs' <c>licenses/reserve</c>.
    /// </summary>
    public static async Task<IReadOnlyList<EntryResult>> ReserveEntriesAsync(HttpContext ctx, AuthorizationService authorizations,
        Engine.Accounts.SmartAccount account, Engine.Accounts.VirtualAccount virtualAccount)
    {
        var body = await RequestBodies.ReadJsonAsync(ctx) as JsonObject ?? throw new ApiException(400, "the body must be a JSON object");
        if (body["reservationRequests"] is not JsonArray requests || requests.Count == 0)
            throw new ApiException(400, "reservationRequests must be a non-empty list");

        // The devices the request codes name may be in another account: the caller must be allowed there too.
        await ctx.RequireDevicesAsync(requests.Select(r => (r as JsonObject)?["reservationCode"] is JsonValue c && c.GetValueKind() == JsonValueKind.String
            && Engine.Authorizations.Codes.RequestCode.TryParse(c.GetValue<string>().Trim(), out var parsed, out _)
                ? new Engine.ProductInstances.Udi(parsed!.Udi.Pid, parsed.Udi.Serial) : (Engine.ProductInstances.Udi?)null).OfType<Engine.ProductInstances.Udi>());

        var results = new List<EntryResult>();
        foreach (var item in requests)
        {
            var entry = item as JsonObject ?? throw new ApiException(400, "each reservationRequests item must be an object");
            var codeNode = entry["reservationCode"]?.DeepClone();
            var requestCode = codeNode is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
            var type = entry["reservationType"] is JsonValue t && t.GetValueKind() == JsonValueKind.String ? t.GetValue<string>() : null;
            string? error = null;
            var licenses = new List<(string, long)>();
            if (requestCode is null) error = "reservationCode is required";
            else if (type is not ("SPECIFIC" or "UNIVERSAL")) error = "reservationType must be SPECIFIC or UNIVERSAL";
            else
            {
                foreach (var l in entry["licenses"] as JsonArray ?? [])
                {
                    var tag = (l as JsonObject)?["entitlementTag"] is JsonValue tv && tv.GetValueKind() == JsonValueKind.String ? tv.GetValue<string>() : null;
                    var quantity = Quantity((l as JsonObject)?["quantity"]);
                    if (tag is null || quantity is null) { error = "each license needs an entitlementTag and an integer quantity"; break; }
                    licenses.Add((tag, quantity.Value));
                }
            }
            ReservationOutcome? outcome = null;
            if (error is null)
            {
                outcome = await authorizations.ReserveAsync(account, virtualAccount, new ReservationRequest(requestCode!, type == "UNIVERSAL", licenses), ctx.RequestAborted);
                error = outcome.ErrorMessage;
            }
            results.Add(new EntryResult(codeNode, requestCode, outcome, error));
        }
        return results;
    }

    /// <summary>The top-level status word and message of a reservation answer.</summary>
    public static (string Status, string Message) Summary(IReadOnlyList<EntryResult> results)
    {
        var failed = results.Count(r => !r.Succeeded);
        return failed == 0 ? ("SUCCESS", "") : ("ERROR", $"{failed} of {results.Count} reservation requests failed");
    }

    /// <summary>200, or 400 when every entry failed.</summary>
    public static int HttpStatus(IReadOnlyList<EntryResult> results) => results.All(r => !r.Succeeded) ? 400 : 200;

    private static async Task<IResult> Reserve(HttpContext ctx, ISimulatorStore store, AuthorizationService authorizations, string domain, string va)
    {
        var (account, virtualAccount) = await TokensApi.FindVirtualAccountAsync(ctx, store, domain, va);
        var results = await ReserveEntriesAsync(ctx, authorizations, account, virtualAccount);
        var (status, message) = Summary(results);
        var response = new JsonObject
        {
            ["status"] = status,
            ["statusMessage"] = message,
            ["authorizationCodes"] = new JsonArray(results.Select(r => (JsonNode)new JsonObject
            {
                ["reservationCode"] = r.ReservationCode?.DeepClone(),
                ["authorizationCode"] = r.Outcome?.AuthorizationCode,
                ["status"] = r.Succeeded ? "SUCCESS" : "ERROR",
                ["statusMessage"] = r.Error ?? "",
            }).ToArray()),
        };
        ctx.Journal().SetOutcome(status);
        return Results.Text(response.ToJsonString(ApiErrors.Json), "application/json", statusCode: HttpStatus(results));
    }

    /// <summary>An integer or numeric string, as clients send both.</summary>
    private static long? Quantity(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && Engine.Seeding.NodeReader.TryGetWhole(v, out var n) => n,
        JsonValue v when v.GetValueKind() == JsonValueKind.String && long.TryParse(v.GetValue<string>().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var s) => s,
        _ => null,
    };
}
