using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CssmSim.Server.Journal;
using CssmSim.Server.Tests.Support;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CssmSim.Server.Tests.CssmApi;

public sealed partial class NotSimulatedTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>One row of cssm-api.md §Not simulated: its route patterns and the body they answer.</summary>
    private sealed record SpecRow(IReadOnlyList<(string Method, string Pattern)> Routes, JsonObject Body);

    private static string? SpecPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "CssmSim.sln"))) continue;
            var path = Path.Combine(dir.FullName, "..", "shared", "spec", "cssm-api.md");
            return File.Exists(path) ? path : null;
        }
        return null;
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Quoted();

    /// <summary>
    /// The table under "## Not simulated": each backticked path of the first column as a route pattern
    /// (relative paths as the spec writes them: <c>v1/…</c> under the CSSM API prefix, <c>licensing/…</c>
    /// under the Software APIs, the Software APIs host for its catch-all), and the second column's JSON.
    /// </summary>
    private static List<SpecRow> ReadSpec(string text)
    {
        var section = text[text.IndexOf("## Not simulated", StringComparison.Ordinal)..];
        var next = section.IndexOf("\n## ", 3, StringComparison.Ordinal);
        if (next > 0) section = section[..next];
        var rows = new List<SpecRow>();
        foreach (var line in section.Split('\n').Where(l => l.StartsWith('|')))
        {
            var cells = line.Trim().Trim('|').Split(" | ");
            if (cells.Length < 2 || !cells[1].Contains("`{", StringComparison.Ordinal)) continue;
            var routes = new List<(string, string)>();
            foreach (Match m in Quoted().Matches(cells[0]))
            {
                var token = m.Groups[1].Value.Trim();
                if (token.EndsWith(".md", StringComparison.Ordinal)) continue;
                var method = "POST";
                if (token.StartsWith("POST ", StringComparison.Ordinal) || token.StartsWith("GET ", StringComparison.Ordinal))
                {
                    method = token[..token.IndexOf(' ')];
                    token = token[(method.Length + 1)..];
                }
                var pattern = token.StartsWith("apx.cisco.com/v1/software/apis", StringComparison.Ordinal) ? "/v1/software/apis/{**rest}"
                    : token.StartsWith("licensing/", StringComparison.Ordinal) ? "/v1/software/apis/" + token
                    : token.StartsWith("v1/", StringComparison.Ordinal) || token.StartsWith("v2/", StringComparison.Ordinal) ? TestSimulator.ApiPrefix + "/" + token
                    : token;
                routes.Add((method, pattern));
            }
            rows.Add(new SpecRow(routes, JsonNode.Parse(Quoted().Match(cells[1]).Groups[1].Value)!.AsObject()));
        }
        return rows;
    }

    /// <summary><c>{domain}</c> and <c>{any}</c> alike; <c>{**rest}</c> as a catch-all.</summary>
    private static string Shape(string pattern) => Regex.Replace(Regex.Replace(pattern, @"\{\*\*[^}]*\}", "{**}"), @"\{[^*}][^}]*\}", "{}").TrimEnd('/');

    private static string Concrete(string pattern) => Regex.Replace(Regex.Replace(pattern, @"\{\*\*[^}]*\}", "smartlicensing/v1/unspecified"), @"\{[^}]+\}", "x1");

    [Fact]
    public async Task The_501_routes_are_exactly_those_cssm_api_md_lists_and_answer_its_bodies()
    {
        var specPath = SpecPath();
        Assert.SkipWhen(specPath is null, "shared/spec is not beside the repository");
        var rows = ReadSpec(await File.ReadAllTextAsync(specPath!, Ct));
        await using var sim = await TestSimulator.StartAsync();

        // A listed concrete path (the canonical Call Home one) is an example of a listed pattern, not a route of its own.
        var patterns = rows.SelectMany(r => r.Routes).Select(r => Shape(r.Pattern)).Distinct().ToList();
        patterns = patterns.Where(p => p.Contains('{') || !patterns.Any(q => q != p && q.Contains('{') && Regex.IsMatch(p, "^" + Regex.Escape(q).Replace(@"\{}", "[^/]+") + "$"))).ToList();
        var served = sim.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<SimOperation>()?.Name == "notSimulated")
            .Select(e => Shape("/" + e.RoutePattern.RawText!.TrimStart('/'))).Distinct();
        served.ShouldBe(patterns, ignoreOrder: true);

        foreach (var row in rows)
        {
            foreach (var (method, pattern) in row.Routes)
            {
                using var response = await sim.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), Concrete(pattern)), Ct);
                var body = await TestSimulator.ReadJsonAsync(response);

                response.StatusCode.ShouldBe(HttpStatusCode.NotImplemented, $"{method} {pattern}");
                response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
                body.ToJsonString().ShouldBe(row.Body.ToJsonString(), $"{method} {pattern}");
            }
        }
    }

    [Theory]
    [InlineData("GET", "/v1/software/apis/accounts/v1/user/search-smart-accounts?userId=x")]
    [InlineData("GET", "/v1/software/apis/pnp/v2/accounts")]
    [InlineData("GET", "/v1/software/apis/pnp/v2/accounts/example.com/virtual-accounts")]
    [InlineData("GET", "/v1/software/apis/licensing/v2/accounts/example.com/devices?virtualAccountName=DEFAULT")]
    [InlineData("GET", "/v1/software/apis/licensing/v2/device/search")]
    [InlineData("POST", "/v1/software/apis/licensing/v3/accounts/example.com/devices/remove")]
    [InlineData("POST", "/v1/software/apis/licensing/v2/get-summary")]
    [InlineData("POST", "/v1/software/apis/licensing/v1/account/example.com/virtual-account/DEFAULT/licenses/reserve")]
    [InlineData("POST", "/v1/software/apis/licensing/v2/account/example.com/virtual-account/DEFAULT/licenses/reserve")]
    [InlineData("GET", "/v1/software/apis/licensing/v2/account-policy")]
    [InlineData("POST", "/v1/software/apis/licensing/v1/search-slr-details")]
    [InlineData("GET", "/v1/software/apis/ea/v1/subscription/account/example.com/consumption")]
    [InlineData("GET", "/v1/software/apis/ea/v1/subscription/account/example.com/subscription/S1/consumption")]
    [InlineData("GET", "/services/api/enterprise-agreements/v1/subscription/account/example.com/subscription/S1/consumption")]
    [InlineData("GET", "/as/authorization.oauth2")]
    [InlineData("POST", "/idp/userinfo.openid")]
    public async Task What_software_apis_md_specifies_is_simulated_not_501(string method, string path)
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), Ct);

        response.StatusCode.ShouldNotBe(HttpStatusCode.NotImplemented);
    }

    [Theory]
    [InlineData("GET", "/v1/software/apis/smartlicensing/v1/unspecified")]
    [InlineData("PUT", "/v1/software/apis/smartlicensing/v1/unspecified")]
    [InlineData("OPTIONS", "/v1/software/apis/smartlicensing/v1/unspecified")]
    [InlineData("HEAD", "/v1/software/apis/smartlicensing/v1/unspecified")]
    // A specified path with a method software-apis.md does not give it (device/search is GET).
    [InlineData("DELETE", "/v1/software/apis/licensing/v2/device/search")]
    [InlineData("OPTIONS", "/v1/software/apis/licensing/v2/device/search")]
    public async Task Any_method_on_a_software_apis_operation_the_spec_does_not_give_is_501(string method, string path)
    {
        // Arrange
        await using var sim = await TestSimulator.StartAsync();

        // Act
        using var response = await sim.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), Ct);

        // Assert: 501 in the v1 shape (a HEAD answer has no body).
        response.StatusCode.ShouldBe(HttpStatusCode.NotImplemented);
        if (method != "HEAD")
            (await TestSimulator.ReadJsonAsync(response))["statusMessage"]!.GetValue<string>().ShouldBe("not simulated by CssmSim");
    }

    [Fact]
    public async Task Not_simulated_requests_are_journaled_as_not_simulated()
    {
        await using var sim = await TestSimulator.StartAsync();

        await sim.Http.PostAsync("/its/service/oddce/services/DDCEService", null, Ct);
        using var journal = await sim.Http.GetAsync("/_sim/journal?operation=notSimulated", Ct);

        var entry = (await TestSimulator.ReadJsonAsync(journal))["entries"]!.AsArray().Single()!;
        entry["surface"]!.GetValue<string>().ShouldBe("smart-transport");
        entry["httpStatus"]!.GetValue<int>().ShouldBe(501);
    }
}
