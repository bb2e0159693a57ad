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
            app.MapGroup(ApiPaths.Prefix + $"/{version}/accounts/{{domain}}/virtual-accounts/{{va}}").WithTags("Reservations").ExcludeFromDescription().RequireBearer()
                .MapPost("/reserve-licenses", Reserve).WithName("ReserveLicenses" + version).WithMetadata(new SimOperation("reserveLicenses"));
        }
        return app;
    }

    private static async Task<IResult> Reserve(HttpContext ctx, ISimulatorStore store, AuthorizationService authorizations, string domain, string va)
    {
        var (account, virtualAccount) = await TokensApi.FindVirtualAccountAsync(ctx, store, domain, va);
        var body = await RequestBodies.ReadJsonAsync(ctx) as JsonObject ?? throw new ApiException(400, "the body must be a JSON object");
        if (body["reservationRequests"] is not JsonArray requests || requests.Count == 0)
            throw new ApiException(400, "reservationRequests must be a non-empty list");

        // The devices the request codes name may be in another account: the caller must be allowed there too.
        await ctx.RequireDevicesAsync(requests.Select(r => (r as JsonObject)?["reservationCode"] is JsonValue c && c.GetValueKind() == JsonValueKind.String
            && Engine.Authorizations.Codes.RequestCode.TryParse(c.GetValue<string>().Trim(), out var parsed, out _)
                ? new Engine.ProductInstances.Udi(parsed!.Udi.Pid, parsed.Udi.Serial) : (Engine.ProductInstances.Udi?)null).OfType<Engine.ProductInstances.Udi>());

        var results = new JsonArray();
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
            results.Add(new JsonObject
            {
                ["reservationCode"] = codeNode,
                ["authorizationCode"] = outcome?.AuthorizationCode,
                ["status"] = error is null ? "SUCCESS" : "ERROR",
                ["statusMessage"] = error ?? "",
            });
        }
        var failed = results.Count(r => r!["status"]!.GetValue<string>() == "ERROR");
        var response = new JsonObject
        {
            ["status"] = failed == 0 ? "SUCCESS" : "ERROR",
            ["statusMessage"] = failed == 0 ? "" : $"{failed} of {results.Count} reservation requests failed",
            ["authorizationCodes"] = results,
        };
        ctx.Journal().SetOutcome(failed == 0 ? "SUCCESS" : "ERROR");
        return Results.Text(response.ToJsonString(ApiErrors.Json), "application/json", statusCode: failed == results.Count ? 400 : 200);
    }

    /// <summary>An integer or numeric string, as clients send both.</summary>
    private static long? Quantity(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && Engine.Seeding.NodeReader.TryGetWhole(v, out var n) => n,
        JsonValue v when v.GetValueKind() == JsonValueKind.String && long.TryParse(v.GetValue<string>().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var s) => s,
        _ => null,
    };
}
