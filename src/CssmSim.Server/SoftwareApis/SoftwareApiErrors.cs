using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Engine.Validation;
using CssmSim.Server.Journal;
using CssmSim.Server.Pipeline;

namespace CssmSim.Server.SoftwareApis;

/// <summary>The error schemas of Cisco's Software APIs document (software-apis.md §Common rules); each endpoint uses one.</summary>
public enum ErrorSchema
{
    /// <summary><c>{"status":"ERROR","statusMessage"}</c>: devices, search-slr-details, reserve, devices/remove.</summary>
    Response,
    /// <summary><c>{"status":"FAILED","messageCode","message","data":null}</c>: search-smart-accounts.</summary>
    ResponseV1,
    /// <summary><c>{"status":"FAILED","message_code","message"}</c>: account-policy, device/search.</summary>
    ResponseV2,
    /// <summary><c>{"status":"FAILED","message_code","message","localized_message"}</c> (V3 and V5 together): get-summary.</summary>
    ResponseV3,
    /// <summary>The union of ErrorResponse and ErrorCommonResponse: the pnp account APIs.</summary>
    Pnp,
    /// <summary><c>{"code":int,"message","severity"}</c>: Enterprise Agreements consumption.</summary>
    EnterpriseAgreements,
}

/// <summary>
/// Renders whatever a Software API route refuses (an <see cref="ApiException"/> from its own checks
/// or from the shared CSSM helpers it calls) in that endpoint's documented error schema.
/// </summary>
public static class SoftwareApiErrors
{
    /// <summary>D's example code for a missing user id.</summary>
    public const string BlankUserId = "CSW-SMARTACC-ERR-0003";
    /// <summary>D's 422 example of the pnp APIs: "User or Account is not authorized."</summary>
    public const string NotAuthorized = "DMS-ERR-136";
    public const string NoDataFound = "NO_DATA_FOUND";

    public static RouteHandlerBuilder WithErrorSchema(this RouteHandlerBuilder route, ErrorSchema schema) =>
        route.AddEndpointFilter(async (ictx, next) =>
        {
            try
            {
                return await next(ictx);
            }
            catch (ApiException e)
            {
                return Render(ictx.HttpContext, schema, e.Status, e.Message, e.Code);
            }
            catch (BadHttpRequestException e)
            {
                return Render(ictx.HttpContext, schema, e.StatusCode, e.StatusCode == 413 ? "request body too large" : "bad request: " + e.Message, null);
            }
            catch (EngineValidationException e)
            {
                return Render(ictx.HttpContext, schema, 400, e.Message, null);
            }
            catch (EntityNotFoundException e)
            {
                return Render(ictx.HttpContext, schema, 404, e.Message, null);
            }
            catch (Engine.Access.AccountAccessDeniedException e)
            {
                return Render(ictx.HttpContext, schema, 403, e.Message, null);
            }
            catch (JsonException e)
            {
                return Render(ictx.HttpContext, schema, 400, "body is not valid JSON: " + e.Message, null);
            }
        });

    public static IResult Render(HttpContext ctx, ErrorSchema schema, int status, string message, string? code)
    {
        JsonObject body;
        switch (schema)
        {
            case ErrorSchema.Response:
                body = new JsonObject { ["status"] = "ERROR", ["statusMessage"] = message };
                break;
            case ErrorSchema.ResponseV1:
                code ??= status is 400 or 422 ? BlankUserId : ApiErrors.CodeFor(status);
                body = new JsonObject { ["status"] = "FAILED", ["messageCode"] = code, ["message"] = message, ["data"] = null };
                break;
            case ErrorSchema.ResponseV2:
                code ??= ApiErrors.CodeFor(status);
                body = new JsonObject { ["status"] = "FAILED", ["message_code"] = code, ["message"] = message };
                break;
            case ErrorSchema.ResponseV3:
                code ??= ApiErrors.CodeFor(status);
                body = new JsonObject { ["status"] = "FAILED", ["message_code"] = code, ["message"] = message, ["localized_message"] = message };
                break;
            case ErrorSchema.Pnp:
                code ??= status == 422 ? NotAuthorized : ApiErrors.CodeFor(status);
                // ErrorResponse says ERROR (its 400), ErrorCommonResponse FAILED (its 422 and 500).
                body = new JsonObject
                {
                    ["status"] = status == 400 ? "ERROR" : "FAILED",
                    ["statusMessage"] = message,
                    ["message"] = message,
                    ["messageCode"] = code,
                };
                break;
            default:
                code ??= ApiErrors.CodeFor(status);
                body = new JsonObject { ["code"] = status, ["message"] = message, ["severity"] = "ERROR" };
                break;
        }
        ctx.Journal().SetOutcome(schema == ErrorSchema.Response ? "ERROR" : "FAILED", code);
        return Results.Text(body.ToJsonString(ApiErrors.Json), "application/json", statusCode: status);
    }
}
