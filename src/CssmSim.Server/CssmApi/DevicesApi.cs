using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Engine.Storage;
using CssmSim.Server.Journal;
using CssmSim.Server.Pipeline;

namespace CssmSim.Server.CssmApi;

/// <summary>
/// <c>POST v1/accounts/{domain}/devices</c>: product instances of some or all Virtual Accounts
/// (cssm-api.md §Licenses, devices). Every documented key is present; unknown ones are null.
/// </summary>
internal static class DevicesApi
{
    public static IEndpointRouteBuilder MapDevicesApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup(ApiPaths.Prefix + "/v1/accounts/{domain}").WithTags("Devices").WithGroupName(ApiDocs.DocumentNames.CssmApi).RequireBearer()
            .MapPost("/devices", List).WithName("DevicesList").WithMetadata(new SimOperation("devices.list"));
        return app;
    }

    /// <summary>CSSM's display name of a product instance, as the v1 devices API and the Software APIs show it.</summary>
    public static string DisplayName(StoredProductInstance p) => new Engine.ProductInstances.Udi(p.Pid, p.Serial).DisplayName;

    /// <summary>The product tag name the device APIs report: the PID (CssmSim knows no product regid per device).</summary>
    public static string ProductTagName(StoredProductInstance p) => p.Pid;

    /// <summary>The <c>{"virtualAccounts","limit","offset"}</c> body shared by the licenses and devices APIs.</summary>
    public sealed record PageRequest(IReadOnlyList<string> VirtualAccounts, int Limit, int Offset)
    {
        public static PageRequest Read(JsonObject body)
        {
            var vas = new List<string>();
            switch (body["virtualAccounts"])
            {
                case null: break;
                case JsonArray arr:
                    foreach (var item in arr)
                    {
                        if (item is JsonValue v && v.GetValueKind() == JsonValueKind.String) vas.Add(v.GetValue<string>());
                        else throw new ApiException(400, "virtualAccounts must be a list of names");
                    }
                    break;
                default: throw new ApiException(400, "virtualAccounts must be a list of names");
            }
            return new PageRequest(vas, Number(body["limit"], "limit", 100, 1, 1000), Number(body["offset"], "offset", 0, 0, int.MaxValue));
        }

        private static int Number(JsonNode? node, string name, int fallback, int min, int max)
        {
            if (node is null) return fallback;
            if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && Engine.Seeding.NodeReader.TryGetWhole(v, out var n) && n >= min)
                return (int)Math.Min(n, max);
            throw new ApiException(400, $"{name} must be a whole number of at least {min}");
        }
    }

    private static async Task<IResult> List(HttpContext ctx, ISimulatorStore store, Engine.Licensing.LicenseService licenses, string domain)
    {
        var account = await AccountsApi.FindAccountAsync(ctx, store, domain);
        var body = await RequestBodies.ReadJsonAsync(ctx) as JsonObject ?? throw new ApiException(400, "the body must be a JSON object");
        var page = PageRequest.Read(body);
        var vas = await store.Accounts.ListVirtualAccountsAsync(account.Id, ctx.RequestAborted);
        foreach (var name in page.VirtualAccounts)
        {
            if (vas.All(v => v.Name != name)) throw new ApiException(404, $"Virtual Account '{name}' not found in Smart Account {account.Domain}");
        }
        var selected = page.VirtualAccounts.Count == 0 ? vas : vas.Where(v => page.VirtualAccounts.Contains(v.Name)).ToList();
        var names = selected.ToDictionary(v => v.Id, v => v.Name);
        var (total, pageItems) = await store.Inventory.PageProductInstancesAsync(names.Keys, page.Offset, page.Limit, ctx.RequestAborted);
        var standings = new Dictionary<string, Engine.Licensing.DeviceStanding>(StringComparer.Ordinal);
        foreach (var va in selected.Where(v => pageItems.Any(p => p.VirtualAccountId == v.Id)))
            foreach (var (udi, standing) in await licenses.DevicesAsync(va, pageItems, ctx.RequestAborted)) standings[udi] = standing;
        var devices = pageItems.Select(p => new JsonObject
        {
            ["hostName"] = p.Hostname,
            ["displayName"] = DisplayName(p),
            ["sudi"] = new JsonObject
            {
                ["udiPid"] = p.Pid, ["udiSerialNumber"] = p.Serial, ["udiVid"] = null, ["uuid"] = p.Piid,
                ["macAddress"] = null, ["suvi"] = null, ["hostIdentifier"] = null,
            },
            // Per license display name, max(reported, authorized) (SPEC §2): a SLAC or reservation shows before any report.
            ["licenseUsage"] = new JsonArray(standings[p.Udi].Licenses.Select(l => (JsonNode)new JsonObject
            {
                ["license"] = l.DisplayName,
                ["quantity"] = l.Quantity,
            }).ToArray()),
            ["registrationDate"] = TokensApi.Date(p.TrustedAt ?? p.RegisteredAt),
            ["lastContactDate"] = p.LastContact is { } lc ? TokensApi.Date(lc) : null,
            ["productTagName"] = ProductTagName(p),
            ["productDescription"] = p.Pid,
            ["virtualAccount"] = names[p.VirtualAccountId],
            ["productName"] = p.Pid,
            ["productType"] = p.HaRole is null ? "Standalone" : "HA " + p.HaRole,
            ["status"] = standings[p.Udi].InCompliance ? LicensesApi.InCompliance : LicensesApi.OutOfCompliance,
        }).ToList();
        var result = new JsonObject
        {
            ["status"] = "SUCCESS",
            ["statusMessage"] = "",
            ["totalRecords"] = total,
            ["devices"] = new JsonArray(devices.Select(d => (JsonNode)d).ToArray()),
        };
        ctx.Journal().SetOutcome("SUCCESS");
        return Results.Text(result.ToJsonString(ApiErrors.Json), "application/json");
    }
}
