using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CssmSim.Engine.Storage;
using CssmSim.Server.Hosting;

namespace CssmSim.Server.Tests.Support;

/// <summary>A simulator on a random loopback port with its own in-memory store, for one test.</summary>
public sealed class TestSimulator : IAsyncDisposable
{
    public const string ApiPrefix = "/services/api/smart-accounts-and-licensing";

    private TestSimulator(SimulatorServer server)
    {
        Server = server;
        Http = new HttpClient { BaseAddress = server.BaseAddress };
    }

    public SimulatorServer Server { get; }
    public HttpClient Http { get; }

    public static async Task<TestSimulator> StartAsync(Action<SimulatorOptions>? configure = null)
    {
        var options = new SimulatorOptions { Urls = ["http://127.0.0.1:0"], Store = StoreLocation.Memory };
        configure?.Invoke(options);
        var server = await SimulatorApp.CreateAsync(options, ct: TestContext.Current.CancellationToken);
        await server.StartAsync(TestContext.Current.CancellationToken);
        return new TestSimulator(server);
    }

    /// <summary>An access token for the default client.</summary>
    public async Task<string> TokenAsync(string clientId = "cssmsim", string secret = "cssmsim")
    {
        using var r = await Http.PostAsync($"/as/token.oauth2?grant_type=client_credentials&client_id={clientId}&client_secret={secret}", null,
            TestContext.Current.CancellationToken);
        r.EnsureSuccessStatusCode();
        return (await ReadJsonAsync(r))["access_token"]!.GetValue<string>();
    }

    /// <summary>A GET on the CSSM API with a fresh bearer token.</summary>
    public async Task<HttpResponseMessage> ApiGetAsync(string path, string? token = null)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, path);
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? await TokenAsync());
        return await Http.SendAsync(req, TestContext.Current.CancellationToken);
    }

    public async Task MergeSeedAsync(string seed, string contentType = "application/yaml")
    {
        using var r = await Http.PostAsync("/_sim/seed", new StringContent(seed, Encoding.UTF8, contentType), TestContext.Current.CancellationToken);
        if (!r.IsSuccessStatusCode) throw new InvalidOperationException($"seed refused: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
    }

    /// <summary>Creates a registration token through the control API; returns its v1 object.</summary>
    public async Task<JsonObject> CreateTokenAsync(string va = "DEFAULT", int? maxUses = null, int days = 30, bool exportControlled = true, string domain = "example.com")
    {
        var body = new JsonObject { ["description"] = "test", ["expiresAfterDays"] = days, ["maxUses"] = maxUses, ["exportControlled"] = exportControlled };
        using var r = await Http.PostAsync($"/_sim/accounts/{domain}/virtual-accounts/{Uri.EscapeDataString(va)}/tokens",
            new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        if (!r.IsSuccessStatusCode) throw new InvalidOperationException($"token refused: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
        return await ReadJsonAsync(r);
    }

    /// <summary>A simulated device speaking smart transport to this simulator.</summary>
    public Testing.Devices.SimulatedProductInstance Device(string serial, string pid = "C9800-CL-K9") => new(Http, pid, serial);

    public async Task PatchFaultAsync(string id, string patch)
    {
        using var r = await Http.PatchAsync("/_sim/faults/" + id, new StringContent(patch, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        r.EnsureSuccessStatusCode();
    }

    public static async Task<JsonObject> ReadJsonAsync(HttpResponseMessage r) =>
        JsonNode.Parse(await r.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!.AsObject();

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }
}

/// <summary>A wall clock the test moves by hand.</summary>
public sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;
    public override DateTimeOffset GetUtcNow() => _now;
    public void Advance(TimeSpan by) => _now += by;
}

public static class JsonShape
{
    /// <summary>Asserts <paramref name="obj"/> has exactly these keys (order ignored): clients fail on a missing key.</summary>
    public static void ShouldHaveExactKeys(this JsonObject obj, params string[] keys) =>
        obj.Select(kv => kv.Key).OrderBy(k => k, StringComparer.Ordinal).ShouldBe(keys.OrderBy(k => k, StringComparer.Ordinal));

    public static System.Text.Json.JsonValueKind Kind(this JsonNode? node) => node?.GetValueKind() ?? System.Text.Json.JsonValueKind.Null;
}
