using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using CssmSim.Engine.Accounts;
using CssmSim.Engine.Licensing;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Time;
using CssmSim.Server.Control;
using CssmSim.Server.Journal;
using CssmSim.Server.Pipeline;

namespace CssmSim.Server.CssmApi;

/// <summary>
/// Licenses, license summary and transfer (cssm-api.md §Licenses, devices, summary, transfer):
/// the v1 license list per Virtual Account, the v3 (and v2) summary of one Virtual Account chosen
/// by the X-CSW headers, and transfers between Virtual Accounts of one Smart Account.
/// </summary>
internal static class LicensesApi
{
    public const string InCompliance = "In Compliance";
    // CSSM's wording for a pool whose use exceeds its licenses (the legacy license state, and the
    // spacing and case of "In Compliance").
    public const string OutOfCompliance = "Out of Compliance";

    public static IEndpointRouteBuilder MapLicensesApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup(ApiPaths.Prefix + "/v1/accounts/{domain}").WithTags("Licenses").WithGroupName(ApiDocs.DocumentNames.CssmApi).RequireBearer();
        v1.MapPost("/licenses", List).WithName("LicensesList").WithMetadata(new SimOperation("licenses.list"));
        v1.MapPost("/virtual-accounts/{va}/licenses/transfer", Transfer).WithName("LicensesTransfer").WithMetadata(new SimOperation("licenses.transfer"));

        // The X-CSW headers name the account, so fault rules are evaluated once they are read.
        var summary = app.MapGroup(ApiPaths.Prefix).WithTags("Licenses").WithGroupName(ApiDocs.DocumentNames.CssmApi).RequireBearer();
        summary.MapPost("/v3/licenses/summary", Summary).WithName("LicensesSummaryV3")
            .WithMetadata(new SimOperation("licenses.summary"), new DeferredFaultEvaluation());
        summary.MapPost("/v2/licenses/summary", Summary).WithName("LicensesSummaryV2")
            .WithMetadata(new SimOperation("licenses.summary"), new DeferredFaultEvaluation());

