using System.Globalization;
using System.Text.Json.Serialization;
using CssmSim.Engine.Licensing;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Validation;
using CssmSim.Server.CssmApi;

namespace CssmSim.Server.Control;

/// <summary>
/// <c>GET /_sim/accounts/{domain}/virtual-accounts/{va}/licenses</c>: a Virtual Account's license
/// pool with its accounting, without OAuth (what the portal, the fixture and scenarios read).
/// </summary>
internal static class LicensesControlApi
{
    public static IEndpointRouteBuilder MapLicensesControlApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/_sim/accounts/{domain}/virtual-accounts/{va}/licenses", List)
            .WithTags("Inventory").WithGroupName(ControlApi.GroupName).WithName("SimListLicenses")
            .WithSummary("Licenses of the Virtual Account: purchased, inUse (reported use not covered by an authorization), reserved (authorized), "
                + "available (purchased − inUse − reserved; negative on over-use). Tags reported without a pool entry show purchased 0.");
        return app;
    }

    public sealed record SimLicenses([property: JsonPropertyName("licenses")] IReadOnlyList<SimLicense> Licenses);

    public sealed record SimLicense(
        [property: JsonPropertyName("tag")] string Tag,
        [property: JsonPropertyName("displayName")] string DisplayName,
        // Null for a tag the Virtual Account has no pool entry for.
        [property: JsonPropertyName("type")] string? Type,
        [property: JsonPropertyName("enforcement")] string Enforcement,
        [property: JsonPropertyName("purchased")] long Purchased,
        [property: JsonPropertyName("inUse")] long InUse,
        [property: JsonPropertyName("reserved")] long Reserved,
        // Of the reserved, what awaits the device's confirmation code.
        [property: JsonPropertyName("pending")] long Pending,
        [property: JsonPropertyName("available")] long Available,
        [property: JsonPropertyName("startDate")] string? StartDate,
        [property: JsonPropertyName("endDate")] string? EndDate,
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("expired")] bool Expired,
        [property: JsonPropertyName("alerts")] IReadOnlyList<string> Alerts);

    private static async Task<IResult> List(HttpContext ctx, ISimulatorStore store, LicenseService licenses, string domain, string va)
    {
        var (_, virtualAccount) = await InventoryApi.FindAsync(store, domain, va, ctx.RequestAborted);
        var balances = await licenses.BalancesAsync(virtualAccount, ctx.RequestAborted);
        return Results.Json(new SimLicenses(balances.Select(b => new SimLicense(
            b.Tag, b.DisplayName, b.Pool?.Type.ToWire(), b.Enforcement.ToWire(), b.Purchased, b.InUse, b.Reserved, b.Pending, b.Available,
            Date(b.Pool?.StartDate), Date(b.Pool?.EndDate), CssmApi.LicensesApi.ComplianceOf(b), b.Expired, b.Alerts)).ToList()), ApiJson.Options);
    }

    private static string? Date(DateOnly? d) => d?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
