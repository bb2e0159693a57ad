using System.Net;
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

/// <summary>An ACK as a device reads it: report fates, what came with it, and whether its signature verified.</summary>
public sealed record ReceivedAck(string AckId, DateTimeOffset Timestamp, IReadOnlyDictionary<string, string> ReportStatuses, bool HasPolicy,
    IReadOnlyList<string> TrustCodeIds, string SmartAccountDomain, string VirtualAccountName, bool SignatureValid, string File);

/// <summary>The answer to a usage report as a device sees it.</summary>
public sealed record UsageReportResult(string Status, string? ErrorCode, string? ErrorMessage, ReceivedAck? Ack, JsonObject Reply, IReadOnlyList<string> ReportIds)
{
    /// <summary>The status of the USAGE_REPORTING (or TELEMETRY_REPORTING) reply itself: <c>OK_POLL</c> when the ACK came on a poll.</summary>
    public string? FirstStatus { get; init; }

    /// <summary>The poll id the report was answered with (null when it was answered at once or refused).</summary>
    public long? PollId { get; init; }

    /// <summary>How many RESULT_POLLING messages the device sent for this report.</summary>
    public int Polls { get; init; }

    /// <summary>The report was answered COMPLETE with an ACK.</summary>
    public bool Acknowledged => Status == "COMPLETE" && Ack is not null;
}

/// <summary>The answer to a trust request as a device sees it.</summary>
public sealed record TrustResult(string Status, string? ErrorCode, string? ErrorMessage, IReadOnlyList<InstalledTrustCode> TrustCodes, string? PolicyFile, JsonObject Reply)
{
    /// <summary>The request was answered COMPLETE with at least one trust code.</summary>
    public bool Trusted => Status == "COMPLETE" && TrustCodes.Count > 0;
}

/// <summary>
/// A product instance that talks to a simulator the way a device configured with
/// <c>license smart transport smart</c> does: over HTTP only, so it also works against a remote
/// simulator. It verifies artefacts with the simulator's published signing certificate and keeps
/// what it installs (its trust code and RUM key).
/// </summary>
public sealed partial class SimulatedProductInstance
{
    private readonly HttpClient _http;
    private string? _signingCertificate;

    /// <param name="http">A client whose base address is the simulator (or a real CSSM-compatible server).</param>
    /// <param name="pid">The product id of the UDI.</param>
    /// <param name="serial">The serial number of the UDI.</param>
    /// <param name="hostname">The hostname the device reports (default: the serial in lower case).</param>
    public SimulatedProductInstance(HttpClient http, string pid, string serial, string? hostname = null)
    {
        if (Udi.Problem(pid, serial) is { } problem) throw new ArgumentException(problem);
        _http = http;
        Udi = new Udi(pid, serial);
        Hostname = hostname ?? serial.ToLowerInvariant();
    }

    /// <summary>The device's identity (PID and serial number).</summary>
    public Udi Udi { get; }

