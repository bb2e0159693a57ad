using System.Text.Json;
using CssmSim.Engine.Validation;
using Microsoft.AspNetCore.Http.Features;

namespace CssmSim.Server.Pipeline;

/// <summary>
/// The last line of defence: whatever goes wrong below becomes an answer in the request's family
/// shape with a 4xx code where the client is at fault. An unexpected exception is logged and
/// answered 500 in the same shape, never with a stack trace.
/// </summary>
public sealed class ErrorHandling(RequestDelegate next, ILogger<ErrorHandling> log)
{
    public Task InvokeAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path;
        Task inner;
        try
        {
            inner = next(ctx);
        }
        catch (Exception e)
        {
            inner = Task.FromException(e);
        }
        // Most requests finish synchronously with their answer written: no async frame for them.
        return inner.IsCompletedSuccessfully && !NeedsBody(ctx) ? Task.CompletedTask : CompleteAsync(ctx, path, inner);
    }

    // Routing answers unknown paths and methods with an empty 404/405: those get a body.
    private static bool NeedsBody(HttpContext ctx) =>
        ctx.Response.StatusCode is 404 or 405 && ctx.Response.ContentType is null && !ctx.Response.HasStarted;

    private async Task CompleteAsync(HttpContext ctx, PathString path, Task inner)
    {
        var (family, _) = ApiPaths.Classify(path);
        try
        {
            await inner;
            if (NeedsBody(ctx))
            {
                var status = ctx.Response.StatusCode;
                await ApiErrors.WriteAsync(ctx, family, status, status == 404
                    ? $"no such resource: {ctx.Request.Method} {ctx.Request.Path}"
                    : $"method {ctx.Request.Method} is not allowed on {ctx.Request.Path}");
            }
        }
        catch (Exception e) when (e is not FaultInterruption && (!ctx.RequestAborted.IsCancellationRequested || e is not OperationCanceledException))
        {
            if (ctx.Response.HasStarted)
            {
                log.LogError(e, "Failure after the response started: {Method} {Path}", ctx.Request.Method, ctx.Request.Path);
                ctx.Features.Get<IHttpRequestLifetimeFeature>()?.Abort();
                return;
            }
            ctx.Response.Clear();
            ctx.Response.Headers[RequestIds.Header] = RequestIds.Get(ctx);
            ctx.Response.Headers[RequestIds.CorrelationHeader] = RequestIds.Get(ctx);
            switch (e)
            {
                case ApiException api:
                    if (api.Status == 429 && !ctx.Response.Headers.ContainsKey("Retry-After")) ctx.Response.Headers.RetryAfter = "1";
                    await ApiErrors.WriteAsync(ctx, family, api.Status, api.Message, api.Code, api.Errors, api.EchoHeader);
                    break;
                case BadHttpRequestException bad:
                    await ApiErrors.WriteAsync(ctx, family, bad.StatusCode,
                        bad.StatusCode == 413 ? "request body too large" : "bad request: " + bad.Message);
                    break;
                case EngineValidationException invalid:
                    await ApiErrors.WriteAsync(ctx, family, 400,
                        family == ApiFamily.Control ? invalid.Title : invalid.Message, errors: invalid.Errors);
                    break;
                case EntityNotFoundException notFound:
                    await ApiErrors.WriteAsync(ctx, family, 404, notFound.Message);
                    break;
                case Engine.Access.AccountAccessDeniedException denied:
                    await ApiErrors.WriteAsync(ctx, family, 403, denied.Message);
                    break;
                case StateConflictException conflict:
                    await ApiErrors.WriteAsync(ctx, family, 409, conflict.Message);
                    break;
                case IOException { InnerException: OverflowException }:
                    // Kestrel reports a chunk size too large for its counter this way (not as a BadHttpRequestException).
                    await ApiErrors.WriteAsync(ctx, family, 400, "bad request: a chunk size of the chunked body is not valid");
                    break;
                case JsonException json:
                    await ApiErrors.WriteAsync(ctx, family, 400, "body is not valid JSON: " + json.Message);
                    break;
                default:
                    log.LogError(e, "Unhandled failure: {Method} {Path}", ctx.Request.Method, ctx.Request.Path);
                    await ApiErrors.WriteAsync(ctx, family, 500, "internal error in CssmSim (" + e.GetType().Name + "); see the server log");
                    break;
            }
        }
    }
}
