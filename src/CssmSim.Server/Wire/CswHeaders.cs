using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Server.Pipeline;

namespace CssmSim.Server.Wire;

/// <summary>
/// The <c>X-CSW-*</c> headers with which the SLP and license-summary APIs name an account
/// (cssm-api.md §SLP device APIs): missing or malformed headers are HTTP-layer errors (400).
/// </summary>
public static class CswHeaders
{
    public const string SmartAccountId = "X-CSW-SMART-ACCOUNT-ID";
    public const string VirtualAccountId = "X-CSW-VIRTUAL-ACCOUNT-ID";
    public const string RequestingSystem = "X-CSW-REQUESTING-SYSTEM";

    /// <summary>
    /// The account ids. <paramref name="decimalIds"/>: they must also be decimal ids, as v2/accounts/search
    /// lists them, and <c>X-CSW-REQUESTING-SYSTEM</c>, when sent, a JSON object (its content is not used).
    /// </summary>
    public static (string SmartAccountId, string VirtualAccountId) Read(HttpRequest request, bool decimalIds)
    {
        var saId = request.Headers[SmartAccountId].ToString().Trim();
        var vaId = request.Headers[VirtualAccountId].ToString().Trim();
        if (saId.Length == 0 || vaId.Length == 0)
            throw new ApiException(400, $"the {SmartAccountId} and {VirtualAccountId} headers are required");
        if (!decimalIds) return (saId, vaId);
        if (!IsDecimal(saId) || !IsDecimal(vaId))
            throw new ApiException(400, $"{SmartAccountId} and {VirtualAccountId} must be decimal account ids, as v2/accounts/search lists them");
        RequireRequestingSystem(request);
        return (saId, vaId);
    }

    public static bool IsDecimal(string s) => s.Length <= 19 && s.All(char.IsAsciiDigit);

    private static void RequireRequestingSystem(HttpRequest request)
    {
        var raw = request.Headers[RequestingSystem].ToString().Trim();
        if (raw.Length == 0) return;
        try
        {
            if (JsonNode.Parse(raw) is JsonObject) return;
        }
        catch (JsonException)
        {
            // Answered below, like any other value that is not a JSON object.
        }
        throw new ApiException(400, $"{RequestingSystem} must be a JSON object, e.g. {{\"display_name\":\"CSLU\"}}");
    }
}
