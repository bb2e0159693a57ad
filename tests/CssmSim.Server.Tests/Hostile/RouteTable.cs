using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CssmSim.Server.Tests.Hostile;

/// <summary>One route of the running application: its HTTP method and pattern, as the endpoint data source lists it.</summary>
public sealed record Route(string Method, string Pattern)
{
    public override string ToString() => Method + " " + Pattern;
}

/// <summary>
/// The routes the simulator maps, read from its endpoint data source, so a route added later is
/// enumerated too (and a test fails until it has hostile cases).
/// </summary>
public static class RouteTable
{
    private static readonly string[] AnyMethod = ["GET", "POST", "PUT", "PATCH", "DELETE"];

    public static IReadOnlyList<Route> Of(IServiceProvider services) =>
        services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            // An endpoint without a method list answers every method: listed under each one the hostile tests send.
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? AnyMethod)
                .Select(m => new Route(m, "/" + e.RoutePattern.RawText!.TrimStart('/'))))
            .Distinct()
            .OrderBy(r => r.Pattern, StringComparer.Ordinal).ThenBy(r => r.Method, StringComparer.Ordinal)
            .ToList();
}
