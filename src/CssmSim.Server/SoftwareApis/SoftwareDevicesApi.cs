using System.Globalization;
using System.Text.Json.Nodes;
using CssmSim.Engine.Accounts;
using CssmSim.Engine.Authorizations;
using CssmSim.Engine.Authorizations.Codes;
using CssmSim.Engine.Licensing;
using CssmSim.Engine.ProductInstances;
using CssmSim.Engine.Storage;
using CssmSim.Server.CssmApi;
using CssmSim.Server.Journal;
using CssmSim.Server.Pipeline;

namespace CssmSim.Server.SoftwareApis;

/// <summary>
/// Product instances through the Software APIs (software-apis.md §Product instances): the devices
/// of a Virtual Account, a search by UDI across the accounts the client may see, and removal by
/// return code, which is the reservation return of the CSSM APIs and the control API.
/// </summary>
public static class SoftwareDevicesApi
{
    public static IEndpointRouteBuilder MapSoftwareDevicesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(SoftwareApiPaths.Prefix + "/licensing").WithTags("Software APIs").WithGroupName(ApiDocs.DocumentNames.SoftwareApis).RequireBearer();
        api.MapGet("/v2/accounts/{domain}/devices", List).WithName("SoftwareDevices")
            .WithSummary("Product instances of a Virtual Account.").WithMetadata(new SimOperation("devices.list")).WithErrorSchema(ErrorSchema.Response);
        api.MapGet("/v2/device/search", Search).WithName("SoftwareDeviceSearch")
            .WithSummary("Product instances by UDI in every account the client may see.").WithMetadata(new SimOperation("devices.list"))
            .WithErrorSchema(ErrorSchema.ResponseV2);
        api.MapPost("/v3/accounts/{domain}/devices/remove", Remove).WithName("SoftwareDevicesRemove")
            .WithSummary("Returns reservations by the devices' return codes.").WithErrorSchema(ErrorSchema.Response);
        return app;
    }

    /// <summary>The <c>sudi</c> object: CssmSim knows a UDI's PID and serial number only.</summary>
    public static JsonObject Sudi(string pid, string serial) => new()
    {
        ["suvi"] = null, ["uuid"] = null, ["hostIdentifier"] = null, ["udiPid"] = pid, ["udiSerialNumber"] = serial, ["udiVid"] = null, ["macAddress"] = null,
    };

    private static async Task<IResult> List(HttpContext ctx, ISimulatorStore store, string domain)
    {
        var vaName = ctx.Request.Query["virtualAccountName"].ToString();
        if (vaName.Trim().Length == 0) throw new ApiException(400, "Missing required input parameters: virtualAccountName");
        var limit = SoftwareApiPaths.QueryInt(ctx, "limit", 1) ?? 50;
        var offset = SoftwareApiPaths.QueryInt(ctx, "offset", 0) ?? 0;
        var (_, va) = await TokensApi.FindVirtualAccountAsync(ctx, store, domain, vaName);
        var filter = ctx.Request.Query["instanceName"].ToString().Trim();
        var all = (await store.Inventory.ListProductInstancesAsync([va.Id], ctx.RequestAborted))
            .Where(p => filter.Length == 0 || DevicesApi.DisplayName(p).Contains(filter, StringComparison.OrdinalIgnoreCase)
                || p.Hostname.Contains(filter, StringComparison.OrdinalIgnoreCase))
            .ToList();
        var body = new JsonObject
        {
            ["status"] = "SUCCESS",
            ["statusMessage"] = "",
            ["totalRecords"] = all.Count,
            ["devices"] = new JsonArray(all.Skip(offset).Take(limit).Select(p => (JsonNode)new JsonObject
            {
                ["instanceName"] = DevicesApi.DisplayName(p),
                ["productTagName"] = DevicesApi.ProductTagName(p),
                ["sudi"] = Sudi(p.Pid, p.Serial),
            }).ToArray()),
        };
        return SoftwareApiPaths.Json(ctx, body);
    }

    private static readonly string[] UnknownSudiFilters = ["udi_vid", "host_identifier", "macaddress", "suvi", "uuid", "tenant_id"];

    private static async Task<IResult> Search(HttpContext ctx, ISimulatorStore store, TimeProvider clock)
    {
        if (ctx.Request.Headers[Wire.CswHeaders.RequestingSystem].ToString().Trim().Length == 0)
            throw new ApiException(400, $"the {Wire.CswHeaders.RequestingSystem} header is required, e.g. {{\"display_name\":\"FDM_Client\"}}", "INVALID_REQUEST");
        var q = ctx.Request.Query;
        string? Opt(string k) => q[k].ToString().Trim() is { Length: > 0 } s ? s : null;
        var serial = Opt("udi_serial_number");
        var pid = Opt("udi_pid");
        var softwareTag = Opt("software_tag");
        // CssmSim records none of these identifiers, so a search by one finds nothing.
        var unknownFilter = UnknownSudiFilters.Any(k => Opt(k) is not null);

        var catalog = await store.Accounts.ListSlrCatalogAsync(ctx.RequestAborted);
        string? TagOf(string devicePid) => catalog.FirstOrDefault(e => string.Equals(e.UdiPid, devicePid, StringComparison.OrdinalIgnoreCase))?.SoftwareTag;

        var data = new JsonArray();
        if (!unknownFilter)
        {
            foreach (var account in await AccountsApi.VisibleAccountsAsync(ctx, store))
            {
                foreach (var va in await store.Accounts.ListVirtualAccountsAsync(account.Id, ctx.RequestAborted))
                {
                    var matches = (await store.Inventory.ListProductInstancesAsync([va.Id], ctx.RequestAborted))
                        .Where(p => serial is null || p.Serial.Equals(serial, StringComparison.OrdinalIgnoreCase))
                        .Where(p => pid is null || p.Pid.Equals(pid, StringComparison.OrdinalIgnoreCase))
                        .Where(p => softwareTag is null || TagOf(p.Pid) == softwareTag)
                        .ToList();
                    if (matches.Count == 0) continue;
                    var licenses = (await store.Accounts.ListLicensesAsync(va.Id, ctx.RequestAborted)).ToDictionary(l => l.Tag, StringComparer.Ordinal);
                    foreach (var p in matches) data.Add(await SearchItemAsync(ctx, store, account, va, p, licenses, TagOf(p.Pid)));
                }
            }
        }
        if (data.Count == 0) throw new ApiException(400, "No product instance matches the search", SoftwareApiErrors.NoDataFound);
        var body = new JsonObject
        {
            ["status"] = "COMPLETE",
            ["message_code"] = "DMS-SUCCESS",
            ["message"] = "SUCCESS",
            ["timestamp"] = clock.GetUtcNow().ToUnixTimeMilliseconds(),
            ["data"] = data,
        };
        return SoftwareApiPaths.Json(ctx, body, "COMPLETE");
    }

    private static async Task<JsonObject> SearchItemAsync(HttpContext ctx, ISimulatorStore store, SmartAccount account, VirtualAccount va,
        StoredProductInstance p, IReadOnlyDictionary<string, License> licenses, string? softwareTag)
    {
        // Per-device consumption is max(reported, authorized) per tag (SPEC §2), as the accounting counts it.
        var reported = (await store.Usage.InUseOfAsync(p.Udi, ctx.RequestAborted)).ToDictionary(u => u.Tag, u => u.InUse, StringComparer.Ordinal);
        var authorized = (await store.Authorizations.ListActiveAsync(p.Udi, ctx.RequestAborted)).SelectMany(a => a.Entitlements)
            .GroupBy(e => e.Tag).ToDictionary(g => g.Key, g => g.Sum(e => e.Count), StringComparer.Ordinal);
        var items = reported.Keys.Union(authorized.Keys).Order(StringComparer.Ordinal)
            .Select(tag => (Tag: tag, Quantity: LicenseAccounting.Of(new InstanceUsage(reported.GetValueOrDefault(tag), authorized.GetValueOrDefault(tag))).Consumption))
            .Where(u => u.Quantity > 0)
            .Select(u =>
            {
                licenses.TryGetValue(u.Tag, out var license);
                return (JsonNode)new JsonObject
                {
                    ["license"] = u.Tag,
                    ["description"] = license?.DisplayName ?? u.Tag,
                    ["quantity"] = u.Quantity,
                    ["utility"] = false,
                    ["display_name"] = license?.DisplayName ?? u.Tag,
                    ["compliance_status"] = "OK",
                    ["subscription_id"] = null,
                    ["end_date"] = license is null ? null : LicensesApi.Day(license, license.EndDate),
                };
            }).ToArray();
        return new JsonObject
        {
            ["sudi"] = Sudi(p.Pid, p.Serial),
            ["software_tag"] = softwareTag,
            ["last_contact_date"] = p.LastContact?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["account"] = new JsonObject
            {
                ["name"] = account.Name,
                ["domain"] = account.Domain,
                ["account_id"] = account.Id,
                ["virtual_account_name"] = va.Name,
                ["virtual_account_id"] = va.Id,
                // A boolean here, unlike the pnp list's string.
                ["default"] = va.IsDefault,
            },
            ["licenses"] = new JsonArray(items),
        };
    }

    private static async Task<IResult> Remove(HttpContext ctx, ISimulatorStore store, AuthorizationService authorizations, string domain)
    {
        var vaName = ctx.Request.Query["virtualAccountName"].ToString();
        if (vaName.Trim().Length == 0) throw new ApiException(400, "Missing required input parameters: virtualAccountName");
        var (_, va) = await TokensApi.FindVirtualAccountAsync(ctx, store, domain, vaName);
        var body = await RequestBodies.ReadJsonAsync(ctx) as JsonObject ?? throw new ApiException(400, "the body must be a JSON object");
        // D documents the array under both spellings; Cisco's misspelt one is accepted as sent.
        var requests = (body["productInstancesRemoveRequests"] ?? body["productInstacesRemoveRequests"]) as JsonArray;
        if (requests is null || requests.Count == 0)
            throw new ApiException(400, "Missing required input parameters: productInstancesRemoveRequests must be a non-empty list");

        var results = new List<JsonObject>();
        foreach (var item in requests)
        {
            var entry = item as JsonObject;
            var sudi = entry?["sudi"] as JsonObject;
            var pid = SoftwareApiPaths.Text(sudi?["udiPid"]);
            var serial = SoftwareApiPaths.Text(sudi?["udiSerialNumber"]);
            var code = SoftwareApiPaths.Text(entry?["returnCode"]);
            var (ok, message) = pid is null || serial is null || code is null
                ? (false, "sudi.udiPid, sudi.udiSerialNumber and returnCode are required")
                : Udi.Problem(pid, serial) is { } problem ? (false, problem)
                : await RemoveOneAsync(ctx, store, authorizations, va, new Udi(pid, serial), code);
            results.Add(new JsonObject
            {
                ["status"] = ok ? "SUCCESS" : "FAILURE",
                ["statusMessage"] = message,
                ["device"] = $"udiPid:{pid} udiSerialNumber:{serial} hostIdentifier: ",
            });
        }
        var failed = results.Count(r => r["status"]!.GetValue<string>() != "SUCCESS");
        var response = new JsonObject
        {
            ["status"] = failed == 0 ? "SUCCESS" : "ERROR",
            // D's wording, two spaces included.
            ["statusMessage"] = failed == 0
                ? $"{results.Count} Product Instance  removed successfully."
                : $"{failed} of {results.Count} Product Instances could not be removed.",
            ["removeProductInstancesStatus"] = new JsonArray(results.Select(r => (JsonNode)r).ToArray()),
        };
        return SoftwareApiPaths.Json(ctx, response, failed == 0 ? "SUCCESS" : "ERROR");
    }

    /// <summary>
    /// The return code must name an active authorization of this UDI in this Virtual Account before
    /// anything is released, so a wrong entry changes nothing; the release itself is the engine's.
    /// </summary>
    private static async Task<(bool, string)> RemoveOneAsync(HttpContext ctx, ISimulatorStore store, AuthorizationService authorizations,
        VirtualAccount va, Udi udi, string code)
    {
        var pi = await store.Inventory.FindProductInstanceAsync(udi.ToString(), ctx.RequestAborted);
        if (pi is null || pi.VirtualAccountId != va.Id) return (false, $"No Product Instance {udi.Pid} {udi.Serial} in Virtual Account {va.Name}");
        ctx.Journal().Udi = pi.Udi;
        if (!ReturnCode.TryDecode(code, new UdiRef(pi.Pid, pi.Serial), out var id)
            || await store.Authorizations.FindAsync(id.ToString(), ctx.RequestAborted) is not { } held
            || held.State == "RETURNED" || held.VirtualAccountId != va.Id)
            return (false, $"The return code does not match an active reservation of {udi.Pid} {udi.Serial}");
        var outcome = await authorizations.ReturnByCodeAsync(code, ctx.RequestAborted);
        return outcome.Succeeded
            ? (true, $"The Product Instance {udi.Pid} was successfully removed")
            : (false, outcome.ErrorMessage ?? "The return code was refused");
    }
}
