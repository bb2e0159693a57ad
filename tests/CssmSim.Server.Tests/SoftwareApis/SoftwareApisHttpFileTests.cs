using System.Text.RegularExpressions;
using CssmSim.Server.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CssmSim.Server.Tests.SoftwareApis;

/// <summary>SoftwareApis.http has a ready request for every route software-apis.md made the simulator serve.</summary>
public sealed class SoftwareApisHttpFileTests
{
    [Fact]
    public async Task Every_software_api_route_has_a_request_in_the_http_file()
    {
        string? root = null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null && root is null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CssmSim.sln"))) root = dir.FullName;
        var file = await File.ReadAllTextAsync(Path.Combine(root!, "src", "CssmSim.Server", "SoftwareApis", "SoftwareApis.http"), TestContext.Current.CancellationToken);
        var requests = file.Split('\n').Where(l => Regex.IsMatch(l, "^(GET|POST) "))
            .Select(l => l.Replace("{{apis}}", "/v1/software/apis", StringComparison.Ordinal).Replace("{{sim}}", "", StringComparison.Ordinal).Split('?')[0].Trim())
            .ToList();
        await using var sim = await TestSimulator.StartAsync();

        var routes = sim.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName is { } name
                && (name.StartsWith("Software", StringComparison.Ordinal) || name.StartsWith("Ea", StringComparison.Ordinal) || name.StartsWith("OAuthAuthorize", StringComparison.Ordinal) || name == "OAuthUserInfo"))
            .Select(e => (Methods: string.Join("|", e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods), Pattern: "/" + e.RoutePattern.RawText!.TrimStart('/')))
            .ToList();

        routes.Count.ShouldBe(17);
        foreach (var (methods, pattern) in routes)
        {
            // Any one of a route's methods will do (userinfo answers GET and POST).
            var shape = new Regex("^(" + methods + ") " + Regex.Replace(Regex.Escape(pattern), @"\\\{[^}]+}", "[^/]+") + "$");
            requests.ShouldContain(r => shape.IsMatch(r), $"{methods} {pattern}");
        }
    }
}
