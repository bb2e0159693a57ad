using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Server.Journal;

namespace CssmSim.Server.Pipeline;

/// <summary>
/// An error a request earns at the HTTP layer (unparseable body, wrong content type, too large,
/// missing envelope key) or a business error an endpoint reports; rendered in the family's shape.
/// </summary>
public sealed class ApiException(int status, string message, string? code = null) : Exception(message)
{
    public int Status { get; } = status;
    public string? Code { get; } = code;
    /// <summary>Field errors for the control API's problem+json <c>errors</c> member.</summary>
    public IReadOnlyDictionary<string, string[]>? Errors { get; init; }
    /// <summary>The smart-transport header to echo, when the body was readable.</summary>
    public JsonNode? EchoHeader { get; init; }
}

/// <summary>Writes an error body in the shape of one <see cref="ApiFamily"/>.</summary>
public static class ApiErrors
{
    public static readonly JsonSerializerOptions Json = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static Task WriteAsync(HttpContext ctx, ApiFamily family, int status, string message, string? code = null,
        IReadOnlyDictionary<string, string[]>? errors = null, JsonNode? echoHeader = null)
    {
        var journal = ctx.Features.Get<JournalRecord>();
        JsonObject body;
        var contentType = "application/json";
        switch (family)
        {
            case ApiFamily.OAuth:
                code ??= "invalid_request";
                body = new JsonObject { ["error"] = code, ["error_description"] = message };
                break;
            case ApiFamily.V1:
                body = new JsonObject { ["status"] = "ERROR", ["statusMessage"] = message };
                break;
            case ApiFamily.V2Search:
                code ??= CodeFor(status);
                body = new JsonObject { ["status"] = "FAILED", ["message_code"] = code, ["message"] = message };
                break;
            case ApiFamily.Slp:
                body = new JsonObject { ["status"] = "FAILED", ["message"] = message };
                break;
            case ApiFamily.SmartTransport:
                code ??= Engine.Devices.CssmCodes.InvalidMessage;
                body = new JsonObject
                {
                    ["header"] = echoHeader?.DeepClone(),
                    ["status"] = "FAILED",
                    ["error"] = new JsonObject { ["code"] = code, ["message"] = message },
                    ["connect_info"] = SmartTransport.ServerIdentity.ConnectInfo(),
                };
                break;
            case ApiFamily.Control:
                contentType = "application/problem+json";
                body = new JsonObject
                {
                    ["type"] = "https://httpstatuses.io/" + status,
                    ["title"] = TitleFor(status),
                    ["status"] = status,
                    ["detail"] = message,
                };
                if (errors is not null)
                {
                    var e = new JsonObject();
                    foreach (var (k, v) in errors) e[k] = new JsonArray(v.Select(m => (JsonNode?)JsonValue.Create(m)).ToArray());
                    body["errors"] = e;
                }
                if (code is not null) body["code"] = code;
                break;
            default:
                ctx.Response.StatusCode = status;
                ctx.Response.ContentType = "text/plain; charset=utf-8";
                journal?.SetOutcome("ERROR", code);
                return ctx.Response.WriteAsync(message);
        }
        journal?.SetOutcome(family == ApiFamily.V1 || family == ApiFamily.Control ? "ERROR" : family == ApiFamily.OAuth ? "ERROR" : "FAILED", code);
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = contentType;
        return ctx.Response.WriteAsync(body.ToJsonString(Json));
    }

    public static string CodeFor(int status) => status switch
    {
        400 => "INVALID_REQUEST",
        401 => "UNAUTHORIZED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        405 => "METHOD_NOT_ALLOWED",
        413 => "PAYLOAD_TOO_LARGE",
        415 => "UNSUPPORTED_MEDIA_TYPE",
        501 => "NOT_SIMULATED",
        _ => "INTERNAL_ERROR",
    };

    public static string TitleFor(int status) => status switch
    {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    };
}
