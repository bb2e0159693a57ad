using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Engine.ProductInstances;
using CssmSim.Engine.Signing;

namespace CssmSim.Testing.Devices;

/// <summary>A trust code a device installed: what it says, and whether its signature verified.</summary>
public sealed record InstalledTrustCode(Udi Udi, string TrustCodeId, string Piid, byte[] RumKey, string SmartAccountDomain, string VirtualAccountName,
    string? TokenId, DateTimeOffset IssuedAt, string File, bool SignatureValid);

/// <summary>The answer to a trust request as a device sees it.</summary>
public sealed record TrustResult(string Status, string? ErrorCode, string? ErrorMessage, IReadOnlyList<InstalledTrustCode> TrustCodes, string? PolicyFile, JsonObject Reply)
{
    public bool Trusted => Status == "COMPLETE" && TrustCodes.Count > 0;
}

/// <summary>
/// A product instance that talks to a simulator the way a device configured with
/// <c>license smart transport smart</c> does: over HTTP only, so it also works against a remote
/// simulator. It verifies artefacts with the simulator's published signing certificate and keeps
/// what it installs (its trust code and RUM key).
/// </summary>
public sealed class SimulatedProductInstance
{
    private readonly HttpClient _http;
    private string? _signingCertificate;

    public SimulatedProductInstance(HttpClient http, string pid, string serial, string? hostname = null)
    {
        if (Udi.Problem(pid, serial) is { } problem) throw new ArgumentException(problem);
        _http = http;
        Udi = new Udi(pid, serial);
        Hostname = hostname ?? serial.ToLowerInvariant();
    }

    public Udi Udi { get; }
    public string Hostname { get; set; }

    /// <summary>The trust code installed last (null before trust).</summary>
    public InstalledTrustCode? TrustCode { get; private set; }

    /// <summary>The key this device signs RUM reports with (from its trust code).</summary>
    public byte[]? RumKey => TrustCode?.RumKey;

    /// <summary>Where the simulator's smart transport endpoint is, relative to the client's base address.</summary>
    public string TransportPath { get; init; } = "/licservice/license";

    /// <summary>
    /// TRUST_ESTABLISHMENT with an ID token. <paramref name="haMembers"/> (role and device) make the
    /// request cover an HA set when <paramref name="scopeAll"/> is true. A trusted reply installs the
    /// sender's code here and the members' codes on them.
    /// </summary>
    public async Task<TrustResult> EstablishTrustAsync(string idToken, bool scopeAll = false, bool force = false,
        IReadOnlyList<(string Role, SimulatedProductInstance Device)>? haMembers = null, CancellationToken ct = default)
    {
        var data = new JsonObject { ["id_token"] = idToken, ["scope"] = scopeAll ? "all" : "local", ["force"] = force };
        if (haMembers is { Count: > 0 })
        {
            data["ha_udis"] = new JsonArray(haMembers.Select(m => (JsonNode)new JsonObject
            {
                ["role"] = m.Role,
                ["sudi"] = new JsonObject { ["udi_pid"] = m.Device.Udi.Pid, ["udi_serial_number"] = m.Device.Udi.Serial },
            }).ToArray());
        }
        var reply = await SendAsync("TRUST_ESTABLISHMENT", data, ct);
        var result = await ReadTrustAsync(reply, ct);
        Install(result, haMembers?.Select(m => m.Device));
        return result;
    }

    /// <summary>TRUST_SYNC: asks trust for HA members that lack it.</summary>
    public async Task<TrustResult> SyncTrustAsync(IReadOnlyList<(string Role, SimulatedProductInstance Device)> members, CancellationToken ct = default)
    {
        var data = new JsonObject
        {
            ["hostname"] = Hostname,
            ["ha_udis"] = new JsonArray(members.Select(m => (JsonNode)new JsonObject
            {
                ["role"] = m.Role,
                ["sudi"] = new JsonObject { ["udi_pid"] = m.Device.Udi.Pid, ["udi_serial_number"] = m.Device.Udi.Serial },
            }).ToArray()),
        };
        var result = await ReadTrustAsync(await SendAsync("TRUST_SYNC", data, ct), ct);
        Install(result, members.Select(m => m.Device));
        return result;
    }