        app.MapLicensesControlApi();
        return app;
    }

    public sealed record LicensesV1Response(
        [property: JsonPropertyName("totalRecords")] int TotalRecords,
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("statusMessage")] string StatusMessage,
        [property: JsonPropertyName("licenses")] IReadOnlyList<LicenseV1> Licenses);

    public sealed record LicenseV1(
        [property: JsonPropertyName("license")] string License,
        [property: JsonPropertyName("virtualAccount")] string VirtualAccount,
        [property: JsonPropertyName("quantity")] long Quantity,
        [property: JsonPropertyName("inUse")] long InUse,
        [property: JsonPropertyName("available")] long Available,
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("billingType")] string BillingType,
        [property: JsonPropertyName("pendingQuantity")] long PendingQuantity,
        [property: JsonPropertyName("reserved")] long Reserved,
        [property: JsonPropertyName("isPortable")] bool IsPortable,
        [property: JsonPropertyName("ahaApps")] bool AhaApps,
        [property: JsonPropertyName("licenseSubstitutions")] IReadOnlyList<LicenseSubstitutionV1> LicenseSubstitutions,
        [property: JsonPropertyName("licenseDetails")] IReadOnlyList<LicenseDetailV1> LicenseDetails,
        // CSSM's "Alerts" column (seed 002 L4929-4940): "Insufficient Licenses" when the balance is negative.
        [property: JsonPropertyName("alerts")] IReadOnlyList<string> Alerts);

    /// <summary>The substitution item shape; the simulator models no license substitution, so lists stay empty.</summary>
    public sealed record LicenseSubstitutionV1(
        [property: JsonPropertyName("licenseName")] string LicenseName,
        [property: JsonPropertyName("substitutedLicense")] string SubstitutedLicense,
        [property: JsonPropertyName("substitutedQuantity")] long SubstitutedQuantity,
        [property: JsonPropertyName("substitutionType")] string SubstitutionType);

    public sealed record LicenseDetailV1(
        [property: JsonPropertyName("licenseType")] string LicenseType,
        [property: JsonPropertyName("quantity")] long Quantity,
        [property: JsonPropertyName("startDate")] string? StartDate,
        [property: JsonPropertyName("endDate")] string? EndDate,
        [property: JsonPropertyName("subscriptionId")] string? SubscriptionId,
        [property: JsonPropertyName("status")] string Status);

    public sealed record SummaryResponse(
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("message_code")] string? MessageCode,
        [property: JsonPropertyName("message")] string Message,
        [property: JsonPropertyName("timestamp")] long Timestamp,
        [property: JsonPropertyName("nonce")] JsonNode? Nonce,
        [property: JsonPropertyName("out_standing_reports")] int OutstandingReports,
        [property: JsonPropertyName("summary")] IReadOnlyList<SummaryLicense> Summary);

    public sealed record SummaryLicense(
        [property: JsonPropertyName("tag")] string Tag,
        [property: JsonPropertyName("compliance_status")] string ComplianceStatus,
        [property: JsonPropertyName("display_name")] string DisplayName,
        [property: JsonPropertyName("enforced")] bool Enforced,
        [property: JsonPropertyName("export_restricted")] bool ExportRestricted,
        [property: JsonPropertyName("entitled")] long Entitled,
        [property: JsonPropertyName("future_entitled")] long FutureEntitled,
        [property: JsonPropertyName("inuse")] long InUse,
        [property: JsonPropertyName("reserved")] long Reserved,
        [property: JsonPropertyName("prepaid_entitled")] long PrepaidEntitled,
        [property: JsonPropertyName("prepaid_inuse")] long PrepaidInUse,
        [property: JsonPropertyName("prepaid_reserved")] long PrepaidReserved,
        [property: JsonPropertyName("license_details")] IReadOnlyList<SummaryLicenseDetail> LicenseDetails);

    public sealed record SummaryLicenseDetail(
        [property: JsonPropertyName("billing_type")] string BillingType,
        [property: JsonPropertyName("quantity")] long Quantity,
        [property: JsonPropertyName("postpaid_usage")] long PostpaidUsage,
        [property: JsonPropertyName("start_date")] string? StartDate,
        [property: JsonPropertyName("end_date")] string? EndDate,
        [property: JsonPropertyName("subscription_id")] string? SubscriptionId,
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("billing_model")] string? BillingModel,
        [property: JsonPropertyName("license_type")] string LicenseType);

    /// <summary>PERPETUAL and STANDARD licenses have no dates; TERM and DEMO carry <c>YYYY-MM-DD</c>.</summary>
    public static string? Day(License license, DateOnly? date) =>
        license.Type.IsSubscription() && date is { } d ? d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : null;

    public static string ComplianceOf(LicenseBalance b) => b.InCompliance ? InCompliance : OutOfCompliance;

    /// <summary>A license detail is <c>EXPIRED</c> once a TERM or DEMO end date passed on the simulator clock.</summary>
    public static string DetailStatus(LicenseBalance b) => b.Expired ? "EXPIRED" : "ACTIVE";

    private static async Task<IResult> List(HttpContext ctx, ISimulatorStore store, LicenseService licenses, string domain)
    {
        var account = await AccountsApi.FindAccountAsync(ctx, store, domain);
        var body = await RequestBodies.ReadJsonAsync(ctx) as JsonObject ?? throw new ApiException(400, "the body must be a JSON object");
        var page = DevicesApi.PageRequest.Read(body);
        var vas = await store.Accounts.ListVirtualAccountsAsync(account.Id, ctx.RequestAborted);
        foreach (var name in page.VirtualAccounts)
        {
            if (vas.All(v => v.Name != name)) throw new ApiException(404, $"Virtual Account '{name}' not found in Smart Account {account.Domain}");
        }
        var selected = page.VirtualAccounts.Count == 0 ? vas : vas.Where(v => page.VirtualAccounts.Contains(v.Name)).ToList();
        if (selected.Count == 1) ctx.Journal().VirtualAccount = selected[0].Name;

        var rows = new List<LicenseV1>();
        foreach (var va in selected)
        {
            foreach (var b in await licenses.BalancesAsync(va, ctx.RequestAborted)) rows.Add(ToV1(va, b));
        }
        return ApiJson.Ok(ctx, new LicensesV1Response(rows.Count, "SUCCESS", "", rows.Skip(page.Offset).Take(page.Limit).ToList()));
    }

    public static LicenseV1 ToV1(VirtualAccount va, LicenseBalance b) => new(
        b.DisplayName, va.Name, b.Purchased, b.InUse, b.Available, ComplianceOf(b), "PREPAID", b.Pending, b.Reserved,
        IsPortable: false, AhaApps: false, [],
        b.Pool is { } pool ? [new LicenseDetailV1(pool.Type.ToWire(), pool.Quantity, Day(pool, pool.StartDate), Day(pool, pool.EndDate), null, DetailStatus(b))] : [],
        b.Alerts);

    private static async Task<IResult> Transfer(HttpContext ctx, ISimulatorStore store, LicenseService licenses, string domain, string va)
    {
        var (account, source) = await TokensApi.FindVirtualAccountAsync(ctx, store, domain, va);
        var body = await RequestBodies.ReadJsonAsync(ctx) as JsonObject ?? throw new ApiException(400, "the body must be a JSON object");
        var entries = ReadTransfer(body);
        var result = await licenses.TransferAsync(account, source, entries, ctx.RequestAborted);
        if (!result.Succeeded) throw new ApiException(400, result.Message);
        return ApiJson.Ok(ctx, new { status = "SUCCESS", statusMessage = "" });
    }

    /// <summary>
    /// <c>{"licenses":[{"license","licenseType","quantity","targetVirtualAccount"}]}</c>: <c>quantity</c>
    /// a whole number (or numeric string), <c>licenseType</c> optional. Limits are the service's.
    /// </summary>
    public static IReadOnlyList<TransferEntry> ReadTransfer(JsonObject body)
    {
        if (body["licenses"] is not JsonArray list)
            throw new ApiException(400, "licenses is required: a list of {license, licenseType, quantity, targetVirtualAccount}");
        var entries = new List<TransferEntry>(list.Count);
        for (var i = 0; i < list.Count; i++)
        {
            var at = $"licenses[{i}]";
            if (list[i] is not JsonObject item) throw new ApiException(400, $"{at} must be an object {{license, licenseType, quantity, targetVirtualAccount}}");
            var license = Text(item["license"]) ?? throw new ApiException(400, $"{at}.license is required: the license's name or entitlement tag");
            var type = item["licenseType"] switch
            {
                null => null,
                JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                _ => throw new ApiException(400, $"{at}.licenseType must be a string"),
            };
            var quantity = Whole(item["quantity"])
                ?? throw new ApiException(400, $"{at}.quantity must be a whole number from {LicenseService.MinTransferQuantity} to {LicenseService.MaxTransferQuantity}");
            var target = Text(item["targetVirtualAccount"]) ?? throw new ApiException(400, $"{at}.targetVirtualAccount is required: a Virtual Account name");
            entries.Add(new TransferEntry(license, type, quantity, target));
        }
        return entries;
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Trim() is { Length: > 0 } s ? s : null;

    private static long? Whole(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && Engine.Seeding.NodeReader.TryGetWhole(v, out var n) => n,
        JsonValue v when v.GetValueKind() == JsonValueKind.String
            && long.TryParse(v.GetValue<string>().Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var s) => s,
        _ => null,
    };

    private static async Task<IResult> Summary(HttpContext ctx, ISimulatorStore store, LicenseService licenses, SimulatorClock clock)
    {
        // HTTP-layer checks (headers, body) first; then the business ones (unknown or forbidden account).
        var (saId, vaId) = Wire.CswHeaders.Read(ctx.Request, decimalIds: true);
        var body = await RequestBodies.ReadJsonAsync(ctx);
        if (body is not JsonObject o || o["data"] is not JsonObject data) throw new ApiException(400, "the body must be {\"data\":{\"timestamp\",\"nonce\",\"tags\":[]}}");
        var tags = ReadTags(data["tags"]);
        var (account, va) = await SummaryAccountAsync(ctx, store, saId, vaId);
        var fault = await ctx.Faults().EvaluateAsync(smartAccount: account.Domain, virtualAccount: va.Name);
        if (fault?.Effect.Error is { } code) throw new ApiException(503, Engine.Devices.CssmError.ServerErrorMessage(code), code);

        var balances = (await licenses.BalancesAsync(va, ctx.RequestAborted))
            .Where(b => tags is null || tags.Contains(EntitlementTag.Normalize(b.Tag)))
            .Select(ToSummary)
            .ToList();
        // Reports are acknowledged in the transaction that stores them, so none is ever outstanding.
        const int outstandingReports = 0;
        var response = new SummaryResponse("SUCCESS", null, $"Retrieved summary for {balances.Count} licenses in the pool.",
            clock.GetUtcNow().ToUnixTimeMilliseconds(), data["nonce"]?.DeepClone(), outstandingReports, balances);
        return ApiJson.Ok(ctx, response);
    }

    public static SummaryLicense ToSummary(LicenseBalance b) => new(
        EntitlementTag.Normalize(b.Tag), ComplianceOf(b), b.DisplayName,
        // Export-controlled licenses are enforced too: both need an authorization code before use.
        Enforced: b.Enforcement != Enforcement.Unenforced,
        ExportRestricted: b.Enforcement == Enforcement.ExportControlled,
        b.Entitled, b.FutureEntitled, b.InUse, b.Reserved,
        // Every simulated license is prepaid.
        PrepaidEntitled: b.Entitled, PrepaidInUse: b.InUse, PrepaidReserved: b.Reserved,
        b.Pool is { } pool
            ? [new SummaryLicenseDetail("PREPAID", pool.Quantity, 0, Day(pool, pool.StartDate), Day(pool, pool.EndDate), null, DetailStatus(b), null, pool.Type.ToWire())]
            : []);

    /// <summary>The Virtual Account the X-CSW headers select: 404 unknown, 403 not visible to the caller.</summary>
    public static async Task<(SmartAccount Account, VirtualAccount Va)> SummaryAccountAsync(HttpContext ctx, ISimulatorStore store, string saId, string vaId)
    {
        var owner = await store.Accounts.FindByVirtualAccountIdAsync(vaId, ctx.RequestAborted);
        if (owner is not { } found || found.Account.Id != saId)
            throw new ApiException(404, $"no Virtual Account {vaId} in Smart Account {saId}", "ACCOUNT_NOT_FOUND");
        ctx.Journal().SmartAccount = found.Account.Domain;
        ctx.RequireVisible(found.Account);
        ctx.Journal().VirtualAccount = found.VirtualAccount.Name;
        return found;
    }

    /// <summary>The tags to summarise in canonical form, or null for all (absent, null or empty).</summary>
    public static HashSet<string>? ReadTags(JsonNode? node)
    {
        if (node is null) return null;
        if (node is not JsonArray list) throw new ApiException(400, "data.tags must be a list of entitlement tags");
        var tags = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in list)
        {
            if (item is not JsonValue v || v.GetValueKind() != JsonValueKind.String) throw new ApiException(400, "data.tags must be a list of entitlement tags");
            tags.Add(EntitlementTag.Normalize(v.GetValue<string>()));
        }
        return tags.Count == 0 ? null : tags;
    }
}
