using System.Globalization;
using System.Text.Json.Nodes;
using CssmSim.Engine.Accounts;
using CssmSim.Engine.Authorizations;
using CssmSim.Engine.Devices;
using CssmSim.Engine.Faults;
using CssmSim.Engine.Jobs;
using CssmSim.Engine.ProductInstances;
using CssmSim.Engine.Seeding;
using CssmSim.Engine.Time;
using CssmSim.Engine.Trust;
using CssmSim.Engine.Usage;
using CssmSim.Server.Journal;
using CssmSim.Server.Pipeline;
using Microsoft.AspNetCore.Mvc;
using static CssmSim.Server.Wire.WireJson;

namespace CssmSim.Server.SmartTransport;

/// <summary>
/// What the smart-transport endpoint needs: the device operations of the engine and how replies are stamped.
/// Marked as services: a member inferred as the JSON body would make routing answer a non-JSON request 415 before the endpoint's own shape.
/// </summary>
public sealed record SmartTransportServices(HttpContext Context, [FromServices] SimulatorClock Clock, [FromServices] SeedService Seeds,
    [FromServices] DeviceGate Gate, [FromServices] TrustOperations Trust, [FromServices] UsageOperations Usage,
    [FromServices] AuthorizationOperations Authorizations, [FromServices] JobService Jobs);

