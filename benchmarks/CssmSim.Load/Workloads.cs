using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CssmSim.Testing.Devices;

namespace CssmSim.Load;

/// <summary>The operations the driver sends, over one pooled <see cref="HttpClient"/> to a running simulator.</summary>
public sealed class Workloads
{
    public const string Pid = "C9800-CL-K9";
    public const string NetworkStackTag = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896";
    private const string DefaultVa = "/_sim/accounts/example.com/virtual-accounts/DEFAULT";

    // A run id keeps serials unique across runs against the same (file) store.
    private readonly string _run = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString("x", CultureInfo.InvariantCulture);

    public Workloads(Uri baseAddress)
    {
        Http = NewClient(baseAddress);
    }

    public HttpClient Http { get; }

    /// <summary>A client without a connection limit: each concurrent driver client keeps its own keep-alive connection.</summary>
    public static HttpClient NewClient(Uri baseAddress) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = int.MaxValue,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        UseCookies = false,
    }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>A registration token in the demo account's DEFAULT VA without a use limit (so the built-in max-uses bottleneck never applies).</summary>
    public async Task<string> CreateTokenAsync(CancellationToken ct = default)
    {
        using var response = await Http.PostAsJsonAsync(DefaultVa + "/tokens",
            new JsonObject { ["description"] = "load driver", ["expiresAfterDays"] = 365, ["maxUsesAllowed"] = null }, ct);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(ct);
        return body!["token"]!.GetValue<string>();
    }

    public SimulatedProductInstance NewDevice(string kind, int client, long seq) =>
        new(Http, Pid, string.Create(CultureInfo.InvariantCulture, $"{kind}{_run}C{client}N{seq}"));

    /// <summary>TRUST_ESTABLISHMENT for a new UDI (the reply's signature is not verified here: that would load the shared CPU).</summary>
    public async Task<OpResult> TrustAsync(string idToken, SimulatedProductInstance device, CancellationToken ct)
    {
        var reply = await device.SendAsync("TRUST_ESTABLISHMENT", new JsonObject { ["id_token"] = idToken, ["scope"] = "local", ["force"] = false }, ct);
        return Status(reply);
    }

    /// <summary>USAGE_REPORTING of <paramref name="reports"/> new signed RUM reports from a trusted device.</summary>
    public static async Task<OpResult> ReportAsync(SimulatedProductInstance device, int reports, CancellationToken ct)
    {
        var array = new JsonArray();
        foreach (var (payload, signature, _) in device.BuildReports(Enumerable.Repeat((NetworkStackTag, 1L), reports)))
            array.Add(new JsonObject { ["payload"] = payload, ["signature"] = signature });
        device.SentReportIds.Clear(); // a long run would otherwise keep every id
        var reply = await device.SendAsync("USAGE_REPORTING", new JsonObject { ["reports"] = array }, ct);
        var status = Status(reply);
        if (status.Ok && reply["data"]?["ack"] is null) return OpResult.Fail("COMPLETE without ack");
        return status;
    }

    /// <summary>GET of a path; any non-2xx is an error named by its status code.</summary>
    public async Task<OpResult> GetAsync(string path, CancellationToken ct, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (bearer is not null) request.Headers.Authorization = new("Bearer", bearer);
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        return response.IsSuccessStatusCode ? OpResult.Success : OpResult.Fail("HTTP " + (int)response.StatusCode);
    }

    /// <summary>An OAuth access token for the demo API client.</summary>
    public async Task<string> AccessTokenAsync(CancellationToken ct = default)
    {
        using var response = await Http.PostAsync("/as/token.oauth2?grant_type=client_credentials&client_id=cssmsim&client_secret=cssmsim", null, ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>(ct))!["access_token"]!.GetValue<string>();
    }

    /// <summary>Trusts one device per client (for report workloads), checking each succeeded.</summary>
    public async Task<SimulatedProductInstance[]> TrustedDevicesAsync(string kind, int count, CancellationToken ct = default)
    {
        var token = await CreateTokenAsync(ct);
        var devices = Enumerable.Range(0, count).Select(i => NewDevice(kind, i, 0)).ToArray();
        foreach (var d in devices)
        {
            var r = await TrustAsync(token, d, ct);
            if (!r.Ok) throw new InvalidOperationException($"trust for {d.Udi} failed: {r.Error}");
        }
        return devices;
    }

    private static OpResult Status(JsonObject reply)
    {
        var status = reply["status"]?.GetValue<string>();
        return status == "COMPLETE" ? OpResult.Success : OpResult.Fail($"{status} {reply["error"]?["code"]?.GetValue<string>()}".Trim());
    }

    public const string HealthPath = "/_sim/health";
    public const string TokensPath = DefaultVa + "/tokens";
    public const string AccountsSearchPath = "/services/api/smart-accounts-and-licensing/v2/accounts/search";
}
