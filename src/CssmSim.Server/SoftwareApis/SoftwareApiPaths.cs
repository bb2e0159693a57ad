using System.Globalization;
using System.Text.Json.Nodes;
using CssmSim.Server.Journal;
using CssmSim.Server.Pipeline;

namespace CssmSim.Server.SoftwareApis;

/// <summary>Where Cisco's Software APIs live (apx.cisco.com), and the helpers their routes share.</summary>
public static class SoftwareApiPaths
{
    public const string Prefix = "/v1/software/apis";

    /// <summary>A 200 JSON answer, journaled with <paramref name="outcome"/>.</summary>
    public static IResult Json(HttpContext ctx, JsonObject body, string outcome = "SUCCESS")
    {
        ctx.Journal().SetOutcome(outcome);
        return Results.Text(body.ToJsonString(ApiErrors.Json), "application/json");
    }

    /// <summary>An optional whole-number query parameter of at least <paramref name="min"/> (400 otherwise).</summary>
    public static int? QueryInt(HttpContext ctx, string name, int min)
    {
        var s = ctx.Request.Query[name].ToString().Trim();
        if (s.Length == 0) return null;
        if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < min)
            throw new ApiException(400, $"{name} must be a whole number of at least {min}");
        return n;
    }

    /// <summary>A string member, or null when absent, null, blank or not a string.</summary>
    public static string? Text(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String && v.GetValue<string>().Trim() is { Length: > 0 } s ? s : null;
}