/// <summary>
/// <c>POST /licservice/license</c>: the endpoint a product instance configured with
/// <c>license smart transport smart</c> talks to (smart-transport.md). No bearer token.
/// Business failures are HTTP 200 with <c>"status":"FAILED"</c> and an error code.
/// Each message is parsed here, handled by a device operation of the engine, and rendered here.
/// </summary>
public static partial class SmartTransportApi
{
    public static IEndpointRouteBuilder MapSmartTransportApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/licservice/license", HandleAsync).WithName("SmartTransport").WithTags("Smart transport").WithGroupName(ApiDocs.DocumentNames.SmartTransport)
            .WithMetadata(new SimOperation("unknown"), new DeferredFaultEvaluation());
        return app;
    }

    private sealed record Reply(string Status, JsonObject? Data = null, CssmError? Error = null, string? PollId = null, long? PollInterval = null)
    {
        /// <summary>The operation recorded the sender's contact in its own transaction.</summary>
        public bool ContactRecorded { get; init; }
    }

    private static async Task<IResult> HandleAsync([AsParameters] SmartTransportServices s)
    {
        var ctx = s.Context;
        var message = await SmartTransportMessage.ReadAsync(ctx);
        var journal = ctx.Journal();
        journal.Operation = message.Type;
        if (message.Piid is { } piid)
        {
            // A device named by its PIID: an unknown or removed one must register again, in the words real devices log.
            var named = await s.Gate.IdentifyByPiidAsync(piid, ctx.RequestAborted);
            if (named is not { } udi || (message.Sudi.Pid is not null && udi != message.Sudi))
            {
                journal.SetOutcome("FAILED", "product_instance_identifier");
                return UnknownPiid(piid);
            }
            message = message with { Sudi = udi };
        }
        journal.Udi = message.Sudi.ToString();

        var reply = message.Type == "TRUST_ESTABLISHMENT" ? await TrustEstablishmentAsync(s, message) : await DispatchAsync(s, message);
        var status = ServerIdentity.StatusFor(reply.Status, reply.Error, message.AgentCapabilities);
        var header = new JsonObject
        {
            ["version"] = ServerIdentity.ProtocolVersion,
            ["type"] = message.Type,
            ["message_id"] = message.MessageId,
            ["correlation_id"] = s.Seeds.Ids.Uuid5($"smart-transport/{message.Sudi}/{message.MessageId ?? RequestIds.Get(ctx)}").ToString(),
            ["timestamp"] = s.Clock.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        var body = new JsonObject { ["header"] = header, ["status"] = status };
        if (reply.PollId is not null)
        {
            body["poll_id"] = long.Parse(reply.PollId, CultureInfo.InvariantCulture);
            body["poll_interval"] = reply.PollInterval;
        }
        if (reply.Error is { } error) body["error"] = new JsonObject { ["code"] = error.Code, ["message"] = error.Message };
        if (reply.Data is not null) body["data"] = reply.Data;
        body["connect_info"] = ServerIdentity.ConnectInfo();
        // OK_TRY_AGAIN is journaled FAILED with its code, so journal filters on refusals hold for every agent.
        journal.SetOutcome(reply.Status, reply.Error?.Code);
        return Results.Text(body.ToJsonString(ApiErrors.Json), "application/json");
    }

    /// <summary>
    /// HTTP 400 with the field-keyed body real devices log for an unknown or revoked PIID, verbatim
    /// (missing space included: device-captures.md §2.9).
    /// </summary>
    private static IResult UnknownPiid(string piid) => Results.Text(new JsonObject
    {
        ["product_instance_identifier"] = new JsonArray($"The identity for the instance {piid} is not valid.Please re-register the instance."),
    }.ToJsonString(ApiErrors.Json), "application/json", statusCode: 400);

    /// <summary>Every message but TRUST_ESTABLISHMENT names no account: the sender's product instance does, when known.</summary>
    private static async Task<Reply> DispatchAsync(SmartTransportServices s, SmartTransportMessage m)
    {
        var ct = s.Context.RequestAborted;
        var admitted = await s.Gate.AdmitAsync(m.Sudi, m.Type, m.Timestamp, s.Context.Faults(), operationAnswersFaultError: m.Type == "RESULT_POLLING", ct);
        if (admitted.Refusal is { } refusal) return Failed(refusal);
        var reply = await RouteAsync(s, m, admitted, ct);
        if (reply.Status != "FAILED" && !reply.ContactRecorded) await s.Gate.ContactAsync(admitted.Sender, ct);
        return reply;
    }

    private static async Task<Reply> RouteAsync(SmartTransportServices s, SmartTransportMessage m, Admission admitted, CancellationToken ct)
    {
        var sender = admitted.Sender;
        switch (m.Type)
        {
            case "HELLO":
                return new Reply("COMPLETE", new JsonObject { ["server_time"] = s.Clock.GetUtcNow().ToUnixTimeMilliseconds() });
            case "TRUST_SYNC":
            {
                var members = ReadMembers(m.Data["ha_udis"]);
                var outcome = await s.Trust.SyncAsync(admitted, Text(m.Data["hostname"]) ?? m.Hostname, members, ct);
                return await CompleteOrPollAsync(s, outcome, m, sender.Account, ct,
                    data => TrustSyncExtrasAsync(s, admitted, members ?? [], data, ct));
            }
            case "TRUST_ACKNOWLEDGEMENT":
                return Done(await s.Trust.AcknowledgeAsync(sender, Text(m.Data["trust_code_id"]), ct));
            case "RESULT_POLLING":
                return await PollAsync(s, m, admitted, ct);
            case "USAGE_REPORTING":
                return await UsageReportingAsync(s, m, admitted, ct);
            case "TELEMETRY_REPORTING":
                return await TelemetryReportingAsync(s, m, admitted, ct);
            case "AUTHORIZATION_REQUEST":
                return await AuthorizationRequestAsync(s, m, admitted, ct);
            case "AUTHORIZATION_CONFIRMATION":
                return Done(await s.Authorizations.ConfirmAsync(sender, Text(m.Data["confirmation_code"]), ct));
            case "AUTHORIZATION_RETURN":
            {
                var tags = (m.Data["entitlements"] as JsonArray)?.Select(e => Text((e as JsonObject)?["tag"])).OfType<string>().ToList();
                var returned = await s.Authorizations.ReturnAsync(sender, Text(m.Data["return_code"]), tags, ct);
                return returned.Succeeded
                    ? new Reply("COMPLETE", new JsonObject { ["confirmation_code"] = returned.ConfirmationCode })
                    : Failed(new CssmError(returned.ErrorCode!, returned.ErrorMessage!));
            }
            default:
                return Failed(CssmError.InvalidMessage($"unknown message type '{m.Type}'"));
        }
    }

    /// <summary>AUTHORIZATION_REQUEST: SLACs for the sender (scope local) or every member of its HA set (all), all or none.</summary>
    private static async Task<Reply> AuthorizationRequestAsync(SmartTransportServices s, SmartTransportMessage m, Admission admitted, CancellationToken ct)
    {
        var sender = admitted.Sender;
        var ask = new AuthorizationAsk(ReadCounts(m.Data["entitlements"], "tag"), Text(m.Data["mode"]), Text(m.Data["scope"]));
        var outcome = await s.Authorizations.RequestAsync(sender, ask, ct);
        if (outcome.Error is { } error) return Failed(error);
        var data = new JsonObject
        {
            ["authorizations"] = new JsonArray(outcome.Issued.Select(i => (JsonNode)new JsonObject
            {
                ["sudi"] = SudiJson(UdiOf(i.Authorization!.Udi)),
                ["smart_license"] = i.Code!.ToSlacFileXml(),
            }).ToArray()),
            // The policy in force comes with the SLAC: the device installs both (seed 002 L3770-3776).
            ["policy"] = await s.Authorizations.PolicyInForceAsync(sender, ct),
        };
        ArtefactTampering.ApplyAll(data, admitted.Fault?.Effect, Signer(s));
        var job = await s.Jobs.SubmitAsync(new JobRequest("authorizations", m.Sudi.Pid, m.Sudi.Serial, sender.Account?.Id, sender.Account?.Domain,
            data.ToJsonString()), ct, storeWhenImmediate: false);
        return job.CompletesImmediately ? new Reply("COMPLETE", data) : new Reply("OK_POLL", PollId: job.PollId, PollInterval: job.PollInterval);
    }

    /// <summary>
    /// USAGE_REPORTING: reports (and trust requests) from a trusted device, or from a known one
    /// that asks for trust in the same message; the ACK comes back at once or as a job.
    /// </summary>
    private static async Task<Reply> UsageReportingAsync(SmartTransportServices s, SmartTransportMessage m, Admission admitted, CancellationToken ct,
        DeviceUsageReport? usage = null)
    {
        var outcome = await s.Usage.ReportAsync(admitted, usage ?? ReadUsage(m), ct);
        if (outcome.Error is { } error) return Failed(error);
        var result = outcome.Result!;
        var data = new JsonObject { ["ack"] = outcome.Ack!.File };
        if (result.Acks.Count > 1)
            data["acks"] = new JsonArray(result.Acks.Select(a => (JsonNode)new JsonObject { ["sudi"] = SudiJson(a.Udi), ["ack"] = a.File }).ToArray());
        var account = admitted.Sender.Account!;
        var poll = outcome.Fault?.Effect.Poll;
        var job = await s.Jobs.SubmitAsync(new JobRequest("acknowledgements", m.Sudi.Pid, m.Sudi.Serial, account.Id, account.Domain,
            data.ToJsonString(), NeverComplete: poll?.NeverComplete == true, FailCode: poll?.FailWith), ct, storeWhenImmediate: false);
        var reply = job.CompletesImmediately && job.Job.FailCode is null
            ? new Reply("COMPLETE", data)
            : new Reply("OK_POLL", PollId: job.PollId, PollInterval: job.PollInterval);
        return reply with { ContactRecorded = outcome.SenderContactRecorded };
    }

    /// <summary>The report items, trust requests and SLAC requests of a USAGE_REPORTING message; the first unreadable report is kept to answer.</summary>
    private static DeviceUsageReport ReadUsage(SmartTransportMessage m)
    {
        var trustRequests = (m.Data["trust_requests"] as JsonArray ?? []).Select(t => ReadUdi((t as JsonObject)?["sudi"])).OfType<Udi>().ToList();
        var reports = new List<RumReport>();
        CssmError? malformed = null;
        var index = 0;
        foreach (var item in m.Data["reports"] as JsonArray ?? [])
        {
            var payload = Text((item as JsonObject)?["payload"]);
            if (payload is null)
            {
                malformed = CssmError.InvalidMessage($"data.reports[{index}].payload must be the report JSON as a string");
                break;
            }
            var parsed = RumReport.FromPayload(payload, ReadSignature(item!["signature"]), entryIndex: index);
            if (parsed.Report is null)
            {
                malformed = CssmError.InvalidMessage($"data.reports[{index}]: {parsed.Error!.Message}");
                break;
            }
            reports.Add(parsed.Report);
            index++;
        }
        // authorization_requests items are AUTHORIZATION_REQUEST data plus sudi (the sender's when absent); unreadable entitlements are skipped.
        var asked = new List<SlacRequest>();
        foreach (var a in m.Data["authorization_requests"] as JsonArray ?? [])
        {
            var udi = ReadUdi((a as JsonObject)?["sudi"]) ?? m.Sudi;
            var entitlements = ((a as JsonObject)?["entitlements"] as JsonArray ?? [])
                .Select(e => (Tag: Text((e as JsonObject)?["tag"]), Count: Number((e as JsonObject)?["count"])))
                .Where(e => e.Tag is not null && e.Count is not null).Select(e => (e.Tag!, e.Count!.Value)).ToList();
            if (entitlements.Count > 0) asked.Add(new SlacRequest(udi, entitlements, Text((a as JsonObject)?["mode"]) == "replace", Confirmed: false));
        }
        return new DeviceUsageReport(reports, trustRequests, asked, malformed);
    }

    private static async Task<Reply> TrustEstablishmentAsync(SmartTransportServices s, SmartTransportMessage m)
    {
        var members = m.Data["ha_udis"] is null ? [] : ReadMembers(m.Data["ha_udis"]);
        var request = new EstablishTrust(m.Sudi, m.Hostname, Text(m.Data["id_token"]), Text(m.Data["scope"]), IsTrue(m.Data["force"]), members, m.Timestamp);
        var outcome = await s.Trust.EstablishAsync(request, s.Context.Faults(), s.Context.RequestAborted);
        return await CompleteOrPollAsync(s, outcome, m, outcome.Account, s.Context.RequestAborted);
    }

    /// <summary>
    /// What a TRUST_SYNC reply adds to the trust codes: the sync time (devices show "Smart Account: &lt;name&gt; As of
    /// &lt;time&gt;", device-captures.md §2.6) and the SLACs the sender and the members named hold.
    /// </summary>
    private static async Task TrustSyncExtrasAsync(SmartTransportServices s, Admission admitted, IReadOnlyList<HaMember> members, JsonObject data,
        CancellationToken ct)
    {
        data["sync_time"] = s.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var held = await s.Authorizations.HeldSlacsAsync(members.Select(mb => mb.Udi).Prepend(admitted.Sender.Udi), ct);
        var authorizations = new JsonArray(held.Select(h => (JsonNode)new JsonObject { ["sudi"] = SudiJson(h.Udi), ["smart_license"] = h.File }).ToArray());
        ArtefactTampering.ApplyAll(authorizations, admitted.Fault?.Effect, Signer(s));
        data["authorizations"] = authorizations;
    }

    private static Engine.Signing.ArtefactSigner Signer(SmartTransportServices s) => s.Context.RequestServices.GetRequiredService<Engine.Signing.ArtefactSigner>();

    /// <summary>Answers at once, or as a job to poll, as the <c>trust</c> poll transition says.</summary>
    private static async Task<Reply> CompleteOrPollAsync(SmartTransportServices s, TrustOutcome outcome, SmartTransportMessage m, SmartAccount? account,
        CancellationToken ct, Func<JsonObject, Task>? extend = null)
    {
        if (outcome.Error is { } error) return Failed(error);
        var data = new JsonObject
        {
            ["trust_codes"] = new JsonArray(outcome.Codes.Select(c => (JsonNode)new JsonObject
            {
                ["sudi"] = SudiJson(c.Udi),
                ["smart_license"] = c.File,
            }).ToArray()),
            ["policy"] = outcome.PolicyFile,
            ["smart_account"] = new JsonObject { ["id"] = outcome.Account!.Id, ["domain"] = outcome.Account.Domain, ["name"] = outcome.Account.Name },
            ["virtual_account"] = new JsonObject { ["id"] = outcome.VirtualAccount!.Id, ["name"] = outcome.VirtualAccount.Name },
        };
        if (extend is not null) await extend(data);
        var job = await s.Jobs.SubmitAsync(new JobRequest("trust", m.Sudi.Pid, m.Sudi.Serial, account?.Id, account?.Domain, data.ToJsonString()), ct,
            storeWhenImmediate: false);
        return job.CompletesImmediately ? new Reply("COMPLETE", data) : new Reply("OK_POLL", PollId: job.PollId, PollInterval: job.PollInterval);
    }

    private static async Task<Reply> PollAsync(SmartTransportServices s, SmartTransportMessage m, Admission admitted, CancellationToken ct)
    {
        var decision = admitted.Fault;
        if (Number(m.Data["poll_id"]) is not { } pollId || pollId <= 0)
            return Failed(CssmError.InvalidMessage("data.poll_id must be a positive number or numeric string"));
        if (decision?.Effect.Poll is { FailWith: { } failWith }) return Failed(CssmError.ServerError(failWith));
        if (decision?.Effect.Error is { } faultCode) return Failed(CssmError.ServerError(faultCode));
        // The contact rides in the poll's transaction; a never-complete effect answers a failed job OK_POLL, which counts.
        var outcome = await s.Jobs.PollAsync(pollId.ToString(CultureInfo.InvariantCulture), null, ct, contactUdi: admitted.Sender.InstanceUdi,
            failureCountsAsContact: decision?.Effect.Poll is { NeverComplete: true });
        var reply = PollReply(s, outcome, decision);
        return reply with { ContactRecorded = outcome.ContactRecorded };
    }

    private static Reply PollReply(SmartTransportServices s, PollOutcome outcome, FaultDecision? decision)
    {
        // A rule on RESULT_POLLING with an artefact effect (corrupt, clockSkewMs) reaches the result it hands over.
        JsonObject? Tampered(JsonObject? result)
        {
            ArtefactTampering.ApplyAll(result, decision?.Effect, Signer(s));
            return result;
        }
        if (decision?.Effect.Poll is { NeverComplete: true } && outcome.State is PollState.Complete or PollState.Failed)
            return new Reply("OK_POLL", PollId: outcome.Job!.PollId, PollInterval: null);
        return outcome.State switch
        {
            PollState.Pending => new Reply("OK_POLL", PollId: outcome.Job!.PollId),
            PollState.Complete => new Reply("COMPLETE", Tampered(outcome.Job!.ResultJson is { } json ? JsonNode.Parse(json) as JsonObject : new JsonObject())),
            PollState.Failed => Failed(new CssmError(outcome.Code!, outcome.Message!)),
            _ => Failed(new CssmError(CssmCodes.PollIdNotFound, outcome.Message ?? "unknown poll_id")),
        };
    }

    /// <summary><c>ha_udis</c>: a list of <c>{role, sudi}</c>; null when it is not one.</summary>
    private static List<HaMember>? ReadMembers(JsonNode? node)
    {
        if (node is not JsonArray arr) return null;
        var members = new List<HaMember>();
        foreach (var item in arr)
        {
            if (item is not JsonObject o || ReadUdi(o["sudi"]) is not { } udi) return null;
            members.Add(new HaMember(Text(o["role"]), udi));
        }
        return members;
    }

    private static Udi UdiOf(string key) => Udi.TryParse(key, out var udi) ? udi : throw new InvalidOperationException($"stored UDI '{key}' is not PID:x,SN:y");

    private static Reply Done(CssmError? error) => error is null ? new Reply("COMPLETE", new JsonObject()) : Failed(error);

    private static Reply Failed(CssmError error) => new("FAILED", Error: error);
}
