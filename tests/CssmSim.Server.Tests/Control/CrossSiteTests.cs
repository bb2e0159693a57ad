using System.Net;
using System.Text;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.Control;

/// <summary>
/// A web page must not drive a simulator on the loopback: the control API refuses a foreign
/// <c>Origin</c>, a <c>Host</c> it does not listen as (DNS rebinding), and the body types a page
/// can post without a preflight; it never answers with CORS headers. Refused requests change nothing.
/// </summary>
public sealed class CrossSiteTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<byte[]> SnapshotAsync(TestSimulator sim) =>
        await (await sim.Http.GetAsync("/_sim/snapshot", Ct)).Content.ReadAsByteArrayAsync(Ct);

    public static TheoryData<string, string, string?, string?> CrossSiteRequests() => new()
    {
        // method, path, Origin, Host
        { "POST", "/_sim/reset", "http://evil.example", null },
        { "POST", "/_sim/seed", "https://evil.example", null },
        { "POST", "/_sim/faults", "null", null },
        { "POST", "/_sim/snapshot", "http://localhost:1", null },
        { "GET", "/_sim/journal", null, "evil.example" },
        { "POST", "/_sim/reset", null, "rebind.evil.example:8080" },
        { "GET", "/_sim/snapshot", "http://evil.example", "evil.example" },
    };

    [Theory]
    [MemberData(nameof(CrossSiteRequests))]
    public async Task A_cross_origin_or_rebound_request_is_403_without_cors_and_changes_nothing(string method, string path, string? origin, string? host)
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.MergeSeedAsync("accounts: [{domain: kept.test, virtualAccounts: [DEFAULT]}]");
        var before = await SnapshotAsync(sim);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST") request.Content = new StringContent(path.EndsWith("seed") ? "accounts: [{domain: x.test}]" : "{}", Encoding.UTF8, "application/json");
        if (origin is not null) request.Headers.TryAddWithoutValidation("Origin", origin);
        if (host is not null) request.Headers.Host = host;

        using var response = await sim.Http.SendAsync(request, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden, await response.Content.ReadAsStringAsync(Ct));
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        response.Headers.Contains("Access-Control-Allow-Origin").ShouldBeFalse();
        (await SnapshotAsync(sim)).ShouldBe(before);
    }

    [Theory]
    [InlineData("/_sim/seed", "text/plain", "accounts: [{domain: x.test}]")]
    [InlineData("/_sim/seed", "application/x-www-form-urlencoded", "accounts=1")]
    [InlineData("/_sim/faults", null, """{"match":{"surface":"oauth"},"effect":{"status":503}}""")]
    [InlineData("/_sim/faults", "text/plain", """{"match":{"surface":"oauth"},"effect":{"status":503}}""")]
    [InlineData("/_sim/clock", "multipart/form-data; boundary=x", "--x--")]
    [InlineData("/_sim/snapshot", "text/plain", "{}")]
    public async Task A_body_a_page_could_post_without_a_preflight_is_415(string path, string? contentType, string body)
    {
        await using var sim = await TestSimulator.StartAsync();
        var before = await SnapshotAsync(sim);
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        if (contentType is not null) content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        using var response = await sim.Http.PostAsync(path, content, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType, await response.Content.ReadAsStringAsync(Ct));
        (await SnapshotAsync(sim)).ShouldBe(before);
    }

    [Fact]
    public async Task A_preflight_from_another_origin_gets_no_cors_headers()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Options, "/_sim/faults");
        request.Headers.TryAddWithoutValidation("Origin", "http://evil.example");
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Method", "POST");
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Headers", "content-type");

        using var response = await sim.Http.SendAsync(request, Ct);

        ((int)response.StatusCode).ShouldBeGreaterThanOrEqualTo(400);
        response.Headers.Any(h => h.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase)).ShouldBeFalse();
    }

    [Fact]
    public async Task Same_origin_requests_and_tools_without_an_origin_still_work()
    {
        await using var sim = await TestSimulator.StartAsync();
        var self = sim.Server.BaseAddress.GetLeftPart(UriPartial.Authority);
        using var fromDocs = new HttpRequestMessage(HttpMethod.Post, "/_sim/faults")
        {
            Content = new StringContent("""{"match":{"surface":"oauth"},"effect":{"status":503}}""", Encoding.UTF8, "application/json"),
        };
        fromDocs.Headers.TryAddWithoutValidation("Origin", self);
        using var asLocalhost = new HttpRequestMessage(HttpMethod.Get, "/_sim/journal");
        asLocalhost.Headers.Host = "localhost:" + sim.Server.BaseAddress.Port;

        using var created = await sim.Http.SendAsync(fromDocs, Ct);
        using var journal = await sim.Http.SendAsync(asLocalhost, Ct);
        using var reset = await sim.Http.PostAsync("/_sim/reset", null, Ct);
        using var seed = await sim.Http.PostAsync("/_sim/seed", new StringContent("accounts: [{domain: y.test}]", Encoding.UTF8, "application/yaml"), Ct);

        ((int)created.StatusCode).ShouldBeInRange(200, 299, await created.Content.ReadAsStringAsync(Ct));
        journal.StatusCode.ShouldBe(HttpStatusCode.OK);
        reset.StatusCode.ShouldBe(HttpStatusCode.OK);
        seed.StatusCode.ShouldBe(HttpStatusCode.OK, await seed.Content.ReadAsStringAsync(Ct));
    }
}
