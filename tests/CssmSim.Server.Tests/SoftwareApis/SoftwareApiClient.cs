using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.SoftwareApis;

/// <summary>Requests to the Software APIs of one test simulator, and the shared seed of these tests.</summary>
public static class SoftwareApiClient
{
    public const string Prefix = "/v1/software/apis";
    public const string Hsec = "regid.2019-03.com.cisco.DNA_HSEC,1.0_509c41ab-05a8-431f-95fe-ec28086e8844";
    public const string Enforced = "regid.2020-01.com.cisco.CSSMSIM_ENFORCED_DEMO,1.0_00000000-0000-4000-8000-000000000001";
    public const string WlcSoftwareTag = "regid.2018-05.com.cisco.WLC_9500C,1.0_85665885-b865-4e32-8184-5510412fcb54";

    /// <summary>
    /// A second account the <c>limited</c> client may not see (403 cases), a user for the grants,
    /// and a product instance in DEFAULT.
    /// </summary>
    public const string Seed = """
        apiClients: [{clientId: limited, clientSecret: limited-secret, accounts: [example.com]}]
        users: [{username: alice, password: alice-pass, email: alice@example.com, accounts: [example.com, other.test]}]
        accounts:
        - domain: example.com
          virtualAccounts: [{name: DEFAULT, productInstances: [{udi_pid: C9800-CL-K9, udi_serial_number: FOC2FIDSLA1, hostname: wlc-lab-1}]}]
        - domain: other.test
          name: Other Co
          accountId: "777001"
          virtualAccounts:
          - name: DEFAULT
            id: "888001"
            default: true
            licenses: [{tag: "regid.2019-03.com.cisco.DNA_HSEC,1.0_509c41ab-05a8-431f-95fe-ec28086e8844", enforcement: export-controlled, quantity: 3}]
            productInstances: [{udi_pid: C9300-24P, udi_serial_number: OTHER0001}]
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<TestSimulator> StartAsync()
    {
        var sim = await TestSimulator.StartAsync();
        await sim.MergeSeedAsync(Seed);
        return sim;
    }

    public static async Task<(HttpStatusCode Status, JsonObject Body)> SendAsync(TestSimulator sim, HttpMethod method, string path, JsonNode? body = null,
        string? token = null, IReadOnlyDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path.StartsWith('/') && !path.StartsWith(Prefix, StringComparison.Ordinal) && !path.StartsWith("/services/", StringComparison.Ordinal) ? Prefix + path : path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? await sim.TokenAsync());
        foreach (var (k, v) in headers ?? new Dictionary<string, string>()) request.Headers.TryAddWithoutValidation(k, v);
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await sim.Http.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/json", text);
        return (response.StatusCode, JsonNode.Parse(text)!.AsObject());
    }

    public static Task<(HttpStatusCode Status, JsonObject Body)> GetAsync(TestSimulator sim, string path, string? token = null, IReadOnlyDictionary<string, string>? headers = null) =>
        SendAsync(sim, HttpMethod.Get, path, null, token, headers);

    public static Task<(HttpStatusCode Status, JsonObject Body)> PostAsync(TestSimulator sim, string path, JsonNode body, string? token = null, IReadOnlyDictionary<string, string>? headers = null) =>
        SendAsync(sim, HttpMethod.Post, path, body, token, headers);

    public static Task<string> LimitedTokenAsync(TestSimulator sim) => sim.TokenAsync("limited", "limited-secret");

    public static void ShouldBeString(this JsonNode? node, string? because = null) => node.Kind().ShouldBe(JsonValueKind.String, because);

    public static void ShouldBeJsonNull(this JsonNode? node, string? because = null) => node.Kind().ShouldBe(JsonValueKind.Null, because);

    /// <summary>A JSON integer (not a float, not a bool), at least 0.</summary>
    public static long ShouldBeCount(this JsonNode? node, string? because = null)
    {
        node.Kind().ShouldBe(JsonValueKind.Number, because);
        var text = node!.ToJsonString();
        text.ShouldNotContain(".", Case.Sensitive, because);
        var n = node.GetValue<long>();
        n.ShouldBeGreaterThanOrEqualTo(0, because);
        return n;
    }
}
