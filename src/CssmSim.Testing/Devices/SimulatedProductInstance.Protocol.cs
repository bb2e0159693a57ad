using System.Text.Json.Nodes;

namespace CssmSim.Testing.Devices;

/// <summary>
/// What a device records of one message type (<c>show license tech support</c>, "Communication
/// Statistics"): attempts, successes and failures, the ongoing failures (overall, and those that were
/// communication failures: no reply at all), and the last response with its failure reason.
/// </summary>
public sealed record MessageStatistics(int Total, int Success, int Fail, int OngoingOverall, int OngoingCommunication, string? LastResponse,
    DateTimeOffset? LastResponseTime, DateTimeOffset? LastSuccessTime, string? FailureReason);

/// <summary>
/// A device's communication statistics per message type, counted as real devices count them
/// (device-captures.md §2.4): <c>OK_TRY_AGAIN</c>, <c>FAILED</c> and a non-2xx reply (<c>INVALID STATUS
/// CODE</c>) are failures but not communication failures; no reply (<c>NO REPLY</c>) is both.
/// </summary>
public sealed class CommunicationStatistics
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, MessageStatistics> _byType = new(StringComparer.Ordinal);

    /// <summary>The statistics of one message type (all zero before the first message of that type).</summary>
    public MessageStatistics this[string type]
    {
        get
        {
            lock (_gate) return _byType.TryGetValue(type, out var s) ? s : new MessageStatistics(0, 0, 0, 0, 0, null, null, null, null);
        }
    }

    /// <summary>Every message type sent so far.</summary>
    public IReadOnlyDictionary<string, MessageStatistics> All
    {
        get
        {
            lock (_gate) return new Dictionary<string, MessageStatistics>(_byType, StringComparer.Ordinal);
        }
    }

    internal void RecordReply(string type, JsonObject reply, DateTimeOffset at)
    {
        var status = reply["status"] is JsonValue v && v.TryGetValue<string>(out var text) ? text : "";
        if (status is "COMPLETE" or "OK_POLL") Succeeded(type, status, at);
        else Failed(type, status.Length == 0 ? "INVALID STATUS CODE" : status, reply["error"]?["message"] is JsonValue m && m.TryGetValue<string>(out var reason) ? reason : null, at, communication: false);
    }

    internal void RecordInvalidStatus(string type, string body, DateTimeOffset at) => Failed(type, "INVALID STATUS CODE", body, at, communication: false);

    internal void RecordNoReply(string type, DateTimeOffset at) => Failed(type, "NO REPLY", null, at, communication: true);

    private void Succeeded(string type, string status, DateTimeOffset at)
    {
        lock (_gate)
        {
            var s = this[type];
            _byType[type] = s with
            {
                Total = s.Total + 1,
                Success = s.Success + 1,
                OngoingOverall = 0,
                OngoingCommunication = 0,
                LastResponse = status,
                LastResponseTime = at,
                LastSuccessTime = at,
                FailureReason = null,
            };
        }
    }

    private void Failed(string type, string status, string? reason, DateTimeOffset at, bool communication)
    {
        lock (_gate)
        {
            var s = this[type];
            _byType[type] = s with
            {
                Total = s.Total + 1,
                Fail = s.Fail + 1,
                OngoingOverall = s.OngoingOverall + 1,
                OngoingCommunication = communication ? s.OngoingCommunication + 1 : s.OngoingCommunication,
                LastResponse = status,
                LastResponseTime = at,
                FailureReason = reason,
            };
        }
    }
}

public sealed partial class SimulatedProductInstance
{
    /// <summary>The protocol version this device sends (<c>Message Version: 1.3</c> on real devices).</summary>
    public const string ProtocolVersion = "1.3";

    /// <summary>The agent capabilities a current IOS XE agent lists (TS-12: <c>agent.capabilities</c>), <c>OK_TRY_AGAIN</c> among them.</summary>
    public static readonly IReadOnlyList<string> DefaultAgentCapabilities =
        ["UTILITY", "DLC", "AppHA", "MULTITIER", "EXPORT_2", "OK_TRY_AGAIN", "POLICY_USAGE", "TELEMETRY", "TELEMETRY_POLICY"];

