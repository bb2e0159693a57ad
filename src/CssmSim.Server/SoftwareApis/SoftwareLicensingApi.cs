using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CssmSim.Engine.Authorizations;
using CssmSim.Engine.Authorizations.Codes;
using CssmSim.Engine.Licensing;
using CssmSim.Engine.Policies;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Time;
using CssmSim.Server.CssmApi;
using CssmSim.Server.Journal;
using CssmSim.Server.Pipeline;
using CssmSim.Server.Wire;

namespace CssmSim.Server.SoftwareApis;

/// <summary>
/// Licensing through the Software APIs (software-apis.md §Licensing): the v2 license summary (the
/// v3 summary's balances in D's v2 shape), reservations (the reserve-licenses engine), the Smart
/// Account's policy, and the software-tag catalog of reservable entitlements.
/// </summary>
public static class SoftwareLicensingApi
{
    // Spelled out: the simulator runs with invariant globalization, which has no English month names.
    private static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    public static IEndpointRouteBuilder MapSoftwareLicensingApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(SoftwareApiPaths.Prefix + "/licensing").WithTags("Software APIs").WithGroupName(ApiDocs.DocumentNames.SoftwareApis).RequireBearer();
        api.MapPost("/v2/get-summary", Summary).WithName("SoftwareGetSummary")
            .WithSummary("License summary of the Virtual Account the X-CSW headers name.")
            .WithMetadata(new SimOperation("licenses.summary"), new DeferredFaultEvaluation()).WithErrorSchema(ErrorSchema.ResponseV3);
        foreach (var version in new[] { "v1", "v2" })
        {
            api.MapPost($"/{version}/account/{{domain}}/virtual-account/{{va}}/licenses/reserve", Reserve).WithName("SoftwareReserve" + version)
                .WithSummary("SLR (SPECIFIC) and PLR (UNIVERSAL) reservations.").WithMetadata(new SimOperation("reserveLicenses"))
                .WithErrorSchema(ErrorSchema.Response);
        }
        api.MapGet("/v2/account-policy", AccountPolicy).WithName("SoftwareAccountPolicy")
            .WithSummary("The Smart Account's policy, base64 of its signed <smartLicensePolicy>.").WithErrorSchema(ErrorSchema.ResponseV2);
        api.MapPost("/v1/search-slr-details", SearchSlrDetails).WithName("SoftwareSearchSlrDetails")
            .WithSummary("Reservable entitlements per software tag (seed slrCatalog).").WithErrorSchema(ErrorSchema.Response);
        return app;
    }

    /// <summary>D's v2 date form, <c>2018-Aug-08</c>; null for PERPETUAL and STANDARD (never <c>""</c>).</summary>
    private static string? V2Day(License license, DateOnly? date) =>
        license.Type.IsSubscription() && date is { } d
            ? string.Create(CultureInfo.InvariantCulture, $"{d.Year:D4}-{Months[d.Month - 1]}-{d.Day:D2}")
            : null;

    private static async Task<IResult> Summary(HttpContext ctx, ISimulatorStore store, LicenseService licenses, SimulatorClock clock)
    {
        if (ctx.Request.Headers[CswHeaders.RequestingSystem].ToString().Trim().Length == 0)
            throw new ApiException(400, $"the {CswHeaders.RequestingSystem} header is required, e.g. {{\"display_name\":\"FDM_Client\"}}");
        var (saId, vaId) = CswHeaders.Read(ctx.Request, decimalIds: true);
        var body = await RequestBodies.ReadJsonAsync(ctx);
        if (body is not JsonObject o || o["data"] is not JsonObject data) throw new ApiException(400, "the body must be {\"data\":{\"timestamp\",\"nonce\",\"tags\":[]}}");
        var tags = LicensesApi.ReadTags(data["tags"]);
        Engine.Accounts.SmartAccount account;
        Engine.Accounts.VirtualAccount va;
        try
        {
            (account, va) = await LicensesApi.SummaryAccountAsync(ctx, store, saId, vaId);
        }
        catch (ApiException e) when (e.Status == 404)
        {
            throw new ApiException(422, e.Message, SoftwareApiErrors.NoDataFound);
        }
        var fault = await ctx.Faults().EvaluateAsync(smartAccount: account.Domain, virtualAccount: va.Name);
        if (fault?.Effect.Error is { } code) throw new ApiException(503, Engine.Devices.CssmError.ServerErrorMessage(code), code);

        var summary = (await licenses.BalancesAsync(va, ctx.RequestAborted))
            .Where(b => tags is null || tags.Contains(EntitlementTag.Normalize(b.Tag)))
            .Select(b =>
            {
                var v3 = LicensesApi.ToSummary(b);
                return (JsonNode)new JsonObject
                {
                    ["tag"] = v3.Tag,
                    ["entitled"] = v3.Entitled,
                    ["future_entitled"] = v3.FutureEntitled,
                    // Live CSSM counts reservations within in-use (FDM computes available = entitled - inuse).
                    ["inuse"] = b.Usage.Consumption,
                    ["reserved"] = v3.Reserved,
                    ["compliance_status"] = v3.ComplianceStatus,
                    ["display_name"] = v3.DisplayName,
                    ["enforced"] = v3.Enforced,
                    ["export_restricted"] = v3.ExportRestricted,
                    ["license_details"] = new JsonArray(b.Pool is { } pool
                        ? [new JsonObject
                        {
                            ["quantity"] = pool.Quantity,
                            ["start_date"] = V2Day(pool, pool.StartDate),
                            ["end_date"] = V2Day(pool, pool.EndDate),
                            ["subscription_id"] = null,
                            ["license_type"] = pool.Type.ToWire(),
                        }]
                        : []),
                };
            })
            .ToArray();
        var response = new JsonObject
        {
            ["status"] = "SUCCESS",
            ["message_code"] = null,
            ["message"] = $"Retrieved summary for {summary.Length} licenses in the pool.",
            ["timestamp"] = clock.GetUtcNow().ToUnixTimeMilliseconds(),
            ["nonce"] = data["nonce"]?.DeepClone(),
            // Reports are acknowledged in the transaction that stores them, so none is ever outstanding.
            ["out_standing_reports"] = 0,
            ["summary"] = new JsonArray(summary),
        };
        return SoftwareApiPaths.Json(ctx, response);
    }

    private static async Task<IResult> Reserve(HttpContext ctx, ISimulatorStore store, AuthorizationService authorizations, string domain, string va)
    {
        var (account, virtualAccount) = await TokensApi.FindVirtualAccountAsync(ctx, store, domain, va);
        var results = await ReservationsApi.ReserveEntriesAsync(ctx, authorizations, account, virtualAccount);
        var licenses = (await store.Accounts.ListLicensesAsync(virtualAccount.Id, ctx.RequestAborted)).ToDictionary(l => l.Tag, StringComparer.Ordinal);
        var (status, message) = ReservationsApi.Summary(results);
        var response = new JsonObject
        {
            ["status"] = status,
            ["statusMessage"] = message,
            ["authorizationCodes"] = new JsonArray(results.Select(r => (JsonNode)Entry(r, licenses)).ToArray()),
        };
        ctx.Journal().SetOutcome(status);
        return Results.Text(response.ToJsonString(ApiErrors.Json), "application/json", statusCode: ReservationsApi.HttpStatus(results));
    }

    private static JsonObject Entry(ReservationsApi.EntryResult r, IReadOnlyDictionary<string, License> licenses)
    {
        var udi = r.RequestCode is not null && RequestCode.TryParse(r.RequestCode, out var parsed, out _) ? parsed.Udi : (UdiRef?)null;
        var held = r.Outcome?.Authorization?.Entitlements ?? [];
        return new JsonObject
        {
            ["reservationCode"] = r.ReservationCode?.DeepClone(),
            ["authorizationCode"] = r.Outcome?.AuthorizationCode,
            ["status"] = r.Succeeded ? "SUCCESS" : "ERROR",
            ["statusMessage"] = r.Error ?? "",
            ["sudi"] = udi is { } u ? SoftwareDevicesApi.Sudi(u.Pid, u.Serial) : null,
            ["productInstance"] = udi is { } p ? $"UDI_PID:{p.Pid}; UDI_SN:{p.Serial}" : null,
            ["licenses"] = new JsonArray(held.Select(e =>
            {
                licenses.TryGetValue(e.Tag, out var license);
                return (JsonNode)new JsonObject
                {
                    ["licenseType"] = license?.Type.ToWire(),
                    ["quantity"] = e.Count,
                    ["endDate"] = license is null ? null : LicensesApi.Day(license, license.EndDate),
                    ["name"] = license?.DisplayName ?? e.Tag,
                };
            }).ToArray()),
            // The value the devices endpoints give for the same product instance (the PID).
            ["productTagName"] = udi?.Pid,
            ["productType"] = null,
        };
    }

    private static async Task<IResult> AccountPolicy(HttpContext ctx, ISimulatorStore store, PolicyService policies, SimulatorClock clock)
    {
        var saId = ctx.Request.Headers[CswHeaders.SmartAccountId].ToString().Trim();
        if (saId.Length == 0) throw new ApiException(400, $"the {CswHeaders.SmartAccountId} header is required", "INVALID_REQUEST");
        if (!CswHeaders.IsDecimal(saId)) throw new ApiException(400, $"{CswHeaders.SmartAccountId} must be a decimal account id", "INVALID_REQUEST");
        var account = (await store.Accounts.ListSmartAccountsAsync(ctx.RequestAborted)).FirstOrDefault(a => a.Id == saId)
            ?? throw new ApiException(400, $"no Smart Account {saId}", SoftwareApiErrors.NoDataFound);
        ctx.Journal().SmartAccount = account.Domain;
        ctx.RequireVisible(account);
        // The policy the account's default Virtual Account receives: the SA's custom policy, else Cisco's default.
        var policy = await policies.GetAccountPolicyAsync(account.Domain, ctx.RequestAborted);
        var element = policy.DefaultVirtualAccount is { } va ? await policies.GetPolicyElementAsync(account, va, ctx.RequestAborted) : null;
        var body = new JsonObject
        {
            ["status"] = "COMPLETE",
            ["message_code"] = null,
            ["message"] = null,
            ["timestamp"] = clock.GetUtcNow().ToUnixTimeMilliseconds(),
            ["policy"] = element is null ? null : Convert.ToBase64String(Encoding.UTF8.GetBytes(element)),
            ["correlation_id"] = RequestIds.Get(ctx),
            ["errors"] = new JsonArray(),
        };
        return SoftwareApiPaths.Json(ctx, body, "COMPLETE");
    }

    private static async Task<IResult> SearchSlrDetails(HttpContext ctx, ISimulatorStore store)
    {
        var body = await RequestBodies.ReadJsonAsync(ctx) as JsonObject ?? throw new ApiException(400, "the body must be a JSON object");
        if (body["softwareTags"] is not JsonArray list || list.Count == 0)
            throw new ApiException(400, "Missing required input parameters: softwareTags must be a non-empty list");
        var tags = list.Select(SoftwareApiPaths.Text).ToList();
        if (tags.Any(t => t is null)) throw new ApiException(400, "each softwareTags item must be a non-empty string");
        var catalog = (await store.Accounts.ListSlrCatalogAsync(ctx.RequestAborted)).ToDictionary(e => e.SoftwareTag, StringComparer.Ordinal);
        var data = tags.Select(tag =>
        {
            catalog.TryGetValue(tag!, out var entry);
            return (JsonNode)new JsonObject
            {
                ["softwareTag"] = tag,
                ["entitlements"] = new JsonArray((entry?.Entitlements ?? []).Select(e => (JsonNode)new JsonObject
                {
                    ["type"] = e.Type,
                    ["entitlementTag"] = e.EntitlementTag,
                    // D's spelling and type: a capital E, and a string.
                    ["Export"] = e.Export ? "True" : "False",
                    ["UDI_PID"] = entry!.UdiPid,
                }).ToArray()),
            };
        }).ToArray();
        return SoftwareApiPaths.Json(ctx, new JsonObject { ["status"] = "SUCCESS", ["status_message"] = "Fetched software tags", ["data"] = new JsonArray(data) });
    }
}
