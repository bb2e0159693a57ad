using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace CssmSim.Server.Tests.Hostile;

/// <summary>
/// Hostile headers, URLs and credentials on every surface: Kestrel's own limits answer 431/414,
/// everything that reaches the application is refused in the family's shape, and nothing changes.
/// </summary>
public sealed class HostileTransportTests(HostileSimulator sim) : IClassFixture<HostileSimulator>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const string Api = HostileSimulator.Api;

    /// <summary>One path per family, each with a body that would otherwise be accepted.</summary>
    public static readonly TheoryData<string> FamilyPaths = new()
    {
        "/as/token.oauth2",
        Api + "/v1/accounts/example.com/licenses",
        Api + "/v3/licenses/summary",
        Api + "/v2/devices/reportusage",
        "/licservice/license",
        "/_sim/seed",
    };

    [Theory]
    [MemberData(nameof(FamilyPaths))]
    public async Task An_oversized_header_is_431_and_the_simulator_stays_healthy(string path)
    {
        var before = await sim.SnapshotAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("X-Padding", new string('a', 64 * 1024));

        using var response = await sim.Http.SendAsync(request, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.RequestHeaderFieldsTooLarge);
        await sim.ShouldBeHealthyAsync(path);
        HostileSimulator.ShouldBeSameState(before, await sim.SnapshotAsync(), path);
    }

    [Theory]
    [MemberData(nameof(FamilyPaths))]
    public async Task Too_many_headers_is_431(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        for (var i = 0; i < 200; i++) request.Headers.TryAddWithoutValidation("X-H" + i, "v");

        using var response = await sim.Http.SendAsync(request, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.RequestHeaderFieldsTooLarge);
        await sim.ShouldBeHealthyAsync(path);
    }

    [Theory]
    [MemberData(nameof(FamilyPaths))]
    public async Task An_oversized_url_is_414(string path)
    {
        using var response = await sim.Http.PostAsync(path + "?q=" + new string('a', 20_000), new StringContent("{}", Encoding.UTF8, "application/json"), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.RequestUriTooLong);
        await sim.ShouldBeHealthyAsync(path);
    }

    public static readonly TheoryData<string> BadAuthorizations = new()
    {
        "Bearer",
        "Bearer ",
        "Bearer " + new string('A', 20_000),
        "Bearer '; DROP TABLE api_clients;--",
        "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
        "Basic Og==",
        "Basic !!!notbase64",
        "Negotiate YII=",
        "Bearer a, Bearer b",
    };

    [Theory]
    [MemberData(nameof(BadAuthorizations))]
    public async Task A_bad_bearer_is_401_invalid_token_on_every_api_family(string authorization)
    {
        foreach (var path in new[] { Api + "/v1/accounts/example.com/licenses", Api + "/v3/licenses/summary", Api + "/v2/devices/reportusage" })
        {
            var request = sim.Request(HttpMethod.Post, path, new StringContent("{}", Encoding.UTF8, "application/json"));
            request.Headers.Authorization = null;
            request.Headers.TryAddWithoutValidation("Authorization", authorization);

            var (status, body, _) = await sim.SendHostileAsync(request, $"{path} Authorization: {authorization[..Math.Min(30, authorization.Length)]}");

            status.ShouldBe(401, body);
            System.Text.Json.Nodes.JsonNode.Parse(body)!["error"]!.GetValue<string>().ShouldBe("invalid_token", body);
        }
    }

    public static readonly TheoryData<string, string> BadCswHeaders = new()
    {
        { "X-CSW-REQUESTING-SYSTEM", "{not json" },
        { "X-CSW-REQUESTING-SYSTEM", "[1,2,3]" },
        { "X-CSW-REQUESTING-SYSTEM", new string('[', 5_000) + new string(']', 5_000) },
        { "X-CSW-REQUESTING-SYSTEM", "\"'; DROP TABLE smart_accounts;--\"" },
        { "X-CSW-SMART-ACCOUNT-ID", "'; DROP TABLE smart_accounts;--" },
        { "X-CSW-SMART-ACCOUNT-ID", "-1" },
        { "X-CSW-SMART-ACCOUNT-ID", "99999999999999999999999999" },
        { "X-CSW-SMART-ACCOUNT-ID", "" },
        { "X-CSW-VIRTUAL-ACCOUNT-ID", "../../etc/passwd" },
        { "X-CSW-VIRTUAL-ACCOUNT-ID", "0x10" },
    };

    [Theory]
    [MemberData(nameof(BadCswHeaders))]
    public async Task Bad_csw_headers_are_refused_in_the_family_shape_and_change_nothing(string header, string value)
    {
        var bodies = new Dictionary<string, string>
        {
            [Api + "/v3/licenses/summary"] = """{"data":{"timestamp":1,"nonce":"n","tags":[]}}""",
            [Api + "/v2/devices/reportusage"] = """{"data":{"timestamp":1,"nonce":"n","reports":[]}}""",
            [Api + "/v2/devices/authrequest"] = """{"data":{"timestamp":1,"nonce":"n","licenses":[]}}""",
        };
        foreach (var (path, body) in bodies)
        {
            var request = sim.Request(HttpMethod.Post, path, new StringContent(body, Encoding.UTF8, "application/json"));
            request.Headers.Remove(header);
            request.Headers.TryAddWithoutValidation(header, value);

            await sim.SendHostileAsync(request, $"{path} {header}: {value[..Math.Min(40, value.Length)]}");
        }
    }

    public static readonly TheoryData<string> BadContentTypes = new()
    {
        "application/json; charset=utf-7",
        "text/plain",
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "application/x-www-form-urlencoded",
        "application/xml",
        "*/*",
        "application/json; boundary=\"" + new string('b', 5_000) + "\"",
    };

    [Theory]
    [MemberData(nameof(BadContentTypes))]
    public async Task A_wrong_content_type_is_refused_in_the_family_shape(string contentType)
    {
        foreach (var path in HostileBodyTests.BodyRoutes.Values.Where(p => !ErrorShapes.IsNotSimulated(p) && !p.StartsWith("/_sim/usage-files", StringComparison.Ordinal)))
        {
            var content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"data":{"reports":[]}}"""));
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            var method = path.Contains("/policy", StringComparison.Ordinal) ? HttpMethod.Put : path.Contains("/faults/", StringComparison.Ordinal) ? HttpMethod.Patch : HttpMethod.Post;

            await sim.SendHostileAsync(sim.Request(method, path, content), $"{path} Content-Type: {contentType[..Math.Min(40, contentType.Length)]}");
        }
    }

    [Theory]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("'; DROP TABLE tokens;--")]
    public async Task A_hostile_request_id_is_echoed_safely_or_replaced(string requestId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/_sim/health");
        request.Headers.TryAddWithoutValidation("X-Request-Id", requestId);

        using var response = await sim.Http.SendAsync(request, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Headers.GetValues("X-Request-Id").Single().ShouldNotBeNullOrWhiteSpace();
    }

    [Fact]
    public async Task A_request_id_of_20000_characters_does_not_break_the_answer()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/_sim/health");
        request.Headers.TryAddWithoutValidation("X-Request-Id", new string('r', 20_000));

        using var response = await sim.Http.SendAsync(request, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        await sim.ShouldBeHealthyAsync("long request id");
    }

    [Fact]
    public async Task A_declared_body_longer_than_what_is_sent_times_out_alone_and_the_server_keeps_serving()
    {
        // A client that promises 1 MB and sends 10 bytes, then goes away: only its own request fails.
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(sim.Sim.Server.BaseAddress.Host, sim.Sim.Server.BaseAddress.Port, Ct);
            var stream = client.GetStream();
            var head = "POST /licservice/license HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n{\"header\":";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head), Ct);
            await stream.FlushAsync(Ct);
        }

        await sim.ShouldBeHealthyAsync("truncated body");
    }

    [Fact]
    public async Task Garbage_instead_of_http_is_dropped_and_the_server_keeps_serving()
    {
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(sim.Sim.Server.BaseAddress.Host, sim.Sim.Server.BaseAddress.Port, Ct);
            var stream = client.GetStream();
            await stream.WriteAsync(new byte[] { 0x16, 0x03, 0x01, 0x00, 0xff, 0x00, 0x0d, 0x0a, 0x0d, 0x0a }, Ct);
            var buffer = new byte[1024];
            _ = await stream.ReadAsync(buffer, Ct);
        }

        await sim.ShouldBeHealthyAsync("garbage bytes");
    }
}