    /// <summary>
    /// The <c>agent_capabilities</c> sent with every message. Without <c>OK_TRY_AGAIN</c> the device is an
    /// older agent: CSSM then answers LS_LICENGINE_FAIL_TO_CONNECT <c>FAILED</c> instead of <c>OK_TRY_AGAIN</c>.
    /// </summary>
    public IReadOnlyList<string> AgentCapabilities { get; set; } = DefaultAgentCapabilities;

    /// <summary>What this device counted of its exchanges, per message type.</summary>
    public CommunicationStatistics Statistics { get; } = new();

    /// <summary>
    /// How often a message answered <c>OK_TRY_AGAIN</c> is sent again (default 0: the answer is returned
    /// as it came). Each retry waits <see cref="TryAgainBackoff"/>, doubled after every attempt, through <see cref="WaitAsync"/>.
    /// </summary>
    public int TryAgainRetries { get; set; }

    /// <summary>The wait before the first retry of an <c>OK_TRY_AGAIN</c> message (default 60 s; doubles each time).</summary>
    public TimeSpan TryAgainBackoff { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How many RESULT_POLLING messages a report answered <c>OK_POLL</c> gets (default 3): the first at
    /// once, each further one after <c>poll_interval</c>, waited through <see cref="WaitAsync"/>.
    /// </summary>
    public int MaxAckPolls { get; set; } = 3;

    /// <summary>
    /// How the device waits (an OK_TRY_AGAIN back-off, <c>poll_interval</c> between polls). The default does
    /// not wait at all; the fixture's devices advance the simulator's virtual clock instead, so no test sleeps.
    /// </summary>
    public Func<TimeSpan, CancellationToken, Task> WaitAsync { get; set; } = static (_, _) => Task.CompletedTask;

    /// <summary>The waits this device went through, in order (back-offs and poll intervals).</summary>
    public List<TimeSpan> Waits { get; } = [];

    /// <summary>
    /// TELEMETRY_REPORTING: one RUM report per item whose measurement is <c>metric_name</c> <c>TELEMETRY</c>,
    /// signed with this device's RUM key; CSSM stores and acknowledges it (polled for like usage) but never
    /// counts it as license use.
    /// </summary>
    public async Task<UsageReportResult> SendTelemetryAsync(IEnumerable<(string Tag, long Value)> telemetry, DateTimeOffset? at = null, CancellationToken ct = default,
        bool pollForAck = true)
    {
        var (reports, ids) = ReportsMessage(telemetry, at, "TELEMETRY", keepPending: false);
        return await ReportAndAwaitAckAsync("TELEMETRY_REPORTING", new JsonObject { ["reports"] = reports }, ids, pollForAck, ct);
    }

    /// <summary>
    /// Sends one message and, when it is answered <c>OK_POLL</c>, polls for the result as a device does
    /// (at once, then every <c>poll_interval</c>, up to <see cref="MaxAckPolls"/> polls); returns the last reply.
    /// </summary>
    public async Task<JsonObject> SendAndPollAsync(string type, JsonObject data, CancellationToken ct = default)
    {
        var reply = await SendRetryingAsync(type, data, ct);
        if (reply["status"]?.GetValue<string>() != "OK_POLL" || ReadPollId(reply) is not { } pollId) return reply;
        var interval = Interval(reply, TimeSpan.FromSeconds(300));
        for (var i = 0; i < MaxAckPolls; i++)
        {
            if (i > 0) await WaitForAsync(interval, ct);
            reply = await SendRetryingAsync("RESULT_POLLING", new JsonObject { ["poll_id"] = pollId }, ct);
            interval = Interval(reply, interval);
            if (reply["status"]?.GetValue<string>() != "OK_POLL") break;
        }
        return reply;
    }

    private static TimeSpan Interval(JsonObject reply, TimeSpan fallback) =>
        reply["poll_interval"] is JsonValue v && v.TryGetValue<long>(out var s) && s > 0 ? TimeSpan.FromSeconds(s) : fallback;

    /// <summary>
    /// Polls a report answered <c>OK_POLL</c> for its ACK as a device does: at once, then every
    /// <c>poll_interval</c>, up to <see cref="MaxAckPolls"/> polls; the ACK is verified and imported.
    /// A result still <c>OK_POLL</c> can be polled again later with this method.
    /// </summary>
    public async Task<UsageReportResult> AwaitAckAsync(UsageReportResult pending, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(pending);
        if (pending.Status != "OK_POLL" || pending.PollId is not { } pollId) return pending;
        var interval = TimeSpan.FromSeconds(pending.Reply["poll_interval"] is JsonValue v && v.TryGetValue<long>(out var s) && s > 0 ? s : 300);
        var result = pending;
        for (var i = 0; i < MaxAckPolls; i++)
        {
            if (i > 0) await WaitForAsync(interval, ct);
            var reply = await SendRetryingAsync("RESULT_POLLING", new JsonObject { ["poll_id"] = pollId }, ct);
            if (reply["poll_interval"] is JsonValue next && next.TryGetValue<long>(out var seconds) && seconds > 0) interval = TimeSpan.FromSeconds(seconds);
            result = await ReadReportReplyAsync(reply, pending.ReportIds, ct) with { FirstStatus = pending.FirstStatus, PollId = pollId, Polls = result.Polls + 1 };
            if (result.Status != "OK_POLL") break;
        }
        return result;
    }

    private async Task<UsageReportResult> ReportAndAwaitAckAsync(string type, JsonObject data, IReadOnlyList<string> ids, bool pollForAck, CancellationToken ct)
    {
        var reply = await SendRetryingAsync(type, data, ct);
        var first = await ReadReportReplyAsync(reply, ids, ct);
        var status = first.Status;
        first = first with { FirstStatus = status, PollId = status == "OK_POLL" ? ReadPollId(reply) : null };
        return pollForAck && status == "OK_POLL" ? await AwaitAckAsync(first, ct) : first;
    }

    private async Task<UsageReportResult> ReadReportReplyAsync(JsonObject reply, IReadOnlyList<string> ids, CancellationToken ct)
    {
        var status = reply["status"]?.GetValue<string>() ?? "";
        if (status != "COMPLETE")
            return new UsageReportResult(status, reply["error"]?["code"]?.GetValue<string>(), reply["error"]?["message"]?.GetValue<string>(), null, reply, ids);
        var file = ReadingReply("a COMPLETE reply to a usage report", reply.ToJsonString(), () => reply["data"]!["ack"]!.GetValue<string>());
        var ack = await ImportAckAsync(file, ct);
        return new UsageReportResult(status, null, null, ack, reply, ids);
    }

    private static long? ReadPollId(JsonObject reply) => reply["poll_id"] is JsonValue v
        ? v.TryGetValue<long>(out var l) ? l : long.TryParse(v.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p) ? p : null
        : null;

    /// <summary>Sends a message and, while it is answered <c>OK_TRY_AGAIN</c>, sends it again after a back-off (<see cref="TryAgainRetries"/>).</summary>
    private async Task<JsonObject> SendRetryingAsync(string type, JsonObject data, CancellationToken ct)
    {
        var backoff = TryAgainBackoff;
        for (var attempt = 0; ; attempt++)
        {
            var reply = await SendAsync(type, (JsonObject)data.DeepClone(), ct);
            if (attempt >= TryAgainRetries || reply["status"]?.GetValue<string>() != "OK_TRY_AGAIN") return reply;
            await WaitForAsync(backoff, ct);
            backoff *= 2;
        }
    }

    private async Task WaitForAsync(TimeSpan delay, CancellationToken ct)
    {
        lock (Waits) Waits.Add(delay);
        await WaitAsync(delay, ct);
    }
}
