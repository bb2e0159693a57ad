using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Engine.Accounts;
using CssmSim.Engine.Faults;
using CssmSim.Engine.Ids;
using CssmSim.Engine.Jobs;
using CssmSim.Engine.ProductInstances;
using CssmSim.Engine.Seeding;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Time;
using CssmSim.Engine.Trust;
using CssmSim.Server.Hosting;
using CssmSim.Server.Journal;
using CssmSim.Server.Pipeline;

namespace CssmSim.Server.SmartTransport;

/// <summary>
/// <c>POST /licservice/license</c>: the endpoint a product instance configured with
/// <c>license smart transport smart</c> talks to (smart-transport.md). No bearer token.
/// Business failures are HTTP 200 with <c>"status":"FAILED"</c> and an error code.
/// </summary>
public static class SmartTransportApi
{
    public static IEndpointRouteBuilder MapSmartTransportApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/licservice/license", HandleAsync).WithName("SmartTransport").WithTags("Smart transport").ExcludeFromDescription()
            .WithMetadata(new SimOperation("unknown"), new DeferredFaultEvaluation());
        return app;
    }

    private sealed record Reply(string Status, JsonObject? Data = null, string? ErrorCode = null, string? ErrorMessage = null, string? PollId = null, long? PollInterval = null);

    private static async Task<IResult> HandleAsync(HttpContext ctx, SimulatorOptions options, SimulatorClock clock, ISimulatorStore store,
        TrustService trust, JobService jobs, SeedService seeds)
    {
        var message = await SmartTransportMessage.ReadAsync(ctx);
        var journal = ctx.Journal();
        journal.Operation = message.Type;
        journal.Udi = message.Sudi.ToString();

        var reply = await DispatchAsync(ctx, message, options, clock, store, trust, jobs);
        var header = new JsonObject
        {
            ["version"] = SmartTransportMessage.Text(message.Header?["version"]) ?? "1.0",
            ["type"] = message.Type,
            ["message_id"] = message.MessageId,
            ["correlation_id"] = seeds.Ids.Uuid5($"smart-transport/{message.Sudi}/{message.MessageId ?? RequestIds.Get(ctx)}").ToString(),
            ["timestamp"] = clock.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        var body = new JsonObject { ["header"] = header, ["status"] = reply.Status };
        if (reply.PollId is not null)
        {
            body["poll_id"] = long.Parse(reply.PollId, System.Globalization.CultureInfo.InvariantCulture);
            body["poll_interval"] = reply.PollInterval;
        }
        if (reply.ErrorCode is not null) body["error"] = new JsonObject { ["code"] = reply.ErrorCode, ["message"] = reply.ErrorMessage };
        if (reply.Data is not null) body["data"] = reply.Data;
        journal.SetOutcome(reply.Status, reply.ErrorCode);
        return Results.Text(body.ToJsonString(ApiErrors.Json), "application/json");
    }

    private static async Task<Reply> DispatchAsync(HttpContext ctx, SmartTransportMessage m, SimulatorOptions options, SimulatorClock clock,
        ISimulatorStore store, TrustService trust, JobService jobs)
    {
        var ct = ctx.RequestAborted;
        var faults = ctx.Faults();
        if (m.Type == "TRUST_ESTABLISHMENT")
            return await TrustEstablishmentAsync(ctx, m, trust, jobs, store);

        // Every other message names no account: the sender's product instance does, when known.
        var pi = await store.Inventory.FindProductInstanceAsync(m.Sudi.ToString(), ct);
        (SmartAccount Account, VirtualAccount VirtualAccount)? owner = pi is null ? null : await store.Accounts.FindByVirtualAccountIdAsync(pi.VirtualAccountId, ct);
        if (owner is { } o) { ctx.Journal().SmartAccount = o.Account.Domain; ctx.Journal().VirtualAccount = o.VirtualAccount.Name; }
        var decision = await faults.EvaluateAsync(m.Type, owner?.Account.Domain, owner?.VirtualAccount.Name, m.Sudi.Pid, m.Sudi.Serial);
        if (decision?.Effect.Error is { } faultCode && m.Type != "RESULT_POLLING") return Failed(faultCode, "Server error occurred: " + faultCode);
        if (SkewProblem(m, options, clock) is { } skew) return skew;
        var reply = await RouteAsync();
        // Only a message that was handled counts as contact: a refused one leaves the store as it was.
        if (pi is not null && reply.Status != "FAILED") await store.Inventory.TouchAsync(pi.Udi, clock.GetUtcNow(), ct);
        return reply;

        async Task<Reply> RouteAsync()
        {
            switch (m.Type)
            {
                case "HELLO":
                    return new Reply("COMPLETE", new JsonObject { ["server_time"] = clock.GetUtcNow().ToUnixTimeMilliseconds() });
                case "TRUST_SYNC":
                {
                    var members = ReadMembers(m.Data["ha_udis"]);
                    if (members is null) return Failed("INVALID_MESSAGE", "data.ha_udis must be a list of {role, sudi}");
                    var outcome = await trust.SyncAsync(m.Sudi, SmartTransportMessage.Text(m.Data["hostname"]) ?? m.Hostname, members, decision, ct);
                    return await CompleteOrPollAsync(outcome, "trust", m, owner?.Account, jobs, ct);
                }
                case "TRUST_ACKNOWLEDGEMENT":
                {
                    var id = SmartTransportMessage.Text(m.Data["trust_code_id"]);
                    if (string.IsNullOrWhiteSpace(id)) return Failed("INVALID_MESSAGE", "data.trust_code_id is required");
                    if (pi?.TrustCodeId is null) return Failed("TRUST_REQUIRED", $"{m.Sudi} has no trust");
                    return await trust.AcknowledgeAsync(m.Sudi, id.Trim(), ct)
                        ? new Reply("COMPLETE", new JsonObject())
                        : Failed("INVALID_MESSAGE", $"trust code {id} was not issued to {m.Sudi}");
                }
                case "RESULT_POLLING":
                    return await PollAsync(m, decision, jobs, ct);
                case "USAGE_REPORTING":
                    return await UsageReportingAsync(ctx, m, pi, owner, decision, jobs);
                case "AUTHORIZATION_REQUEST":
                    return await AuthorizationRequestAsync(ctx, m, pi, owner, jobs);
                case "AUTHORIZATION_CONFIRMATION":
                {
                    if (pi?.TrustCodeId is null) return Failed("TRUST_REQUIRED", $"{m.Sudi} has no trust");
                    var code = SmartTransportMessage.Text(m.Data["confirmation_code"]);
                    if (string.IsNullOrWhiteSpace(code)) return Failed("INVALID_MESSAGE", "data.confirmation_code is required");
                    var authorizations = ctx.RequestServices.GetRequiredService<Engine.Authorizations.AuthorizationService>();
                    return await authorizations.ConfirmAsync(m.Sudi, code, ct) is null
                        ? Failed("INVALID_MESSAGE", $"confirmation code {code.Trim()} matches no authorization of {m.Sudi} awaiting confirmation")
                        : new Reply("COMPLETE", new JsonObject());
                }
                case "AUTHORIZATION_RETURN":
                {
                    if (pi?.TrustCodeId is null) return Failed("TRUST_REQUIRED", $"{m.Sudi} has no trust");
                    var authorizations = ctx.RequestServices.GetRequiredService<Engine.Authorizations.AuthorizationService>();
                    var tags = (m.Data["entitlements"] as JsonArray)?.Select(e => SmartTransportMessage.Text((e as JsonObject)?["tag"])).OfType<string>().ToList();
                    var returned = await authorizations.ReturnSlacAsync(m.Sudi, SmartTransportMessage.Text(m.Data["return_code"]), tags, ct);
                    return returned.Succeeded
                        ? new Reply("COMPLETE", new JsonObject { ["confirmation_code"] = returned.ConfirmationCode })
                        : Failed(returned.ErrorCode!, returned.ErrorMessage!);
                }
                default:
                    return Failed("INVALID_MESSAGE", $"unknown message type '{m.Type}'");
            }
        }
    }

    /// <summary>
    /// AUTHORIZATION_REQUEST: SLACs for the sender (scope local) or every member of its HA set (all).
    /// Any failure fails the whole request and releases what was issued for it.
    /// </summary>
    private static async Task<Reply> AuthorizationRequestAsync(HttpContext ctx, SmartTransportMessage m, StoredProductInstance? pi,
        (SmartAccount Account, VirtualAccount VirtualAccount)? owner, JobService jobs)
    {
        var ct = ctx.RequestAborted;
        if (pi?.TrustCodeId is null) return Failed("TRUST_REQUIRED", $"{m.Sudi} has no trust");
        var entitlements = new List<(string, long)>();
        foreach (var e in m.Data["entitlements"] as JsonArray ?? [])
        {
            var tag = SmartTransportMessage.Text((e as JsonObject)?["tag"]);
            if (tag is null || SmartTransportMessage.Number(e!["count"]) is not { } count) return Failed("INVALID_MESSAGE", "data.entitlements items need a tag and a count");
            entitlements.Add((tag, count));
        }
        if (entitlements.Count == 0) return Failed("INVALID_MESSAGE", "data.entitlements must list at least one {tag, count}");
        var mode = SmartTransportMessage.Text(m.Data["mode"]) ?? "add";
        var scope = SmartTransportMessage.Text(m.Data["scope"]) ?? "local";
        if (mode is not ("add" or "replace") || scope is not ("local" or "all")) return Failed("INVALID_MESSAGE", "data.mode must be add|replace and data.scope local|all");
        var store = ctx.RequestServices.GetRequiredService<ISimulatorStore>();
        var udis = new List<Udi> { m.Sudi };
        if (scope == "all" && pi.HaGroup is { } group)
            udis.AddRange((await store.Inventory.ListProductInstancesAsync([pi.VirtualAccountId], ct)).Where(p => p.HaGroup == group && p.Udi != pi.Udi)
                .Select(p => new Udi(p.Pid, p.Serial)));
        var authorizations = ctx.RequestServices.GetRequiredService<Engine.Authorizations.AuthorizationService>();
        var issued = new List<(Udi Udi, Engine.Authorizations.SlacOutcome Outcome)>();
        foreach (var udi in udis)
        {
            var outcome = await authorizations.RequestSlacAsync(new Engine.Authorizations.SlacRequest(udi, entitlements, mode == "replace", Confirmed: false), ct);
            if (!outcome.Succeeded)
            {
                foreach (var done in issued) await store.Authorizations.ReturnAsync([done.Outcome.Authorization!.Id], DateTimeOffset.UtcNow, ct);
                return Failed(outcome.ErrorCode!, outcome.ErrorMessage!);
            }
            issued.Add((udi, outcome));
        }
        var data = new JsonObject
        {
            ["authorizations"] = new JsonArray(issued.Select(i => (JsonNode)new JsonObject
            {
                ["sudi"] = SmartTransportMessage.SudiJson(i.Udi),
                ["smart_license"] = i.Outcome.Code!.ToSlacFileXml(),
            }).ToArray()),
        };
        var job = await jobs.SubmitAsync(new JobRequest("authorizations", m.Sudi.Pid, m.Sudi.Serial, owner?.Account.Id, owner?.Account.Domain, data.ToJsonString()),
            ct, storeWhenImmediate: false);
        return job.CompletesImmediately ? new Reply("COMPLETE", data) : new Reply("OK_POLL", PollId: job.PollId, PollInterval: job.PollInterval);
    }

    /// <summary>
    /// USAGE_REPORTING: reports (and trust requests) from a trusted device, or from a known one
    /// that asks for trust in the same message; the ACK comes back at once or as a job.
    /// </summary>
    private static async Task<Reply> UsageReportingAsync(HttpContext ctx, SmartTransportMessage m, StoredProductInstance? pi,
        (SmartAccount Account, VirtualAccount VirtualAccount)? owner, FaultDecision? decision, JobService jobs)
    {
        var trustRequests = (m.Data["trust_requests"] as JsonArray ?? []).Select(t => SmartTransportMessage.ReadUdi((t as JsonObject)?["sudi"])).OfType<Udi>().ToList();
        if (pi?.TrustCodeId is null && !(pi is not null && trustRequests.Contains(m.Sudi)))
            return Failed("TRUST_REQUIRED", $"{m.Sudi} has no trust; establish trust or send a trust request from a known product instance");
        var reports = new List<Engine.Usage.RumReport>();
        var index = 0;
        foreach (var item in m.Data["reports"] as JsonArray ?? [])
        {
            var payload = SmartTransportMessage.Text((item as JsonObject)?["payload"]);
            if (payload is null) return Failed("INVALID_MESSAGE", $"data.reports[{index}].payload must be the report JSON as a string");
            var parsed = Engine.Usage.RumReport.FromPayload(payload, SmartTransportMessage.ReadSignature(item!["signature"]), entryIndex: index);
            if (parsed.Report is null) return Failed("INVALID_MESSAGE", $"data.reports[{index}]: {parsed.Error!.Message}");
            reports.Add(parsed.Report);
            index++;
        }
        // authorization_requests items are AUTHORIZATION_REQUEST data plus sudi (the sender's when absent).
        var asked = new List<Engine.Authorizations.SlacRequest>();
        foreach (var a in m.Data["authorization_requests"] as JsonArray ?? [])
        {
            var udi = SmartTransportMessage.ReadUdi((a as JsonObject)?["sudi"]) ?? m.Sudi;
            var entitlements = ((a as JsonObject)?["entitlements"] as JsonArray ?? []).Select(e => (Tag: SmartTransportMessage.Text((e as JsonObject)?["tag"]), Count: SmartTransportMessage.Number((e as JsonObject)?["count"])))
                .Where(e => e.Tag is not null && e.Count is not null).Select(e => (e.Tag!, e.Count!.Value)).ToList();
            if (entitlements.Count > 0) asked.Add(new Engine.Authorizations.SlacRequest(udi, entitlements, SmartTransportMessage.Text((a as JsonObject)?["mode"]) == "replace", Confirmed: false));
        }
        var usage = ctx.RequestServices.GetRequiredService<Engine.Usage.UsageService>();
        var strict = ctx.RequestServices.GetRequiredService<SimulatorOptions>().RumStrictSignatures;
        Engine.Usage.UsageResult result;
        try
        {
            result = await usage.SubmitAsync(new Engine.Usage.UsageSubmission(owner!.Value.VirtualAccount, reports, trustRequests, "smart-transport", decision,
                VerifySignatures: strict, AuthorizationRequests: asked), ctx.RequestAborted);
        }
        catch (Engine.Usage.UsageRejectedException e)
        {
            return Failed(e.Code, e.Message);
        }
        var ack = result.Acks.FirstOrDefault(a => a.Udi == m.Sudi) ?? result.Acks.FirstOrDefault();
        if (ack is null) return Failed("INVALID_MESSAGE", "nothing to acknowledge: data.reports and data.trust_requests are empty");
        var data = new JsonObject { ["ack"] = ack.File };
        if (result.Acks.Count > 1)
            data["acks"] = new JsonArray(result.Acks.Select(a => (JsonNode)new JsonObject { ["sudi"] = SmartTransportMessage.SudiJson(a.Udi), ["ack"] = a.File }).ToArray());
        var job = await jobs.SubmitAsync(new JobRequest("acknowledgements", m.Sudi.Pid, m.Sudi.Serial, owner.Value.Account.Id, owner.Value.Account.Domain,
            data.ToJsonString(), NeverComplete: decision?.Effect.Poll?.NeverComplete == true, FailCode: decision?.Effect.Poll?.FailWith),
            ctx.RequestAborted, storeWhenImmediate: false);
        return job.CompletesImmediately && job.Job.FailCode is null
            ? new Reply("COMPLETE", data)
            : new Reply("OK_POLL", PollId: job.PollId, PollInterval: job.PollInterval);
    }

    private static async Task<Reply> TrustEstablishmentAsync(HttpContext ctx, SmartTransportMessage m, TrustService trust, JobService jobs, ISimulatorStore store)
    {
        var ct = ctx.RequestAborted;
        var idToken = SmartTransportMessage.Text(m.Data["id_token"]);
        var probe = string.IsNullOrWhiteSpace(idToken) ? null : await trust.ProbeTokenAsync(idToken, ct);
        var journal = ctx.Journal();
        journal.TokenId = probe?.TokenId;
        journal.SmartAccount = probe?.SmartAccount;
        journal.VirtualAccount = probe?.VirtualAccount;
        var decision = await ctx.Faults().EvaluateAsync("TRUST_ESTABLISHMENT", probe?.SmartAccount, probe?.VirtualAccount, m.Sudi.Pid, m.Sudi.Serial,
            probe?.TokenId, idToken, probe?.Limited);
        if (decision?.Effect.Error is { } faultCode) return Failed(faultCode, "Server error occurred: " + faultCode);
        var options = ctx.RequestServices.GetRequiredService<SimulatorOptions>();
        var clock = ctx.RequestServices.GetRequiredService<SimulatorClock>();
        if (SkewProblem(m, options, clock) is { } skew) return skew;
        if (string.IsNullOrWhiteSpace(idToken)) return Failed("TOKEN_NOT_FOUND", "data.id_token is required");

        var scope = SmartTransportMessage.Text(m.Data["scope"]) ?? "local";
        if (scope is not ("local" or "all")) return Failed("INVALID_MESSAGE", "data.scope must be local or all");
        var force = m.Data["force"] is JsonValue fv && fv.GetValueKind() == JsonValueKind.True;
        var members = m.Data["ha_udis"] is null ? [] : ReadMembers(m.Data["ha_udis"]);
        if (members is null) return Failed("INVALID_MESSAGE", "data.ha_udis must be a list of {role, sudi}");

        var outcome = await trust.EstablishAsync(new TrustRequest(m.Sudi, m.Hostname, idToken, scope == "all", force, members), decision, probe, ct);
        return await CompleteOrPollAsync(outcome, "trust", m, outcome.Account, jobs, ct);
    }

    /// <summary>Answers at once, or as a job to poll, as the <c>trust</c> poll transition says.</summary>
    private static async Task<Reply> CompleteOrPollAsync(TrustOutcome outcome, string action, SmartTransportMessage m, SmartAccount? account, JobService jobs, CancellationToken ct)
    {
        if (!outcome.Succeeded) return Failed(outcome.ErrorCode!, outcome.ErrorMessage!);
        var data = new JsonObject
        {
            ["trust_codes"] = new JsonArray(outcome.Codes.Select(c => (JsonNode)new JsonObject
            {
                ["sudi"] = SmartTransportMessage.SudiJson(c.Udi),
                ["smart_license"] = c.File,
            }).ToArray()),
            ["policy"] = outcome.PolicyFile,
            ["smart_account"] = new JsonObject { ["id"] = outcome.Account!.Id, ["domain"] = outcome.Account.Domain, ["name"] = outcome.Account.Name },
            ["virtual_account"] = new JsonObject { ["id"] = outcome.VirtualAccount!.Id, ["name"] = outcome.VirtualAccount.Name },
        };
        var job = await jobs.SubmitAsync(new JobRequest(action, m.Sudi.Pid, m.Sudi.Serial, account?.Id, account?.Domain, data.ToJsonString()), ct, storeWhenImmediate: false);
        return job.CompletesImmediately ? new Reply("COMPLETE", data) : new Reply("OK_POLL", PollId: job.PollId, PollInterval: job.PollInterval);
    }

    private static async Task<Reply> PollAsync(SmartTransportMessage m, FaultDecision? decision, JobService jobs, CancellationToken ct)
    {
        if (SmartTransportMessage.Number(m.Data["poll_id"]) is not { } pollId || pollId <= 0)
            return Failed("INVALID_MESSAGE", "data.poll_id must be a positive number or numeric string");
        if (decision?.Effect.Poll is { FailWith: { } failWith }) return Failed(failWith, "Server error occurred: " + failWith);
        if (decision?.Effect.Error is { } faultCode) return Failed(faultCode, "Server error occurred: " + faultCode);
        var outcome = await jobs.PollAsync(pollId.ToString(System.Globalization.CultureInfo.InvariantCulture), null, ct);
        if (decision?.Effect.Poll is { NeverComplete: true } && outcome.State is PollState.Complete or PollState.Failed)
            return new Reply("OK_POLL", PollId: outcome.Job!.PollId, PollInterval: null);
        return outcome.State switch
        {
            PollState.Pending => new Reply("OK_POLL", PollId: outcome.Job!.PollId),
            PollState.Complete => new Reply("COMPLETE", outcome.Job!.ResultJson is { } json ? JsonNode.Parse(json) as JsonObject : new JsonObject()),
            PollState.Failed => Failed(outcome.Code!, outcome.Message!),
            _ => Failed("POLL_ID_NOT_FOUND", outcome.Message ?? "unknown poll_id"),
        };
    }

    private static Reply? SkewProblem(SmartTransportMessage m, SimulatorOptions options, SimulatorClock clock)
    {
        if (options.SmartTransportMaxClockSkewSeconds is not { } max || m.Timestamp is not { } ts) return null;
        var skew = Math.Abs(clock.GetUtcNow().ToUnixTimeMilliseconds() - ts) / 1000.0;
        return skew > max ? Failed("CLOCK_SKEW", $"header.timestamp is {skew:0} s away from CSSM time (limit {max} s)") : null;
    }

    private static IReadOnlyList<HaMember>? ReadMembers(JsonNode? node)
    {
        if (node is not JsonArray arr) return null;
        var members = new List<HaMember>();
        foreach (var item in arr)
        {
            if (item is not JsonObject o || SmartTransportMessage.ReadUdi(o["sudi"]) is not { } udi) return null;
            members.Add(new HaMember(SmartTransportMessage.Text(o["role"]), udi));
        }
        return members;
    }

    private static Reply Failed(string code, string message) => new("FAILED", ErrorCode: code, ErrorMessage: message);
}
