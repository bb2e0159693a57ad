using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Engine.Accounts;
using CssmSim.Engine.Jobs;
using CssmSim.Engine.ProductInstances;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Time;
using CssmSim.Engine.Usage;
using CssmSim.Server.CssmApi;
using CssmSim.Server.Journal;
using CssmSim.Server.Pipeline;
using CssmSim.Server.SmartTransport;

namespace CssmSim.Server.Slp;

/// <summary>
/// The SLP device APIs (cssm-api.md §SLP device APIs): asynchronous, poll-based. Submissions answer
/// 202 <c>OK_POLL</c> with a <c>poll_id</c> as compact JSON; polls always answer 200.
/// </summary>
public static class SlpApi
{
    public static IEndpointRouteBuilder MapSlpApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(ApiPaths.Prefix + "/v2").WithTags("SLP").ExcludeFromDescription().RequireBearer();
        api.MapPost("/devices/reportusage", ReportUsage).WithName("SlpReportUsage").WithMetadata(new SimOperation("reportusage"), new DeferredFaultEvaluation());
        api.MapPost("/devices/authrequest", AuthRequest).WithName("SlpAuthRequest").WithMetadata(new SimOperation("authrequest"), new DeferredFaultEvaluation());
        api.MapPost("/accounts/poll", Poll).WithName("SlpPoll").WithMetadata(new SimOperation("poll"), new DeferredFaultEvaluation());
        return app;
    }

    /// <summary>The account the X-CSW headers select: missing headers are HTTP-layer errors, unknown ids business failures.</summary>
    private static async Task<(SmartAccount Account, VirtualAccount Va)?> AccountAsync(HttpContext ctx, ISimulatorStore store)
    {
        var saId = ctx.Request.Headers["X-CSW-SMART-ACCOUNT-ID"].ToString().Trim();
        var vaId = ctx.Request.Headers["X-CSW-VIRTUAL-ACCOUNT-ID"].ToString().Trim();
        if (saId.Length == 0 || vaId.Length == 0) throw new ApiException(400, "the X-CSW-SMART-ACCOUNT-ID and X-CSW-VIRTUAL-ACCOUNT-ID headers are required");
        var owner = await store.Accounts.FindByVirtualAccountIdAsync(vaId, ctx.RequestAborted);
        if (owner is not { } o || o.Account.Id != saId) return null;
        if (!ctx.Caller().Scope.Allows(o.Account.Domain)) throw new ApiException(403, $"client '{ctx.Caller().ClientId}' is not allowed to access Smart Account {o.Account.Domain}");
        ctx.Journal().SmartAccount = o.Account.Domain;
        ctx.Journal().VirtualAccount = o.VirtualAccount.Name;
        return o;
    }

    private static async Task<JsonObject> EnvelopeAsync(HttpContext ctx)
    {
        var body = await RequestBodies.ReadJsonAsync(ctx, SmartTransportMessage.MaxBytes);
        return body is JsonObject o && o["data"] is JsonObject data ? data : throw new ApiException(400, "the body must be {\"data\":{...}}");
    }

    private static IResult Failed(HttpContext ctx, string message, string? code = null)
    {
        ctx.Journal().SetOutcome("FAILED", code);
        return Results.Text(new JsonObject { ["status"] = "FAILED", ["message"] = message }.ToJsonString(ApiErrors.Json), "application/json");
    }

    private static async Task<IResult> ReportUsage(HttpContext ctx, ISimulatorStore store, UsageService usage, JobService jobs, SimulatorClock clock)
    {
        var data = await EnvelopeAsync(ctx);
        if (data["reports"] is not JsonArray reportsNode) throw new ApiException(400, "data.reports is required and must be a list");
        var reports = new List<RumReport>();
        var index = 0;
        foreach (var item in reportsNode)
        {
            if (item is not JsonObject entry || SmartTransportMessage.ReadUdi(entry["sudi"]) is not { } sudi)
                throw new ApiException(400, "each data.reports item needs a sudi {udi_pid, udi_serial_number}");
            foreach (var u in entry["usage"] as JsonArray ?? [])
            {
                var payload = SmartTransportMessage.Text((u as JsonObject)?["payload"]);
                if (payload is null) return Failed(ctx, $"report {index} of {sudi} has no payload string", "INVALID_PAYLOAD");
                var parsed = RumReport.FromPayload(payload, SmartTransportMessage.ReadSignature(u!["signature"]), entryIndex: index++);
                if (parsed.Report is null) return Failed(ctx, $"payload of {sudi} is not a RUM report: {parsed.Error!.Message}", "INVALID_PAYLOAD");
                reports.Add(parsed.Report);
            }
        }
        var trustRequests = (data["trust_requests"] as JsonArray ?? []).Select(t => SmartTransportMessage.ReadUdi((t as JsonObject)?["sudi"])).OfType<Udi>().ToList();
        var owner = await AccountAsync(ctx, store);
        if (owner is null) return Failed(ctx, "unknown Smart Account or Virtual Account in the X-CSW headers", "ACCOUNT_NOT_FOUND");
        var first = reports.FirstOrDefault();
        ctx.Journal().Udi = first is null ? null : $"PID:{first.Udi.Pid},SN:{first.Udi.SerialNumber}";
        var fault = await ctx.Faults().EvaluateAsync(smartAccount: owner.Value.Account.Domain, virtualAccount: owner.Value.Va.Name,
            udiPid: first?.Udi.Pid, udiSerial: first?.Udi.SerialNumber);
        if (fault?.Effect.Error is { } code) return Failed(ctx, "Server error occurred: " + code, code);

        UsageResult result;
        try
        {
            var strict = ctx.RequestServices.GetRequiredService<Hosting.SimulatorOptions>().RumStrictSignatures;
            result = await usage.SubmitAsync(new UsageSubmission(owner.Value.Va, reports, trustRequests, "slp", fault, RefuseAllDuplicates: true, VerifySignatures: strict),
                ctx.RequestAborted);
        }
        catch (UsageRejectedException e)
        {
            return Failed(ctx, e.Message, e.Code);
        }
        if (result.Acks.Count == 0 && result.AllDuplicates)
            return Failed(ctx, "Duplicate report: " + string.Join(", ", result.Reports.Select(r => $"{r.Udi} {r.ReportId}")), "DUPLICATE_REPORT");

        var ackData = new JsonObject
        {
            ["acknowledgements"] = new JsonArray(result.Acks.Select(a => (JsonNode)new JsonObject
            {
                ["sudi"] = SmartTransportMessage.SudiJson(a.Udi),
                ["software_tag_identifier"] = a.Reports.FirstOrDefault()?.Tag,
                ["smart_license"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(a.File)),
            }).ToArray()),
        };
        var requester = first is null ? trustRequests.FirstOrDefault() : new Udi(first.Udi.Pid, first.Udi.SerialNumber);
        var job = await jobs.SubmitAsync(new JobRequest("acknowledgements", requester.Pid ?? "none", requester.Serial ?? "none", owner.Value.Account.Id,
            owner.Value.Account.Domain, ackData.ToJsonString(), NeverComplete: fault?.Effect.Poll?.NeverComplete == true,
            FailCode: fault?.Effect.Poll?.FailWith), ctx.RequestAborted);
        return Accepted(ctx, data, clock, job, "acknowledgements");
    }

    /// <summary>
    /// SLACs for product instances (or the return of SLACs and SLR/PLR reservations with <c>remove_code</c>); per-license failures show
    /// at COMPLETE as <c>authorizations[i]</c> with FAILED, not as a failed submission. SLACs issued here
    /// skip the "in transition" state: this API has no confirmation step.
    /// </summary>
    private static async Task<IResult> AuthRequest(HttpContext ctx, ISimulatorStore store, Engine.Authorizations.AuthorizationService authorizations,
        JobService jobs, SimulatorClock clock, Engine.Seeding.SeedService seeds)
    {
        var data = await EnvelopeAsync(ctx);
        if (data["licenses"] is not JsonArray licenses) throw new ApiException(400, "data.licenses is required and must be a list");
        var owner = await AccountAsync(ctx, store);
        if (owner is null) return Failed(ctx, "unknown Smart Account or Virtual Account in the X-CSW headers", "ACCOUNT_NOT_FOUND");
        // Cisco's clients put remove_code in each licenses[] item beside "keys": []; the envelope level is accepted too.
        var envelopeRemoveCode = SmartTransportMessage.Text(data["remove_code"]);
        var fault = await ctx.Faults().EvaluateAsync(smartAccount: owner.Value.Account.Domain, virtualAccount: owner.Value.Va.Name);
        if (fault?.Effect.Error is { } code) return Failed(ctx, "Server error occurred: " + code, code);

        // Every item is read before anything is written, so a malformed one refuses the request whole.
        var items = new List<(JsonObject License, Udi Udi, List<(string? Tag, long? Count)> Keys, string? RemoveCode)>();
        foreach (var item in licenses)
        {
            if (item is not JsonObject license || SmartTransportMessage.ReadUdi(license["sudi"]) is not { } udi)
                throw new ApiException(400, "each data.licenses item needs a sudi {udi_pid, udi_serial_number}");
            var keys = (license["keys"] as JsonArray ?? []).Select(k => (Tag: SmartTransportMessage.Text((k as JsonObject)?["entitlement"]), Count: SmartTransportMessage.Number((k as JsonObject)?["count"]))).ToList();
            var removeCode = SmartTransportMessage.Text(license["remove_code"]) ?? envelopeRemoveCode;
            if (!(keys.Count == 0 && removeCode is not null) && keys.Any(k => k.Tag is null || k.Count is null))
                throw new ApiException(400, "each keys item needs an entitlement and a count");
            items.Add((license, udi, keys, removeCode));
        }

        var results = new JsonArray();
        Udi? requester = null;
        foreach (var (license, udi, keys, removeCode) in items)
        {
            requester ??= udi;
            var pi = await store.Inventory.FindProductInstanceAsync(udi.ToString(), ctx.RequestAborted);
            if (pi is null)
            {
                await store.Inventory.UpsertProductInstanceAsync(new StoredProductInstance(udi.ToString(), udi.Pid, udi.Serial, seeds.Ids.Uuid5("pi/" + udi).ToString(),
                    owner.Value.Va.Id, SmartTransportMessage.Text(license["hostname"]) ?? "", null, null, null, null, null, null, null, null, clock.GetUtcNow(), clock.GetUtcNow()),
                    ctx.RequestAborted);
                pi = await store.Inventory.FindProductInstanceAsync(udi.ToString(), ctx.RequestAborted);
            }
            var entry = new JsonObject
            {
                ["product_instance_identifier"] = pi!.Piid,
                ["sudi"] = SmartTransportMessage.SudiJson(udi),
                ["smart_license"] = null,
                ["auth_status"] = new JsonArray(),
                ["error_code"] = null,
                ["status"] = "SUCCESS",
                ["status_message"] = null,
                ["correlation_id"] = seeds.Ids.Uuid5($"authrequest/{udi}/{RequestIds.Get(ctx)}").ToString(),
            };
            if (keys.Count == 0 && removeCode is not null)
            {
                var returned = await authorizations.ReturnAnyAsync(udi, removeCode, ctx.RequestAborted);
                if (!returned.Succeeded) Fail(entry, returned.ErrorCode!, returned.ErrorMessage!);
            }
            else
            {
                var outcome = await authorizations.RequestSlacAsync(new Engine.Authorizations.SlacRequest(udi, keys.Select(k => (k.Tag!, k.Count!.Value)).ToList(),
                    Replace: false, Confirmed: true), ctx.RequestAborted);
                if (outcome.Succeeded) entry["smart_license"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(outcome.Code!.ToSlacFileXml()));
                else Fail(entry, outcome.ErrorCode!, outcome.ErrorMessage!);
            }
            results.Add(entry);
        }
        var job = await jobs.SubmitAsync(new JobRequest("authorizations", requester?.Pid ?? "none", requester?.Serial ?? "none", owner.Value.Account.Id,
            owner.Value.Account.Domain, new JsonObject { ["authorizations"] = results }.ToJsonString(),
            NeverComplete: fault?.Effect.Poll?.NeverComplete == true, FailCode: fault?.Effect.Poll?.FailWith), ctx.RequestAborted);
        return Accepted(ctx, data, clock, job, "authorizations");

        static void Fail(JsonObject entry, string code, string message)
        {
            entry["status"] = "FAILED";
            entry["error_code"] = code;
            entry["status_message"] = message;
        }
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

    private static async Task<IResult> Poll(HttpContext ctx, JobService jobs, SimulatorClock clock, ISimulatorStore store)
    {
        var data = await EnvelopeAsync(ctx);
        var action = SmartTransportMessage.Text(data["action"]);
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

        if (SmartTransportMessage.Number(data["poll_id"]) is not { } pollId || pollId <= 0)
            return Answer(Reply("OK_POLL", "POLL_ID_NOT_FOUND", "data.poll_id must be a positive number or numeric string"), "OK_POLL", "POLL_ID_NOT_FOUND");
        if (fault?.Effect.Error is { } faultCode) return Answer(Reply("OK_POLL", faultCode, "Server error occurred: " + faultCode), "OK_POLL", faultCode);
        if (fault?.Effect.Poll?.FailWith is { } failWith) return Answer(Reply("OK_POLL", failWith, "Server error occurred: " + failWith), "OK_POLL", failWith);

        var outcome = await jobs.PollAsync(pollId.ToString(CultureInfo.InvariantCulture), action, ctx.RequestAborted);
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
