using System.Diagnostics;
using CssmSim.Server.Journal;

namespace CssmSim.Server.Pipeline;

/// <summary>
/// One Information line per request (method, path, ctx.Response.StatusCode, elapsed time, operation, UDI) and one
/// per fault rule applied. Placed outside the journal middleware, so what the endpoint filled in
/// (operation, UDI, fault) is known when the line is written.
/// </summary>
public sealed class RequestLogging(RequestDelegate next, ILogger<RequestLogging> logger)
{
    // Without the line (Warning and above), no async frame of its own: the request passes straight on.
    public Task InvokeAsync(HttpContext ctx) => logger.IsEnabled(LogLevel.Information) ? LoggedAsync(ctx) : next(ctx);

    private async Task LoggedAsync(HttpContext ctx)
    {
        var started = Stopwatch.GetTimestamp();
        var method = ctx.Request.Method;
        var path = ctx.Request.Path.Value ?? "/";
        try
        {
            await next(ctx);
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var record = ctx.Features.Get<JournalRecord>();
            var operation = record?.Operation ?? ctx.Features.Get<FaultScope>()?.Operation
                ?? ctx.GetEndpoint()?.Metadata.GetMetadata<SimOperation>()?.Name
                ?? ctx.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName;
            logger.LogInformation("{Method} {Path} {Status} {ElapsedMs:0.0} ms operation={Operation} udi={Udi}",
                method, path, ctx.Response.StatusCode, elapsed, operation ?? "-", record?.Udi ?? "-");
            if (ctx.Features.Get<FaultScope>()?.Decision is { } fault)
                logger.LogInformation("fault rule {RuleId} ({RuleName}) applied to {Method} {Path} operation={Operation}",
                    fault.RuleId, fault.RuleName ?? "unnamed", method, path, operation ?? "-");
        }
    }
}