    /// <summary>The hostname sent with each message.</summary>
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
        var reply = await SendRetryingAsync("TRUST_ESTABLISHMENT", data, ct);
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
        var result = await ReadTrustAsync(await SendRetryingAsync("TRUST_SYNC", data, ct), ct);
        Install(result, members.Select(m => m.Device));
        if (result.Status == "COMPLETE") InstallSlacsFrom(result.Reply, await SigningCertificateAsync(ct));
        return result;
    }

    private ulong _nextReportId = 1_000_000_000UL;

    /// <summary>Report ids this device has used, newest last (what a device's RUM store holds).</summary>
    public List<string> SentReportIds { get; } = [];

    /// <summary>
    /// Builds one RUM report per entitlement with the given in-use counts (measured over the last day of
    /// <paramref name="at"/>, default now), signs each with this device's RUM key and sends USAGE_REPORTING.
    /// <paramref name="askForTrust"/> adds a trust request for this device (how CSLU gets trust without a token).
    /// A tag may be one of the default seed's short names (<c>DNA_NWStack</c>, <c>AIR-DNA-A</c>, <c>DNA_HSEC</c>,
    /// <c>CSSMSIM_ENFORCED_DEMO</c>), as in scenario files.
    /// A report answered <c>OK_POLL</c> is polled for its ACK as a device does (<see cref="AwaitAckAsync"/>)
    /// unless <paramref name="pollForAck"/> is false.
    /// </summary>
    public async Task<UsageReportResult> ReportUsageAsync(IEnumerable<(string Tag, long Count)> usage, bool askForTrust = false, DateTimeOffset? at = null,
        CancellationToken ct = default, bool pollForAck = true)
    {
        var (reports, ids) = ReportsMessage(usage, at, "ENTITLEMENT", keepPending: true);
        var data = new JsonObject { ["reports"] = reports };
        if (askForTrust) data["trust_requests"] = new JsonArray(new JsonObject { ["sudi"] = new JsonObject { ["udi_pid"] = Udi.Pid, ["udi_serial_number"] = Udi.Serial } });
        return await ReportAndAwaitAckAsync("USAGE_REPORTING", data, ids, pollForAck, ct);
    }

    /// <summary>Sends a report again, byte for byte (a retry after a lost reply); an OK_POLL answer is polled for its ACK.</summary>
    public Task<JsonObject> ResendAsync(string payload, JsonObject signature, CancellationToken ct = default) =>
        SendAndPollAsync("USAGE_REPORTING", new JsonObject { ["reports"] = new JsonArray(new JsonObject { ["payload"] = payload, ["signature"] = signature.DeepClone() }) }, ct);

    /// <summary>
    /// RUM reports for this device, signed with its RUM key (a device without trust signs with zeros, as
    /// real ones have no key to use): (payload string, signature object, report id).
    /// </summary>
    public IReadOnlyList<(string Payload, JsonObject Signature, string ReportId)> BuildReports(IEnumerable<(string Tag, long Count)> usage, DateTimeOffset? at = null) =>
        BuildReports(usage, at, "ENTITLEMENT");

    /// <summary>The <c>reports</c> array of a USAGE_REPORTING or TELEMETRY_REPORTING message, and its report ids.</summary>
    private (JsonArray Reports, List<string> Ids) ReportsMessage(IEnumerable<(string Tag, long Count)> items, DateTimeOffset? at, string metricName, bool keepPending)
    {
        var reports = new JsonArray();
        var ids = new List<string>();
        foreach (var (payload, signature, id) in BuildReports(items, at, metricName))
        {
            reports.Add(new JsonObject { ["payload"] = payload, ["signature"] = signature });
            ids.Add(id);
            if (keepPending) KeepPending(id, payload, signature);
        }
        return (reports, ids);
    }

    private List<(string Payload, JsonObject Signature, string ReportId)> BuildReports(IEnumerable<(string Tag, long Count)> usage, DateTimeOffset? at, string metricName)
    {
        var end = at ?? DateTimeOffset.UtcNow;
        var result = new List<(string, JsonObject, string)>();
        foreach (var (tag, count) in usage)
        {
            var id = _nextReportId++;
            // Short names (DNA_NWStack) resolve as in scenario files: reported as given, they were a license of their own.
            var builder = new Engine.Usage.RumReportBuilder(new Engine.Usage.RumUdi(Udi.Pid, Udi.Serial), Engine.Licensing.LicenseShortNames.Resolve(tag), id)
            {
                AssetName = Hostname, MetricName = metricName,
            };
            builder.AddMeasurement(count, end.AddDays(-1), end);
            var signed = builder.BuildSigned(RumKey ?? new byte[32]);
            var signature = new JsonObject
            {
                ["sudi"] = new JsonObject { ["udi_pid"] = Udi.Pid, ["udi_serial_number"] = Udi.Serial },
                ["signing_type"] = signed.Signature.SigningType,
                ["key"] = signed.Signature.Key,
                ["value"] = signed.Signature.Value,
            };
            var idText = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            SentReportIds.Add(idText);
            result.Add((signed.PayloadJson, signature, idText));
        }
        return result;
    }

    /// <summary>Reads an ACK file (verifying its signature with the simulator's certificate) and installs any trust code in it.</summary>
    public async Task<ReceivedAck> ImportAckAsync(string file, CancellationToken ct = default)
    {
        var cert = await SigningCertificateAsync(ct);
        return ReadingReply("the ACK", file, () => ReadAck(file, cert));
    }

    private ReceivedAck ReadAck(string file, string cert)
    {
        var artefact = SignedArtefact.Read(file, "smartLicenseRumAck");
        var json = JsonNode.Parse(artefact.Data)!;
        var statuses = new Dictionary<string, string>();
        foreach (var a in json["acknowledgements"]!.AsArray()) statuses[a!["report_id"]!.ToJsonString().Trim('"')] = a["status"]!.GetValue<string>();
        var trustCodes = SignedArtefact.ReadAll(file, "smartLicenseTrustCode");
        foreach (var code in trustCodes)
        {
            var t = JsonNode.Parse(code.Data)!;
            var udi = new Udi(t["sudi"]!["udi_pid"]!.GetValue<string>(), t["sudi"]!["udi_serial_number"]!.GetValue<string>());
            if (udi != Udi) continue;
            var installed = new InstalledTrustCode(udi, t["trust_code_id"]!.GetValue<string>(), t["piid"]!.GetValue<string>(),
                Convert.FromBase64String(t["rum_key"]!.GetValue<string>()), t["smart_account"]!["domain"]!.GetValue<string>(),
                t["virtual_account"]!["name"]!.GetValue<string>(), t["token_id"]?.GetValue<string>(),
                DateTimeOffset.FromUnixTimeMilliseconds(t["issued_at"]!.GetValue<long>()), SignedArtefact.File(ElementOf(file, code)), code.VerifyWith(cert));
            if (AcceptTrustCode(this, installed)) TrustCode = installed;
        }
        InstallFromAck(file, cert, artefact.VerifyWith(cert), statuses.Keys);
        return new ReceivedAck(json["ack_id"]!.GetValue<string>(), DateTimeOffset.FromUnixTimeMilliseconds(json["timestamp"]!.GetValue<long>()), statuses,
            file.Contains("<smartLicensePolicy>", StringComparison.Ordinal), trustCodes.Select(c => JsonNode.Parse(c.Data)!["trust_code_id"]!.GetValue<string>()).ToList(),
            json["smart_account"]!["domain"]!.GetValue<string>(), json["virtual_account"]!["name"]!.GetValue<string>(), artefact.VerifyWith(cert), file);
    }

    // The trust code element as it stands in the ACK, so the installed file is the signed original.
    private static string ElementOf(string file, ParsedArtefact code)
    {
        var data = Convert.ToBase64String(code.Data);
        var at = file.IndexOf(data, StringComparison.Ordinal);
        var start = file.LastIndexOf("<smartLicenseTrustCode>", at, StringComparison.Ordinal);
        var end = file.IndexOf("</smartLicenseTrustCode>", at, StringComparison.Ordinal) + "</smartLicenseTrustCode>".Length;
        return file[start..end];
    }

    /// <summary>The SLR, PLR or SLAC this device installed last (verified with the simulator's certificate).</summary>
    public Engine.Authorizations.Codes.SignedAuthorizationCode? Authorization { get; private set; }

    /// <summary>The request code this device shows for a reservation (<c>license smart reservation request local</c>).</summary>
    public string CreateReservationRequestCode(int seed = 0) =>
        Engine.Authorizations.Codes.RequestCode.Generate(new Engine.Authorizations.Codes.UdiRef(Udi.Pid, Udi.Serial), new Random(seed));

    /// <summary>Installs an SLR code (<c>&lt;specificPLR&gt;</c>) or a SLAC file after checking its signature and that it names this device.</summary>
    public async Task<bool> InstallAuthorizationAsync(string code, CancellationToken ct = default)
    {
        var parsed = code.Contains("<specificPLR>", StringComparison.Ordinal)
            ? Engine.Authorizations.Codes.SlrCode.Parse(code)
            : Engine.Authorizations.Codes.SlacCode.Parse(code);
        return InstallSlac(parsed, await SigningCertificateAsync(ct));
    }

    /// <summary>The confirmation code the device shows after installing its authorization.</summary>
    public string? ConfirmationCode => Authorization?.ExpectedConfirmationCode;

    /// <summary>
    /// The return code the device shows when its authorization is removed: it encodes the
    /// authorization's id, so the simulator can decode it without knowing the device.
    /// </summary>
    public string ReturnCode()
    {
        var installed = Authorization ?? throw new InvalidOperationException("no authorization installed");
        return Engine.Authorizations.Codes.ReturnCode.Generate(Engine.Authorizations.AuthorizationId.Of(installed), new Engine.Authorizations.Codes.UdiRef(Udi.Pid, Udi.Serial));
    }

    /// <summary>AUTHORIZATION_REQUEST for SLACs; a granted SLAC is verified and installed.</summary>
    public async Task<JsonObject> RequestAuthorizationAsync(IEnumerable<(string Tag, long Count)> entitlements, bool replace = false, CancellationToken ct = default)
    {
        var reply = await SendRetryingAsync("AUTHORIZATION_REQUEST", new JsonObject
        {
            ["entitlements"] = new JsonArray(entitlements.Select(e => (JsonNode)new JsonObject { ["tag"] = Engine.Licensing.LicenseShortNames.Resolve(e.Tag), ["count"] = e.Count }).ToArray()),
            ["scope"] = "local",
            ["mode"] = replace ? "replace" : "add",
        }, ct);
        if (reply["data"]?["authorizations"]?.AsArray().FirstOrDefault(a => a?["sudi"]?["udi_serial_number"]?.GetValue<string>() == Udi.Serial) is { } mine)
        {
            await InstallAuthorizationAsync(mine["smart_license"]!.GetValue<string>(), ct);
            InstallPolicyFrom(reply["data"]?["policy"]?.GetValue<string>(), await SigningCertificateAsync(ct));
        }
        return reply;
    }

    /// <summary>AUTHORIZATION_CONFIRMATION with the installed authorization's confirmation code.</summary>
    public Task<JsonObject> ConfirmAuthorizationAsync(CancellationToken ct = default) =>
        SendAsync("AUTHORIZATION_CONFIRMATION", new JsonObject { ["confirmation_code"] = ConfirmationCode ?? "" }, ct);

    /// <summary>AUTHORIZATION_RETURN with this device's return code; the installed authorization is removed.</summary>
    public async Task<JsonObject> ReturnAuthorizationAsync(CancellationToken ct = default)
    {
        var reply = await SendAsync("AUTHORIZATION_RETURN", new JsonObject { ["return_code"] = ReturnCode() }, ct);
        if (reply["status"]?.GetValue<string>() == "COMPLETE") Authorization = null;
        return reply;
    }

    /// <summary>Polls a job until it completes (RESULT_POLLING), at most <paramref name="maxPolls"/> times, without waiting between polls.</summary>
    public async Task<JsonObject> PollAsync(long pollId, int maxPolls = 10, CancellationToken ct = default)
    {
        JsonObject reply = new();
        for (var i = 0; i < maxPolls; i++)
        {
            reply = await SendRetryingAsync("RESULT_POLLING", new JsonObject { ["poll_id"] = pollId }, ct);
            if (reply["status"]?.GetValue<string>() != "OK_POLL") break;
        }
        return reply;
    }

    /// <summary>
    /// Reads a trust reply that arrived later, from a RESULT_POLLING answer to a trust request that was
    /// answered OK_POLL, and installs its codes here and on <paramref name="members"/> like a direct reply.
    /// </summary>
    public async Task<TrustResult> AcceptTrustReplyAsync(JsonObject reply, IEnumerable<SimulatedProductInstance>? members = null, CancellationToken ct = default)
    {
        var result = await ReadTrustAsync(reply, ct);
        Install(result, members);
        return result;
    }

    /// <summary>Sends one smart-transport message and returns the reply body (any status).</summary>
    public async Task<JsonObject> SendAsync(string type, JsonObject data, CancellationToken ct = default)
    {
        var body = new JsonObject
        {
            ["header"] = new JsonObject
            {
                ["version"] = ProtocolVersion, ["type"] = type, ["message_id"] = Guid.NewGuid().ToString(),
                ["timestamp"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), ["nonce"] = Guid.NewGuid().ToString("N")[..16],
            },
            ["sudi"] = new JsonObject { ["udi_pid"] = Udi.Pid, ["udi_serial_number"] = Udi.Serial },
            ["hostname"] = Hostname,
            ["agent_capabilities"] = new JsonArray(AgentCapabilities.Select(c => (JsonNode)JsonValue.Create(c)).ToArray()),
            ["data"] = data,
        };
        NameSelf(type, body);
        Reply reply;
        try
        {
            reply = await ExchangeAsync(type, HttpMethod.Post, TransportPath, new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), ct);
        }
        catch (SmartTransportException)
        {
            Statistics.RecordNoReply(type, Now);
            throw;
        }
        JsonNode? node;
        string? notJson = null;
        try
        {
            node = JsonNode.Parse(reply.Text);
        }
        catch (JsonException e)
        {
            node = null;
            notJson = e.Message;
        }
        // A reply object is the answer whatever its status: CSSM's errors come as FAILED replies.
        // Counted as a device counts it: a non-2xx reply is INVALID STATUS CODE, a body that does not read no reply at all.
        if (node is JsonObject o)
        {
            NoteReply((int)reply.Status, o);
            if (reply.Succeeded) Statistics.RecordReply(type, o, Now);
            else Statistics.RecordInvalidStatus(type, reply.Text, Now);
            return o;
        }
        if (reply.Succeeded) Statistics.RecordNoReply(type, Now);
        else Statistics.RecordInvalidStatus(type, reply.Text, Now);
        if (!reply.Succeeded)
            throw new SmartTransportException($"{type} to {reply.Where} answered {reply.StatusText}{RetryText(reply.RetryAfter)} without a smart-transport reply: {Snippet(reply.Text)}",
                TransportFailure.HttpStatus, reply.Status, reply.RetryAfter);
        var what = reply.Text.Length == 0 ? "an empty body"
            : notJson is null ? "JSON that is not an object"
            : $"a body that is not JSON or was cut off ({reply.Text.Length} characters; {notJson})";
        throw new SmartTransportException($"{type} to {reply.Where} answered {reply.StatusText} with {what}: {Snippet(reply.Text)}", TransportFailure.InvalidReply, reply.Status);
    }

    /// <summary>
    /// How long one request may take, reply body included, before the device gives up with a
    /// <see cref="SmartTransportException"/> (default 60 s; the HttpClient's own timeout applies too).
    /// </summary>
    public TimeSpan RequestTimeout
    {
        get => _requestTimeout;
        set
        {
            if (value <= TimeSpan.Zero && value != Timeout.InfiniteTimeSpan) throw new ArgumentOutOfRangeException(nameof(value), value, "a request timeout must be positive (or Timeout.InfiniteTimeSpan)");
            _requestTimeout = value;
        }
    }

    private TimeSpan _requestTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The simulator's signing certificate (PEM), fetched once from <c>/_sim/certs/signing.pem</c>.</summary>
    public async Task<string> SigningCertificateAsync(CancellationToken ct = default)
    {
        if (_signingCertificate is { } known) return known;
        const string path = "/_sim/certs/signing.pem";
        var reply = await ExchangeAsync("GET signing certificate", HttpMethod.Get, path, null, ct);
        if (!reply.Succeeded)
            throw new SmartTransportException($"GET {reply.Where} answered {reply.StatusText}{RetryText(reply.RetryAfter)}: {Snippet(reply.Text)}",
                TransportFailure.HttpStatus, reply.Status, reply.RetryAfter);
        if (!reply.Text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
            throw new SmartTransportException($"GET {reply.Where} answered {reply.StatusText} without a PEM certificate: {Snippet(reply.Text)}", TransportFailure.InvalidReply, reply.Status);
        return _signingCertificate = reply.Text;
    }

    private sealed record Reply(Uri Where, HttpStatusCode Status, TimeSpan? RetryAfter, string Text)
    {
        public bool Succeeded => (int)Status is >= 200 and < 300;
        public string StatusText => $"{(int)Status} {Status}";
    }

    // One request with the whole reply read under the device's timeout; every way of getting no
    // whole reply becomes a SmartTransportException that names the request and the server.
    private async Task<Reply> ExchangeAsync(string what, HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        var where = _http.BaseAddress is { } b ? new Uri(b, path) : new Uri(path, UriKind.RelativeOrAbsolute);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_requestTimeout);
        try
        {
            using var request = new HttpRequestMessage(method, path) { Content = content };
            using var response = await _http.SendAsync(request, timeout.Token);
            var text = await response.Content.ReadAsStringAsync(timeout.Token);
            var retryAfter = response.Headers.RetryAfter is { } r ? r.Delta ?? (r.Date - DateTimeOffset.UtcNow) : null;
            return new Reply(where, response.StatusCode, retryAfter, text);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw new SmartTransportException($"{what} to {where} got no whole reply: the connection failed or was dropped ({Innermost(e)})", TransportFailure.ConnectionFailed, inner: e);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            var limit = _http.Timeout < _requestTimeout ? _http.Timeout : _requestTimeout;
            throw new SmartTransportException($"{what} to {where} got no whole reply within {limit.TotalSeconds:0.###} s", TransportFailure.Timeout, inner: e);
        }
        finally
        {
            content?.Dispose();
        }
    }

    private static string Innermost(Exception e)
    {
        var messages = new List<string>();
        for (var x = e; x is not null; x = x.InnerException) messages.Add(x.Message);
        return string.Join(" <- ", messages);
    }

    private static string RetryText(TimeSpan? retryAfter) =>
        retryAfter is { } r ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $" (Retry-After {Math.Max(0, r.TotalSeconds):0} s)") : "";

    // The start of a body for a message: control characters (binary garbage) shown as '?'.
    private static string Snippet(string text)
    {
        if (text.Length == 0) return "(empty body)";
        var head = text.Length <= 300 ? text : text[..300] + "…";
        return string.Create(head.Length, head, (span, source) =>
        {
            for (var i = 0; i < source.Length; i++) span[i] = char.IsControl(source[i]) && source[i] != '\n' ? '?' : source[i];
        });
    }

    // A COMPLETE reply that does not hold what it promises (missing fields, a broken artefact) is a
    // bad reply, said as such, rather than a NullReferenceException from deep in the reading code.
    private static T ReadingReply<T>(string what, string text, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is not SmartTransportException
                                  && e is NullReferenceException or InvalidOperationException or FormatException or JsonException or ArgumentException or KeyNotFoundException)
        {
            throw new SmartTransportException($"{what} does not read ({e.Message}): {Snippet(text)}", TransportFailure.InvalidReply, inner: e);
        }
    }

    private async Task<TrustResult> ReadTrustAsync(JsonObject reply, CancellationToken ct)
    {
        var status = reply["status"]?.GetValue<string>() ?? "";
        if (status != "COMPLETE")
            return new TrustResult(status, reply["error"]?["code"]?.GetValue<string>(), reply["error"]?["message"]?.GetValue<string>(), [], null, reply);
        var cert = await SigningCertificateAsync(ct);
        return ReadingReply("a COMPLETE trust reply", reply.ToJsonString(), () => ReadTrustCodes(reply, status, cert));
    }

    private static TrustResult ReadTrustCodes(JsonObject reply, string status, string cert)
    {
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
        foreach (var code in result.TrustCodes)
        {
            // Each device verifies its own code and logs its own failure.
            if (code.Udi == Udi && AcceptTrustCode(this, code)) TrustCode = code;
            foreach (var m in members ?? []) if (m.Udi == code.Udi && AcceptTrustCode(m, code)) m.TrustCode = code;
        }
        if (result.Status == "COMPLETE" && _signingCertificate is { } cert) InstallPolicyFrom(result.PolicyFile, cert);
    }
}
