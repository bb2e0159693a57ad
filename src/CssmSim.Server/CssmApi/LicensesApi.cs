namespace CssmSim.Server.CssmApi;

/// <summary>Licenses, license summary and transfer (cssm-api.md §Licenses, devices, summary, transfer).</summary>
public static class LicensesApi
{
    public static IServiceCollection AddLicensing(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapLicensesApi(this IEndpointRouteBuilder app) => app;
}
