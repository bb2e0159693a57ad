using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using CssmSim.Engine.Faults;
using CssmSim.Server.Journal;
using Microsoft.AspNetCore.Connections.Features;

namespace CssmSim.Server.Pipeline;

/// <summary>
/// Puts every request through the fault engine (control.md §Faults) and produces the effects
/// that live at the connection: statuses, resets, empty or truncated replies, hangs, and the same
/// after processing (<c>phase: after</c>: the request is committed, then the reply is lost).
/// </summary>
public sealed class FaultInjection(RequestDelegate next, FaultEngine engine, IHostApplicationLifetime lifetime)
{
    // Exempt paths (health among them) pass straight on, without an async frame of their own.
    public Task InvokeAsync(HttpContext ctx) => IsExempt(ctx.Request.Path) ? next(ctx) : ApplyAsync(ctx);

    private async Task ApplyAsync(HttpContext ctx)
    {
        var (family, surface) = ApiPaths.Classify(ctx.Request.Path);
        var endpoint = ctx.GetEndpoint();
        var deferred = endpoint?.Metadata.GetMetadata<DeferredFaultEvaluation>() is not null;
        var scope = new FaultScope(engine, ctx, surface, endpoint?.Metadata.GetMetadata<SimOperation>()?.Name, deferred);
        ctx.Features.Set(scope);
        if (!engine.Watches(surface))
        {
            await next(ctx);
            return;
        }

        var original = ctx.Response.Body;
        using var buffer = new MemoryStream();
        try
        {
            if (!deferred)
            {
                var values = ctx.GetRouteData().Values;
                await scope.EvaluateAsync(smartAccount: (values["domain"] ?? values["sa"]) as string, virtualAccount: values["va"] as string);
            }
            ctx.Response.Body = buffer;
            await next(ctx);
            ctx.Response.Body = original;
            if (scope.Decision is { Effect: { IsTransport: true, Phase: FaultPhase.After } } after)
                await ProduceAsync(ctx, family, after, buffer.ToArray());
            else if (buffer.Length > 0)
                await original.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), ctx.RequestAborted);
        }
        catch (FaultInterruption interruption)
        {
            ctx.Response.Body = original;
            ctx.Response.Clear();
            ctx.Response.Headers[RequestIds.Header] = RequestIds.Get(ctx);
            ctx.Response.Headers[RequestIds.CorrelationHeader] = RequestIds.Get(ctx);
            await ProduceAsync(ctx, family, interruption.Decision, null);
        }
        finally
        {
            ctx.Response.Body = original;
            scope.Complete();
        }
    }

    // A rule must never be able to lock users out of removing it (through the API or the portal's Faults page).
    private static bool IsExempt(PathString path)
    {
        var p = path.Value ?? "";
        return p.StartsWith("/_sim/faults", StringComparison.OrdinalIgnoreCase)
            || p.StartsWith("/portal/faults", StringComparison.OrdinalIgnoreCase)
            || p.Equals("/portal/login", StringComparison.OrdinalIgnoreCase)
            || p.Equals("/portal/portal.css", StringComparison.OrdinalIgnoreCase)
            || p.Equals("/_sim/reset", StringComparison.OrdinalIgnoreCase)
            || p.Equals("/_sim/health", StringComparison.OrdinalIgnoreCase)
            || p.Equals("/_sim/ready", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Writes (or withholds) the reply a fired rule calls for; <paramref name="processed"/> is the real body, for phase after.</summary>
    private async Task ProduceAsync(HttpContext ctx, ApiFamily family, FaultDecision decision, byte[]? processed)
    {
        var e = decision.Effect;
        var journal = ctx.Journal();
        switch (e.Drop)
        {
            case DropKind.Reset:
                journal.SetOutcome("ERROR", "CONNECTION_RESET");
                // Linger 0 makes the close a TCP RST rather than a polite FIN.
                if (ctx.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket)
                {
                    try { socket.LingerState = new LingerOption(true, 0); } catch (SocketException) { } catch (ObjectDisposedException) { }
                }
                ctx.Abort();
                return;
            case DropKind.Hang:
                journal.SetOutcome("ERROR", "NO_REPLY");
                using (var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, lifetime.ApplicationStopping))
                {
                    try { await Task.Delay(Timeout.InfiniteTimeSpan, cts.Token); } catch (OperationCanceledException) { }
                }
                ctx.Abort();
                return;
            case DropKind.Empty:
                journal.SetOutcome("ERROR", "EMPTY_REPLY");
                ctx.Response.StatusCode = processed is null ? 200 : ctx.Response.StatusCode;
                ctx.Response.ContentLength = 0;
                return;
            case DropKind.Truncate:
            {
                journal.SetOutcome("ERROR", "TRUNCATED_REPLY");
                var body = processed ?? FaultBody(family, decision, 503).Bytes;
                if (processed is null)
                {
                    ctx.Response.StatusCode = 200;
                    ctx.Response.ContentType = "application/json";
                }
                ctx.Response.ContentLength = null;
                await ctx.Response.Body.WriteAsync(body.AsMemory(0, body.Length / 2), ctx.RequestAborted);
                return;
            }
        }

        if (e.Status is { } status)
        {
            ctx.Response.Clear();
            ctx.Response.Headers[RequestIds.Header] = RequestIds.Get(ctx);
            ctx.Response.Headers[RequestIds.CorrelationHeader] = RequestIds.Get(ctx);
            if (status is 429 or 503) ctx.Response.Headers.RetryAfter = (e.RetryAfter ?? 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (e.Body is not null)
            {
                journal.SetOutcome(status < 400 ? "SUCCESS" : "ERROR", "FAULT_STATUS_" + status);
                ctx.Response.StatusCode = status;
                var (contentType, bytes) = e.Body is JsonValue v && v.TryGetValue<string>(out var text)
                    ? ("text/plain; charset=utf-8", Encoding.UTF8.GetBytes(text))
                    : ("application/json", Encoding.UTF8.GetBytes(e.Body.ToJsonString(ApiErrors.Json)));
                ctx.Response.ContentType = contentType;
                await ctx.Response.Body.WriteAsync(bytes, ctx.RequestAborted);
                return;
            }
            var message = status switch
            {
                429 => $"Too many requests (quota; fault rule {decision.RuleId})",
                503 => $"Service unavailable (fault rule {decision.RuleId})",
                _ => $"HTTP {status} from fault rule {decision.RuleId}",
            };
            await ApiErrors.WriteAsync(ctx, family, status, message, family == ApiFamily.SmartTransport ? "SERVICE_UNAVAILABLE" : null);
            return;
        }

        if (e.Error is { } code)
        {
            var (statusCode, bytes) = FaultBody(family, decision, 503);
            journal.SetOutcome(family is ApiFamily.Slp or ApiFamily.SmartTransport ? "FAILED" : "ERROR", code);
            ctx.Response.StatusCode = statusCode;
            ctx.Response.ContentType = family == ApiFamily.Control ? "application/problem+json" : family == ApiFamily.Portal ? "text/plain; charset=utf-8" : "application/json";
            await ctx.Response.Body.WriteAsync(bytes, ctx.RequestAborted);
        }
    }

    /// <summary>An <c>{"error":CODE}</c> effect in the family's shape (control.md §Faults, Effects).</summary>
    private static (int Status, byte[] Bytes) FaultBody(ApiFamily family, FaultDecision decision, int status)
    {
        var code = decision.Effect.Error ?? "SERVICE_UNAVAILABLE";
        var message = Engine.Devices.CssmError.ServerErrorMessage(code);
        JsonNode body;
        switch (family)
        {
            case ApiFamily.OAuth:
                body = new JsonObject { ["error"] = "temporarily_unavailable", ["error_description"] = code };
                break;
            case ApiFamily.V1:
                body = new JsonObject { ["status"] = "ERROR", ["statusMessage"] = message };
                break;
            case ApiFamily.V2Search:
                body = new JsonObject { ["status"] = "FAILED", ["message_code"] = code, ["message"] = message };
                break;
            case ApiFamily.Slp:
                status = 200;
                body = new JsonObject { ["status"] = "FAILED", ["message"] = message };
                break;
            case ApiFamily.SmartTransport:
                status = 200;
                body = new JsonObject { ["header"] = null, ["status"] = "FAILED", ["error"] = new JsonObject { ["code"] = code, ["message"] = message } };
                break;
            case ApiFamily.Control:
                body = new JsonObject { ["type"] = "https://httpstatuses.io/503", ["title"] = "Service Unavailable", ["status"] = 503, ["detail"] = message, ["code"] = code };
                break;
            default:
                return (status, Encoding.UTF8.GetBytes(message));
        }
        return (status, Encoding.UTF8.GetBytes(body.ToJsonString(ApiErrors.Json)));
    }
}
