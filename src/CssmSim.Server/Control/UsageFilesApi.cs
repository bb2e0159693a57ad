namespace CssmSim.Server.Control;

/// <summary>Offline usage files: upload, status and ACK download (artefacts.md §Offline usage upload).</summary>
public static class UsageFilesApi
{
    public static IServiceCollection AddUsageFiles(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapUsageFilesApi(this IEndpointRouteBuilder app) => app;
}
