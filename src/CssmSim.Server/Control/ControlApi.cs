using System.Globalization;
using CssmSim.Engine.Seeding;
using CssmSim.Engine.Signing;
using CssmSim.Engine.Snapshots;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Time;
using CssmSim.Server.Hosting;
using CssmSim.Server.Journal;
using CssmSim.Server.Pipeline;

namespace CssmSim.Server.Control;

/// <summary>
/// The simulator's own API under <c>/_sim</c> (control.md §Control API): what tests, scenario
/// runners and non-.NET suites use to set up, inspect and reset the simulator.
/// </summary>
internal static class ControlApi
{
    public const string GroupName = "control";
    private const long SeedLimit = 16 * 1024 * 1024;

    public static IEndpointRouteBuilder MapControlApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/_sim").WithTags("Control").WithGroupName(GroupName);
        // Resolved once: the liveness probe is the most frequent request and needs nothing per request.
        var runtime = app.ServiceProvider.GetRequiredService<SimulatorRuntime>();
        var store = app.ServiceProvider.GetRequiredService<ISimulatorStore>();
        // The probes answer right after routing (request ids and path normalization before it still apply):
        // the journal, faults and the control key let them pass anyway, and after device traffic the shared
        // middleware's code, tuned by the runtime for that traffic, cost a probe 15-25 % more CPU than a bare
        // endpoint's (docs/performance.md). No request log line for them, and no host check: they reveal nothing.
        api.MapGet("/health", () => Health(runtime, store)).ShortCircuit().WithName("Health").WithSummary("Liveness: version, store kind and uptime.");
        api.MapGet("/ready", Ready).ShortCircuit().WithName("Ready").WithSummary("200 once migrations and the start-up seed ran, 503 before.");
        api.MapPost("/reset", Reset).WithName("Reset")
            .WithSummary("Back to the start-up seed: everything, or one Smart Account (?smartAccount=), or one product instance (?udi=).");
        api.MapPost("/seed", MergeSeed).WithName("MergeSeed")
            .WithSummary("Merges a seed document (JSON or YAML) into the current state, upserting by natural keys.");
        api.MapGet("/certs", Certificates).WithName("Certificates").WithSummary("PEM: the signing certificate first, then the CA, then the TLS certificate.");
        api.MapGet("/certs/{name}", Certificate).WithName("Certificate").WithSummary("One PEM certificate: signing.pem, ca.pem or tls.pem.");
        api.MapGet("/journal", JournalQuery).WithName("Journal").WithSummary("Requests on the device and API surfaces, oldest first; may wait for N matches.");
        api.MapDelete("/journal", JournalClear).WithName("ClearJournal").WithSummary("Forgets every journaled request.");
        api.MapGet("/snapshot", ExportSnapshot).WithName("ExportSnapshot").WithSummary("The whole state as JSON: two exports of one state are byte-identical.");
        api.MapPost("/snapshot", ImportSnapshot).WithName("ImportSnapshot").WithSummary("Replaces the whole state with an export (409 for an unknown schemaVersion).");
        return app;
    }

    public sealed record HealthResponse(string status, string version, string store, long uptime_s);

    private static IResult Health(SimulatorRuntime runtime, ISimulatorStore store) =>
        Results.Json(new HealthResponse("ok", runtime.Version, store.Location.Kind, (long)runtime.Uptime.TotalSeconds));

    private static IResult Ready(SimulatorRuntime runtime) => runtime.IsReady
        ? Results.Json(new { status = "ready" })
        : Results.Json(new { status = "starting" }, statusCode: 503);

    private static async Task<IResult> Reset(HttpContext ctx, SimulatorState state, RequestJournal journal, ISimulatorStore store)
    {
        var smartAccount = ctx.Request.Query["smartAccount"].ToString();
        var udi = ctx.Request.Query["udi"].ToString();
        if (smartAccount.Length > 0 && udi.Length > 0)
            throw new ApiException(400, "give smartAccount or udi, not both");
        if (udi.Length > 0)
        {
            // A UDI may be given as PID:x,SN:y or as pid:serial.
            var key = Engine.ProductInstances.Udi.TryParse(udi.Trim(), out var parsed) ? parsed.ToString()
                : udi.LastIndexOf(':') is > 0 and var colon ? new Engine.ProductInstances.Udi(udi[..colon].Trim(), udi[(colon + 1)..].Trim()).ToString() : udi.Trim();
            if (!await store.Inventory.DeleteProductInstanceAsync(key, ctx.RequestAborted))
                throw new ApiException(404, $"no product instance with UDI '{udi}'");
            return Results.Json(new { status = "ok", reset = "udi", udi = key });
        }
        if (smartAccount.Length > 0)
        {
            await state.ResetAsync(smartAccount, ctx.RequestAborted);
            return Results.Json(new { status = "ok", reset = "smartAccount", smartAccount });
        }
        await state.ResetAsync(null, ctx.RequestAborted);
        await journal.ClearAllAsync(ctx.RequestAborted);
        return Results.Json(new { status = "ok", reset = "all" });
    }

    private static async Task<IResult> MergeSeed(HttpContext ctx, SimulatorState state, SeedService seeds)
    {
        var type = ctx.Request.ContentType;
        if (type is not null && !RequestBodies.IsJson(type) && !RequestBodies.IsYaml(type) && !type.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase))
            throw new ApiException(415, $"content type '{type}' is not supported; send application/json or application/yaml");
        var text = RequestBodies.DecodeUtf8(await RequestBodies.ReadBytesAsync(ctx, SeedLimit));
        if (string.IsNullOrWhiteSpace(text)) throw new ApiException(400, "request body is empty; expected a seed document");
        var doc = SeedReader.Parse(text);
        await state.MergeSeedAsync(doc, ctx.RequestAborted);
        return Results.Json(new { status = "ok", accounts = doc.Accounts.Select(a => a.Domain).ToArray(), randomSeed = seeds.Ids.RandomSeed });
    }

    private static IResult Certificates(ArtefactSigner signer) =>
        Results.Text(signer.SigningCertificatePem.TrimEnd() + "\n" + signer.CaCertificatePem.TrimEnd() + "\n" + signer.TlsCertificatePem.TrimEnd() + "\n",
            "application/x-pem-file");

    private static IResult Certificate(ArtefactSigner signer, string name)
    {
        var pem = name.ToLowerInvariant() switch
        {
            "signing.pem" => signer.SigningCertificatePem,
            "ca.pem" => signer.CaCertificatePem,
            "tls.pem" => signer.TlsCertificatePem,
            _ => throw new ApiException(404, $"no certificate '{name}'; use signing.pem, ca.pem or tls.pem"),
        };
        return Results.Text(pem.TrimEnd() + "\n", "application/x-pem-file");
    }

    private static async Task<IResult> JournalQuery(HttpContext ctx, RequestJournal journal, SimulatorClock clock)
    {
        var q = ctx.Request.Query;
        var errors = new Engine.Validation.ValidationErrors();
        var since = OptionalLong(q["since"], "since", 0, errors);
        var limit = (int)(OptionalLong(q["limit"], "limit", 1, errors) ?? 1000);
        var waitFor = OptionalLong(q["waitForCount"], "waitForCount", 1, errors);
        var timeout = OptionalLong(q["timeout"], "timeout", 0, errors) ?? 10;
        if (timeout > 60) errors.Add("timeout", "must be at most 60 seconds");
        if (errors.Any) throw new ApiException(400, "invalid journal query") { Errors = errors.ToDictionary() };
        var filter = new JournalFilter(Opt(q["surface"]), Opt(q["operation"]), Opt(q["udi"]), Opt(q["outcome"]), since);

        var timedOut = false;
        if (waitFor is { } n)
            timedOut = !await journal.WaitForAllCountAsync(filter, (int)n, TimeSpan.FromSeconds(timeout), clock.Wall, ctx.RequestAborted);
        var entries = await journal.QueryAllAsync(filter, limit, ctx.RequestAborted);
        var body = new Dictionary<string, object?>
        {
            ["entries"] = entries.Select(JournalView.From).ToList(),
            ["next"] = entries.Count == limit ? entries[^1].Id : null,
        };
        if (timedOut) body["timedOut"] = true;
        return Results.Json(body, CssmApi.ApiJson.Options);
    }

    private static async Task<IResult> JournalClear(RequestJournal journal, HttpContext ctx)
    {
        await journal.ClearAllAsync(ctx.RequestAborted);
        return Results.Json(new { status = "ok" });
    }

    private static async Task<IResult> ExportSnapshot(SnapshotService snapshots, HttpContext ctx) =>
        Results.Bytes(await snapshots.ExportAsync(ctx.RequestAborted), "application/json");

    private static async Task<IResult> ImportSnapshot(HttpContext ctx, SnapshotService snapshots)
    {
        var json = await RequestBodies.ReadJsonAsync(ctx, SnapshotService.MaxBytes);
        await snapshots.ImportAsync(json, ctx.RequestAborted);
        return Results.Json(new { status = "ok" });
    }

    private static string? Opt(Microsoft.Extensions.Primitives.StringValues v) => v.Count == 0 || v.ToString().Length == 0 ? null : v.ToString();

    private static long? OptionalLong(Microsoft.Extensions.Primitives.StringValues raw, string name, long min, Engine.Validation.ValidationErrors errors)
    {
        var s = raw.ToString();
        if (s.Length == 0) return null;
        if (long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min) return v;
        errors.Add(name, $"must be a whole number of at least {min}");
        return null;
    }
}

/// <summary>A journal entry as the control API shows it (control.md §Journal and events).</summary>
internal sealed record JournalView(
    long id, string time, string surface, string? operation, string method, string path, string? smartAccount,
    string? virtualAccount, string? udi, string? tokenId, int httpStatus, string outcome, string? errorCode,
    JournalFault? fault, long latencyMs, string requestId, string? requestBody, string? responseBody, bool truncated)
{
    public static JournalView From(JournalEntry e) => new(e.Id, Iso.Millis(e.Time), e.Surface, e.Operation, e.Method, e.Path,
        e.SmartAccount, e.VirtualAccount, e.Udi, e.TokenId, e.HttpStatus, e.Outcome, e.ErrorCode, e.Fault, e.LatencyMs,
        e.RequestId, e.RequestBody, e.ResponseBody, e.Truncated);
}

/// <summary>ISO-8601 UTC with milliseconds and <c>Z</c>, the only date format the simulator writes.</summary>
internal static class Iso
{
    public static string Millis(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
