using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Engine.Accounts;
using CssmSim.Engine.Devices;
using CssmSim.Engine.Jobs;
using CssmSim.Engine.ProductInstances;
using CssmSim.Engine.Seeding;
using CssmSim.Engine.Time;
using CssmSim.Engine.Usage;
using CssmSim.Server.CssmApi;
using CssmSim.Server.Journal;
using CssmSim.Server.Pipeline;
using CssmSim.Server.SmartTransport;
using CssmSim.Server.Wire;
using Microsoft.AspNetCore.Mvc;
using static CssmSim.Server.Wire.WireJson;

namespace CssmSim.Server.Slp;

/// <summary>What the SLP endpoints need: the device operations of the engine and how replies are stamped (services, never the body).</summary>
public sealed record SlpServices(HttpContext Context, [FromServices] SimulatorClock Clock, [FromServices] SeedService Seeds, [FromServices] DeviceGate Gate,
    [FromServices] UsageOperations Usage, [FromServices] AuthorizationOperations Authorizations, [FromServices] JobService Jobs);

/// <summary>
/// The SLP device APIs (cssm-api.md §SLP device APIs): asynchronous, poll-based. Submissions answer
/// 202 <c>OK_POLL</c> with a <c>poll_id</c> as compact JSON; polls always answer 200.
/// </summary>
public static class SlpApi
{
    public static IEndpointRouteBuilder MapSlpApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(ApiPaths.Prefix + "/v2").WithTags("SLP").WithGroupName(ApiDocs.DocumentNames.CssmApi).RequireBearer();
        api.MapPost("/devices/reportusage", ReportUsage).WithName("SlpReportUsage").WithMetadata(new SimOperation("reportusage"), new DeferredFaultEvaluation());
        api.MapPost("/devices/authrequest", AuthRequest).WithName("SlpAuthRequest").WithMetadata(new SimOperation("authrequest"), new DeferredFaultEvaluation());
        api.MapPost("/accounts/poll", Poll).WithName("SlpPoll").WithMetadata(new SimOperation("poll"), new DeferredFaultEvaluation());
        return app;
    }

    /// <summary>The account the X-CSW headers select: missing headers are HTTP-layer errors, unknown ids business failures.</summary>
    private static async Task<(SmartAccount Account, VirtualAccount Va)?> AccountAsync(HttpContext ctx, DeviceGate gate)
    {
        var (saId, vaId) = CswHeaders.Read(ctx.Request, decimalIds: false);
        if (await gate.FindAccountAsync(saId, vaId, ctx.RequestAborted) is not { } o) return null;
        ctx.RequireVisible(o.Account);
        ctx.Journal().SmartAccount = o.Account.Domain;
        ctx.Journal().VirtualAccount = o.VirtualAccount.Name;
        return o;
    }

    private static async Task<JsonObject> EnvelopeAsync(HttpContext ctx)
    {
        var body = await RequestBodies.ReadJsonAsync(ctx, SmartTransportMessage.MaxBytes);
        return body is JsonObject o && o["data"] is JsonObject data ? data : throw new ApiException(400, "the body must be {\"data\":{...}}");
    }

    private static IResult Failed(HttpContext ctx, CssmError error)
    {
        ctx.Journal().SetOutcome("FAILED", error.Code);
        return Results.Text(new JsonObject { ["status"] = "FAILED", ["message"] = error.Message }.ToJsonString(ApiErrors.Json), "application/json");
    }

    private static readonly CssmError UnknownAccount = new(CssmCodes.AccountNotFound, "unknown Smart Account or Virtual Account in the X-CSW headers");

    private static async Task<IResult> ReportUsage([AsParameters] SlpServices s)
    {
        var ctx = s.Context;
        var data = await EnvelopeAsync(ctx);
        if (data["reports"] is not JsonArray reportsNode) throw new ApiException(400, "data.reports is required and must be a list");
        var reports = new List<RumReport>();
        var index = 0;
        foreach (var item in reportsNode)
        {
            if (item is not JsonObject entry || ReadUdi(entry["sudi"]) is not { } sudi)
                throw new ApiException(400, "each data.reports item needs a sudi {udi_pid, udi_serial_number}");
            foreach (var u in entry["usage"] as JsonArray ?? [])
            {
                var payload = Text((u as JsonObject)?["payload"]);
                if (payload is null) return Failed(ctx, new CssmError(CssmCodes.InvalidPayload, $"report {index} of {sudi} has no payload string"));
                var parsed = RumReport.FromPayload(payload, ReadSignature(u!["signature"]), entryIndex: index++);
                if (parsed.Report is null) return Failed(ctx, new CssmError(CssmCodes.InvalidPayload, $"payload of {sudi} is not a RUM report: {parsed.Error!.Message}"));
                reports.Add(parsed.Report);
            }
        }
        var trustRequests = (data["trust_requests"] as JsonArray ?? []).Select(t => ReadUdi((t as JsonObject)?["sudi"])).OfType<Udi>().ToList();
        var owner = await AccountAsync(ctx, s.Gate);
        if (owner is null) return Failed(ctx, UnknownAccount);
        await ctx.RequireDevicesAsync(reports.Select(r => new Udi(r.Udi.Pid, r.Udi.SerialNumber)).Concat(trustRequests));
        var first = reports.FirstOrDefault();
        ctx.Journal().Udi = first is null ? null : $"PID:{first.Udi.Pid},SN:{first.Udi.SerialNumber}";

        var outcome = await s.Usage.ReportToAccountAsync(owner.Value.Account, owner.Value.Va, reports, trustRequests, ctx.Faults(), ctx.RequestAborted);
        if (outcome.Error is { } error) return Failed(ctx, error);
        var ackData = new JsonObject
        {
            ["acknowledgements"] = new JsonArray(outcome.Result!.Acks.Select(a => (JsonNode)new JsonObject
            {
                ["sudi"] = SudiJson(a.Udi),
                ["software_tag_identifier"] = a.Reports.FirstOrDefault()?.Tag,
                ["smart_license"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(a.File)),
            }).ToArray()),
        };
        var requester = first is null ? trustRequests.FirstOrDefault() : new Udi(first.Udi.Pid, first.Udi.SerialNumber);
        var poll = outcome.Fault?.Effect.Poll;
        var job = await s.Jobs.SubmitAsync(new JobRequest("acknowledgements", requester.Pid ?? "none", requester.Serial ?? "none", owner.Value.Account.Id,
            owner.Value.Account.Domain, ackData.ToJsonString(), NeverComplete: poll?.NeverComplete == true, FailCode: poll?.FailWith,
            ClientId: ctx.Caller().ClientId), ctx.RequestAborted);
        return Accepted(ctx, data, s.Clock, job, "acknowledgements");
    }

    /// <summary>
    /// SLACs for product instances (or the return of SLACs and SLR/PLR reservations with <c>remove_code</c>); per-license failures show
    /// at COMPLETE as <c>authorizations[i]</c> with FAILED, not as a failed submission. SLACs issued here
    /// skip the "in transition" state: this API has no confirmation step.
    /// </summary>
    private static async Task<IResult> AuthRequest([AsParameters] SlpServices s)
    {
        var ctx = s.Context;
        var data = await EnvelopeAsync(ctx);
        if (data["licenses"] is not JsonArray licenses) throw new ApiException(400, "data.licenses is required and must be a list");
        var owner = await AccountAsync(ctx, s.Gate);
        if (owner is null) return Failed(ctx, UnknownAccount);
        // Cisco's clients put remove_code in each licenses[] item beside "keys": []; the envelope level is accepted too.
        var envelopeRemoveCode = Text(data["remove_code"]);
        var fault = await ctx.Faults().AskAsync(new FaultQuestion(SmartAccount: owner.Value.Account.Domain, VirtualAccount: owner.Value.Va.Name));
        if (fault?.Effect.Error is { } code) return Failed(ctx, CssmError.ServerError(code));

        // Every item is read before anything is written, so a malformed one refuses the request whole.
        var items = new List<SlpAuthorizationItem>();
        foreach (var item in licenses)
        {
            if (item is not JsonObject license || ReadUdi(license["sudi"]) is not { } udi)
                throw new ApiException(400, "each data.licenses item needs a sudi {udi_pid, udi_serial_number}");
            var keys = ReadCounts(license["keys"], "entitlement") ?? throw new ApiException(400, "each keys item needs an entitlement and a count");
            items.Add(new SlpAuthorizationItem(udi, Text(license["hostname"]) ?? "", keys, Text(license["remove_code"]) ?? envelopeRemoveCode));
        }

        await ctx.RequireDevicesAsync(items.Select(i => i.Udi));

        var results = new JsonArray();
        foreach (var item in items)
        {
            var result = await s.Authorizations.AuthorizeAsync(owner.Value.Va, item, ctx.RequestAborted);
            results.Add(new JsonObject
            {
                ["product_instance_identifier"] = result.Piid,
                ["sudi"] = SudiJson(item.Udi),
                ["smart_license"] = result.Code is { } slac ? Convert.ToBase64String(Encoding.UTF8.GetBytes(slac.ToSlacFileXml())) : null,
                ["auth_status"] = new JsonArray(),
                ["error_code"] = result.Error?.Code,
                ["status"] = result.Error is null ? "SUCCESS" : "FAILED",
                ["status_message"] = result.Error?.Message,
                ["correlation_id"] = s.Seeds.Ids.Uuid5($"authrequest/{item.Udi}/{RequestIds.Get(ctx)}").ToString(),
            });
        }
        var requester = items.Count > 0 ? items[0].Udi : (Udi?)null;
        var job = await s.Jobs.SubmitAsync(new JobRequest("authorizations", requester?.Pid ?? "none", requester?.Serial ?? "none", owner.Value.Account.Id,
            owner.Value.Account.Domain, new JsonObject { ["authorizations"] = results }.ToJsonString(),
            NeverComplete: fault?.Effect.Poll?.NeverComplete == true, FailCode: fault?.Effect.Poll?.FailWith, ClientId: ctx.Caller().ClientId), ctx.RequestAborted);
        return Accepted(ctx, data, s.Clock, job, "authorizations");
    }

    /// <summary>202 compact JSON: Cisco's own Postman collection rewrites the 18-digit poll_id with a regex over the raw body.</summary>
    private static IResult Accepted(HttpContext ctx, JsonObject data, SimulatorClock clock, SubmittedJob job, string action)
    {
        ctx.Journal().SetOutcome("OK_POLL");
        var body = new JsonObject
        {
            ["status"] = "OK_POLL",
            ["message_code"] = null,
            ["message"] = null,
            ["timestamp"] = clock.GetUtcNow().ToUnixTimeMilliseconds(),
            ["nonce"] = data["nonce"]?.DeepClone(),
            ["type"] = null,
            ["poll_id"] = long.Parse(job.PollId, CultureInfo.InvariantCulture),
            ["poll_interval"] = job.PollInterval,
            ["action"] = action,
        };
        return Results.Text(body.ToJsonString(ApiErrors.Json), "application/json", statusCode: 202);
    }

    private static async Task<IResult> Poll(HttpContext ctx, JobService jobs, SimulatorClock clock)
    {
        var data = await EnvelopeAsync(ctx);
        var action = Text(data["action"]);
        var fault = await ctx.Faults().EvaluateAsync();
        JsonObject Reply(string status, string code, string message) => new()
        {
            ["status"] = status,
            ["message_code"] = code,
            ["message"] = message,
            ["timestamp"] = clock.GetUtcNow().ToUnixTimeMilliseconds(),
            ["nonce"] = data["nonce"]?.DeepClone(),
        };
        IResult Answer(JsonObject body, string outcome, string? code = null)
        {
            ctx.Journal().SetOutcome(outcome, code);
            return Results.Text(body.ToJsonString(ApiErrors.Json), "application/json");
        }

        if (Number(data["poll_id"]) is not { } pollId || pollId <= 0)
            return Answer(Reply("OK_POLL", CssmCodes.PollIdNotFound, "data.poll_id must be a positive number or numeric string"), "OK_POLL", CssmCodes.PollIdNotFound);
        if (fault?.Effect.Error is { } faultCode) return Answer(Reply("OK_POLL", faultCode, CssmError.ServerErrorMessage(faultCode)), "OK_POLL", faultCode);
        if (fault?.Effect.Poll?.FailWith is { } failWith) return Answer(Reply("OK_POLL", failWith, CssmError.ServerErrorMessage(failWith)), "OK_POLL", failWith);

        var outcome = await jobs.PollAsync(pollId.ToString(CultureInfo.InvariantCulture), action, ctx.RequestAborted, ctx.Caller());
        if (fault?.Effect.Poll?.NeverComplete == true && outcome.State == PollState.Complete) outcome = outcome with { State = PollState.Pending };
        switch (outcome.State)
        {
            case PollState.Complete:
                var done = Reply("COMPLETE", "", "");
                done["type"] = outcome.Job!.Action;
                done["correlation_id"] = outcome.Job.CorrelationId;
                done["data"] = outcome.Job.ResultJson is { } json ? JsonNode.Parse(json) : new JsonObject();
                return Answer(done, "COMPLETE");
            case PollState.Pending:
                return Answer(Reply("OK_POLL", "", ""), "OK_POLL");
            default:
                // Real clients detect failure as OK_POLL with a non-empty message and message_code.
                return Answer(Reply("OK_POLL", outcome.Code ?? "POLL_FAILED", outcome.Message ?? "the job failed"), "OK_POLL", outcome.Code);
        }
    }
}
