using System.Globalization;
using System.Net.Http.Json;
using System.Text;
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

    /// <summary>
    /// Further simulators sharing the first target's state (replicas on one PostgreSQL database,
    /// <c>--target URL1,URL2,...</c>): requests go to each in turn, as a load balancer would send them.
    /// </summary>
    public static IReadOnlyList<Uri> Replicas { get; set; } = [];

    /// <summary>A client without a connection limit: each concurrent driver client keeps its own keep-alive connection.</summary>
    public static HttpClient NewClient(Uri baseAddress)
    {
        HttpMessageHandler handler = new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = Timeout.InfiniteTimeSpan, UseCookies = false };
        if (Replicas.Count > 1 && Replicas.Contains(baseAddress)) handler = new RoundRobin(Replicas, handler);
        return new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    private sealed class RoundRobin(IReadOnlyList<Uri> targets, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private long _next;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var target = targets[(int)((ulong)Interlocked.Increment(ref _next) % (ulong)targets.Count)];
            request.RequestUri = new Uri(target, request.RequestUri!.PathAndQuery);
            return base.SendAsync(request, ct);
        }
    }

    /// <summary>A registration token in the demo account's DEFAULT VA without a use limit (so the built-in max-uses bottleneck never applies).</summary>
    public async Task<string> CreateTokenAsync(CancellationToken ct = default)
    {
        using var response = await Http.PostAsJsonAsync(DefaultVa + "/tokens",
            new JsonObject { ["description"] = "load driver", ["expiresAfterDays"] = 365, ["maxUsesAllowed"] = null }, ct);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(ct);
        return body!["token"]!.GetValue<string>();
    }

    public SimulatedProductInstance NewDevice(string kind, int client, long seq) => new(Http, Pid, NewSerial(kind, client, seq));

    /// <summary>TRUST_ESTABLISHMENT for a new UDI (the reply's signature is not verified here: that would load the shared CPU).</summary>
    public async Task<OpResult> TrustAsync(string idToken, SimulatedProductInstance device, CancellationToken ct)
    {
        var reply = await device.SendAsync("TRUST_ESTABLISHMENT", new JsonObject { ["id_token"] = idToken, ["scope"] = "local", ["force"] = false }, ct);
        return Status(reply);
    }

    /// <summary>
    /// The same TRUST_ESTABLISHMENT message as <see cref="TrustAsync(string, SimulatedProductInstance, CancellationToken)"/>
    /// (new UDI, fresh message id and nonce), built as UTF-8 bytes from a fixed template and sent raw;
    /// only the reply's status is read out of its bytes. The driver shares the server's two cores, so
    /// every microsecond it spends per operation is taken from the server.
    /// </summary>
    public async Task<OpResult> TrustRawAsync(string idToken, string serial, byte[] buffer, CancellationToken ct)
    {
        var body = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $$$"""{"header":{"version":"1.0","type":"TRUST_ESTABLISHMENT","message_id":"{{{Guid.NewGuid()}}}","timestamp":{{{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}}},"nonce":"{{{Guid.NewGuid().ToString("N")[..16]}}}"},"sudi":{"udi_pid":"{{{Pid}}}","udi_serial_number":"{{{serial}}}"},"hostname":"{{{serial.ToLowerInvariant()}}}","data":{"id_token":"{{{idToken}}}","scope":"local","force":false}}"""));
        using var request = new HttpRequestMessage(HttpMethod.Post, TransportPath) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = JsonType;
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var length = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer.AsMemory(length), ct)) > 0)
        {
            length += read;
            if (length == buffer.Length) return OpResult.Fail("reply larger than " + buffer.Length + " bytes");
        }
        return StatusOf(buffer.AsSpan(0, length));
    }

    private static readonly System.Net.Http.Headers.MediaTypeHeaderValue JsonType = new("application/json") { CharSet = "utf-8" };
    private static ReadOnlySpan<byte> StatusKey => "\"status\":\""u8;

    /// <summary>The reply's top-level status, read from its bytes (the reply is compact JSON with one "status" key).</summary>
    private static OpResult StatusOf(ReadOnlySpan<byte> reply)
    {
        var at = reply.IndexOf(StatusKey);
        if (at < 0) return OpResult.Fail("reply without status");
        var rest = reply[(at + StatusKey.Length)..];
        var status = Encoding.UTF8.GetString(rest[..Math.Max(0, rest.IndexOf((byte)'"'))]);
        if (status == "COMPLETE") return OpResult.Success;
        var code = reply.IndexOf("\"code\":\""u8);
        var detail = code < 0 ? "" : " " + Encoding.UTF8.GetString(reply[(code + 8)..]).Split('"')[0];
        return OpResult.Fail(status + detail);
    }

    public string NewSerial(string kind, int client, long seq) => string.Create(CultureInfo.InvariantCulture, $"{kind}{_run}C{client}N{seq}");

    /// <summary>USAGE_REPORTING of <paramref name="reports"/> new signed RUM reports from a trusted device, and the RESULT_POLLING that brings the ACK.</summary>
    public static async Task<OpResult> ReportAsync(SimulatedProductInstance device, int reports, CancellationToken ct)
    {
        var array = new JsonArray();
        foreach (var (payload, signature, _) in device.BuildReports(Enumerable.Repeat((NetworkStackTag, 1L), reports)))
            array.Add(new JsonObject { ["payload"] = payload, ["signature"] = signature });
        device.SentReportIds.Clear(); // a long run would otherwise keep every id
        // Answered OK_POLL as real devices record it: the op is the report and the poll that brings its ACK (issue 18).
        var reply = await device.SendAndPollAsync("USAGE_REPORTING", new JsonObject { ["reports"] = array }, ct);
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

    public const string TransportPath = "/licservice/license";
    public const string HealthPath = "/_sim/health";
    public const string TokensPath = DefaultVa + "/tokens";
    public const string AccountsSearchPath = "/services/api/smart-accounts-and-licensing/v2/accounts/search";
}
