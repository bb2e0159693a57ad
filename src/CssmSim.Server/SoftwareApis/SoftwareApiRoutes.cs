namespace CssmSim.Server.SoftwareApis;

public static class SoftwareApiRoutes
{
    /// <summary>Every route software-apis.md specifies: the Software APIs, Enterprise Agreements and the authorization-code grant.</summary>
    public static IEndpointRouteBuilder MapSoftwareApis(this IEndpointRouteBuilder app) => app
        .MapSoftwareAccountsApi()
        .MapSoftwareDevicesApi()
        .MapSoftwareLicensingApi()
        .MapEnterpriseAgreementsApi()
        .MapAuthorizationCodeApi();
}
