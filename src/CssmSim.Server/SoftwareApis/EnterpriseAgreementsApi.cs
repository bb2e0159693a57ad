using CssmSim.Engine.Storage;
using CssmSim.Server.CssmApi;
using CssmSim.Server.Pipeline;

namespace CssmSim.Server.SoftwareApis;

/// <summary>
/// Enterprise Agreements consumption (software-apis.md §Enterprise Agreements): CssmSim models no
/// EA subscription, so every Smart Account gets Cisco's "no subscriptions" answer, a 400 with
/// <c>{"code","message","severity"}</c>, which clients tell apart from "not found".
/// </summary>
public static class EnterpriseAgreementsApi
{
    public const string LegacyPrefix = "/services/api/enterprise-agreements/v1/subscription/account/{domain}";

    public static IEndpointRouteBuilder MapEnterpriseAgreementsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("").WithTags("Software APIs").WithGroupName(ApiDocs.DocumentNames.SoftwareApis).RequireBearer();
        api.MapGet(SoftwareApiPaths.Prefix + "/ea/v1/subscription/account/{domain}/consumption", Consumption).WithName("EaConsumption")
            .WithSummary("EA consumption of a Smart Account: no subscriptions in CssmSim.").WithErrorSchema(ErrorSchema.EnterpriseAgreements);
        api.MapGet(SoftwareApiPaths.Prefix + "/ea/v1/subscription/account/{domain}/subscription/{subscriptionId}/consumption", Consumption)
            .WithName("EaSubscriptionConsumption").WithSummary("EA consumption of one subscription: no subscriptions in CssmSim.")
            .WithErrorSchema(ErrorSchema.EnterpriseAgreements);
        api.MapGet(LegacyPrefix + "/subscription/{subscriptionId}/consumption", Consumption).WithName("EaSubscriptionConsumptionLegacy")
            .WithSummary("The swapi.cisco.com path of the same report.").WithErrorSchema(ErrorSchema.EnterpriseAgreements);
        return app;
    }

    private static async Task<IResult> Consumption(HttpContext ctx, ISimulatorStore store, string domain, string? subscriptionId)
    {
        var account = await AccountsApi.FindAccountAsync(ctx, store, domain);
        var message = subscriptionId is null
            ? $"No Enterprise Agreement subscriptions found for Smart Account {account.Domain}"
            : $"No Enterprise Agreement subscription {subscriptionId} found for Smart Account {account.Domain}";
        throw new ApiException(400, message, "NO_SUBSCRIPTIONS");
    }
}