    /// <summary>Polls a job until it completes (RESULT_POLLING), at most <paramref name="maxPolls"/> times, without waiting between polls.</summary>
    public async Task<JsonObject> PollAsync(long pollId, int maxPolls = 10, CancellationToken ct = default)
    {
        JsonObject reply = new();
        for (var i = 0; i < maxPolls; i++)
        {
            reply = await SendAsync("RESULT_POLLING", new JsonObject { ["poll_id"] = pollId }, ct);
            if (reply["status"]?.GetValue<string>() != "OK_POLL") break;
        }
        return reply;
    }

    /// <summary>Sends one smart-transport message and returns the reply body (any status).</summary>
    public async Task<JsonObject> SendAsync(string type, JsonObject data, CancellationToken ct = default)
    {
        var body = new JsonObject
        {
            ["header"] = new JsonObject
            {
                ["version"] = "1.0", ["type"] = type, ["message_id"] = Guid.NewGuid().ToString(),
                ["timestamp"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), ["nonce"] = Guid.NewGuid().ToString("N")[..16],
            },
            ["sudi"] = new JsonObject { ["udi_pid"] = Udi.Pid, ["udi_serial_number"] = Udi.Serial },
            ["hostname"] = Hostname,
            ["data"] = data,
        };
        using var response = await _http.PostAsync(TransportPath, new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        return JsonNode.Parse(text) as JsonObject ?? throw new InvalidOperationException($"smart transport answered {(int)response.StatusCode} with a non-object: {text}");
    }

    /// <summary>The simulator's signing certificate (PEM), fetched once from <c>/_sim/certs/signing.pem</c>.</summary>
    public async Task<string> SigningCertificateAsync(CancellationToken ct = default) =>
        _signingCertificate ??= await _http.GetStringAsync("/_sim/certs/signing.pem", ct);

    private async Task<TrustResult> ReadTrustAsync(JsonObject reply, CancellationToken ct)
    {
        var status = reply["status"]?.GetValue<string>() ?? "";
        if (status != "COMPLETE")
            return new TrustResult(status, reply["error"]?["code"]?.GetValue<string>(), reply["error"]?["message"]?.GetValue<string>(), [], null, reply);
        var cert = await SigningCertificateAsync(ct);
        var codes = new List<InstalledTrustCode>();
        foreach (var item in reply["data"]?["trust_codes"]?.AsArray() ?? [])
        {
            var file = item!["smart_license"]!.GetValue<string>();
            var artefact = SignedArtefact.Read(file, "smartLicenseTrustCode");
            var json = JsonNode.Parse(artefact.Data)!;
            codes.Add(new InstalledTrustCode(
                new Udi(json["sudi"]!["udi_pid"]!.GetValue<string>(), json["sudi"]!["udi_serial_number"]!.GetValue<string>()),
                json["trust_code_id"]!.GetValue<string>(), json["piid"]!.GetValue<string>(), Convert.FromBase64String(json["rum_key"]!.GetValue<string>()),
                json["smart_account"]!["domain"]!.GetValue<string>(), json["virtual_account"]!["name"]!.GetValue<string>(),
                json["token_id"]?.GetValue<string>(), DateTimeOffset.FromUnixTimeMilliseconds(json["issued_at"]!.GetValue<long>()),
                file, artefact.VerifyWith(cert)));
        }
        return new TrustResult(status, null, null, codes, reply["data"]?["policy"]?.GetValue<string>(), reply);
    }

    private void Install(TrustResult result, IEnumerable<SimulatedProductInstance>? members)
    {
        foreach (var code in result.TrustCodes.Where(c => c.SignatureValid))
        {
            if (code.Udi == Udi) TrustCode = code;
            foreach (var m in members ?? []) if (m.Udi == code.Udi) m.TrustCode = code;
        }
    }
}
