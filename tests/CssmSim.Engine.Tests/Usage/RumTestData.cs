using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Engine.Usage;

namespace CssmSim.Engine.Tests.Usage;

/// <summary>Hand-written payloads and entries for the reader tests.</summary>
internal static class RumTestData
{
    public const string Tag = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896";
    public const string OtherTag = "regid.2017-08.com.cisco.AIR-DNA-A,1.0_b6308627-3ab0-4a11-a3d9-586911a0d790";

    /// <summary>A v2.0 payload; <paramref name="reportIdJson"/> is raw JSON (<c>42</c> or <c>"007"</c>).</summary>
    public static string Payload(
        string reportIdJson = "1638055644",
        string pid = "C9800-CL-K9",
        string sn = "93SZ7RXN93Y",
        string tag = Tag,
        string measurementsJson = """[{"log_time":100,"metric_name":"ENTITLEMENT","start_time":100,"end_time":200,"sample_interval":100,"num_samples":1,"value":{"type":"COUNT","value":"5"}}]""")
    {
        return "{\"version\":\"2.0\",\"asset_identification\":{\"report_id\":" + reportIdJson +
               ",\"asset\":{\"name\":\"regid.2018-05.com.cisco.WLC_9500C,1.0_85665885-b865-4e32-8184-5510412fcb54\"}" +
               ",\"instance\":{\"sudi\":{\"udi_pid\":\"" + pid + "\",\"udi_serial_number\":\"" + sn + "\"}}}" +
               ",\"meta\":{\"entitlement_tag\":\"" + tag + "\",\"utility_enabled\":false,\"software_version\":\"17.07.01\"" +
               ",\"ha_udi\":[{\"role\":\"Active\",\"sudi\":{\"udi_pid\":\"" + pid + "\",\"udi_serial_number\":\"" + sn + "\"}}]}" +
               ",\"measurements\":" + measurementsJson + "}";
    }

    /// <summary>The CDATA JSON of a report entry around <paramref name="payload"/>.</summary>
    public static string Envelope(string payload, string signatureValue = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
    {
        var envelope = new JsonObject
        {
            ["payload"] = payload,
            ["signature"] = new JsonObject
            {
                ["sudi"] = new JsonObject { ["udi_pid"] = "C9800-CL-K9", ["udi_serial_number"] = "93SZ7RXN93Y" },
                ["signing_type"] = "builtin",
                ["key"] = "regid.2018-05.com.cisco.WLC_9500C,1.0_85665885-b865-4e32-8184-5510412fcb54",
                ["value"] = signatureValue,
            },
        };
        return envelope.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    public static string ReportElement(string envelopeJson) => "<RUMReport><![CDATA[" + envelopeJson + "]]></RUMReport>";

    public static string ReportElementFor(string payload) => ReportElement(Envelope(payload));

    public static RumReport Parse(string payload)
    {
        var result = RumReport.FromPayload(payload);
        result.Error.ShouldBeNull();
        return result.Report!;
    }

    public static RumError ParseError(string payload)
    {
        var result = RumReport.FromPayload(payload);
        result.Report.ShouldBeNull();
        return result.Error!;
    }
}
