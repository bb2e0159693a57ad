using System.Text.Json;
using CssmSim.Server.Journal;
using CssmSim.Server.Pipeline;

namespace CssmSim.Server.CssmApi;

/// <summary>JSON answers of the CSSM-facing APIs: exact names from the DTOs, nulls written, compact.</summary>
internal static class ApiJson
{
    public static readonly JsonSerializerOptions Options = new(ApiErrors.Json)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never,
    };

    /// <summary>A 200 (or <paramref name="status"/>) JSON answer, journaled with <paramref name="outcome"/>.</summary>
    public static IResult Ok<T>(HttpContext ctx, T body, string outcome = "SUCCESS", int status = 200)
    {
        ctx.Journal().SetOutcome(outcome);
        return Results.Json(body, Options, "application/json", status);
    }
}
