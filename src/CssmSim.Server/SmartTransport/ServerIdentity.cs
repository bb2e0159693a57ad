using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Engine.Devices;

namespace CssmSim.Server.SmartTransport;

/// <summary>
/// What real devices record of the server and the protocol (smart-transport.md §What real devices
/// record; device-captures.md §2.2): the message version, the server identity every reply carries,
/// and the agent capabilities that decide whether a transient refusal is <c>OK_TRY_AGAIN</c>.
/// </summary>
public static class ServerIdentity
{
    /// <summary>The protocol version replies carry (<c>Message Version: 1.3</c>); requests with 1.0 are still accepted.</summary>
    public const string ProtocolVersion = "1.3";

    /// <summary>The transient-refusal status, sent only to agents that list it in <c>agent_capabilities</c>.</summary>
    public const string OkTryAgain = "OK_TRY_AGAIN";

    // The values CSSM's replies show on devices (TS-12:287-293); the field names are CssmSim's own.
    private static readonly string[] Capabilities = ["DLC", "AppHA", "EXPORT_2", "POLICY_USAGE", "UTILITY", "TELEMETRY", "TELEMETRY_POLICY"];

    /// <summary>A fresh <c>connect_info</c> object for one reply.</summary>
    public static JsonObject ConnectInfo() => new()
    {
        ["name"] = "SSM",
        ["version"] = ProtocolVersion,
        ["additional"] = "",
        ["prod"] = true,
        ["capabilities"] = new JsonArray(Capabilities.Select(c => (JsonNode)JsonValue.Create(c)).ToArray()),
    };

    /// <summary>
    /// The status a refusal goes out with: <c>LS_LICENGINE_FAIL_TO_CONNECT</c> is transient, so an agent
    /// that can retry it gets <c>OK_TRY_AGAIN</c> (as TS-16 records), any other agent <c>FAILED</c>.
    /// </summary>
    public static string StatusFor(string status, CssmError? error, IReadOnlyList<string> agentCapabilities) =>
        status == "FAILED" && error?.Code == CssmCodes.LicEngineFailToConnect && agentCapabilities.Contains(OkTryAgain, StringComparer.Ordinal)
            ? OkTryAgain
            : status;

    /// <summary>
    /// <c>agent_capabilities</c> of a request: absent is none; anything but a list of strings is a
    /// problem (returned, for an HTTP-layer <c>INVALID_MESSAGE</c>).
    /// </summary>
    public static (IReadOnlyList<string> Capabilities, string? Problem) ReadAgentCapabilities(JsonObject request)
    {
        if (!request.TryGetPropertyValue("agent_capabilities", out var node) || node is null) return ([], null);
        if (node is not JsonArray list) return ([], "agent_capabilities must be a list of strings");
        var caps = new List<string>(list.Count);
        foreach (var item in list)
        {
            if (item is not JsonValue v || v.GetValueKind() != JsonValueKind.String) return ([], "agent_capabilities must be a list of strings");
            caps.Add(v.GetValue<string>().Trim());
        }
        return (caps, null);
    }
}
