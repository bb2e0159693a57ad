using System.Text.Json.Nodes;

namespace CssmSim.Server.Portal;

/// <summary>A ready-made fault rule the Faults page adds with one click.</summary>
internal sealed record FaultPreset(string Key, string Label, string Description, string RuleJson);

/// <summary>The Faults page's presets (portal.md 9): the failures people ask a CSSM simulator for most.</summary>
internal static class FaultPresets
{
    public static IReadOnlyList<FaultPreset> All { get; } =
    [
        new("trust-fail", "LS_LICENGINE_FAIL_TO_CONNECT on trust",
            "Every trust establishment over smart transport fails with LS_LICENGINE_FAIL_TO_CONNECT; nothing is consumed.",
            """{"name":"LS_LICENGINE_FAIL_TO_CONNECT on trust","match":{"surface":"smart-transport","operation":"TRUST_ESTABLISHMENT"},"effect":{"error":"LS_LICENGINE_FAIL_TO_CONNECT"}}"""),
        new("cssm-down", "CSSM down",
            "Devices cannot reach CSSM: every smart-transport request gets HTTP 503 with Retry-After.",
            """{"name":"CSSM down","match":{"surface":"smart-transport"},"effect":{"status":503,"retryAfter":60}}"""),
        new("slow-ack", "Slow ACK",
            "Usage reports over smart transport are answered (with their ACK) only after 10 seconds.",
            """{"name":"Slow ACK","match":{"surface":"smart-transport","operation":"USAGE_REPORTING"},"effect":{"latencyMs":10000}}"""),
        new("quota-429", "429 quota",
            "The CSSM REST API answers HTTP 429 (quota exceeded), Retry-After 60, as apx.cisco.com does when a client calls too often.",
            """{"name":"429 quota","match":{"surface":"cssm-api"},"effect":{"status":429,"retryAfter":60}}"""),
        new("corrupt-trust-code", "Corrupt trust code",
            "Trust codes in trust replies carry a signature that does not verify: the device logs TRUST_CODE_INSTALL_FAILED, A signature mismatch.",
            """{"name":"Corrupt trust code","match":{"surface":"smart-transport","operation":"TRUST_ESTABLISHMENT"},"effect":{"corrupt":["trustCode"]}}"""),
        new("partial-ack", "Partial ACK",
            "Each ACK leaves the first report out: the device keeps it pending (UNACK) and sends it again.",
            """{"name":"Partial ACK","match":{"surface":"smart-transport","operation":"USAGE_REPORTING"},"effect":{"ack":{"reports":{"count":1}}}}"""),
    ];

    public static FaultPreset? Find(string? key) => All.FirstOrDefault(p => p.Key == key);

    public static JsonNode Rule(FaultPreset preset) => JsonNode.Parse(preset.RuleJson)!;
}
